/** The tightened policy is checked against the IAM catalog and as a subset of the current policies. */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadIamCatalog } from '../../../lib/adapters/iam-scope.ts';
import type { IamTightening } from '../../../lib/core/artifacts/iam-policy.ts';
import { iamPullRequestBody, lineDiff } from '../../../lib/core/artifacts/iam-pr.ts';
import { patternSubset, validateTightening } from '../../../lib/core/artifacts/iam-validate.ts';
import type { IamCatalog } from '../../../lib/core/iam/catalog.ts';
import { type AgentRole, agentRoleSchema } from '../../../lib/core/reconcile/types.ts';

const A = '111122223333';
const role: AgentRole = agentRoleSchema.parse({
  arn: `arn:aws:iam::${A}:role/agent`,
  name: 'agent',
  via: 'irsa',
  policies: [
    {
      id: `arn:aws:iam::${A}:role/agent#inline/p`,
      name: 'p',
      kind: 'inline',
      document: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'Export',
            Effect: 'Allow',
            Action: ['s3:PutObject', 's3:GetObject'],
            Resource: 'arn:aws:s3:::exports/*',
            Condition: { Bool: { 'aws:SecureTransport': 'true' } },
          },
          { Sid: 'List', Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: '*' },
        ],
      },
    },
  ],
});

const tightening = (statements: IamTightening['policies'][number]['document']['Statement']): IamTightening => ({
  policies: [
    {
      name: 'p',
      replaces: { id: role.policies[0]!.id, name: 'p', kind: 'inline' },
      document: { Version: '2012-10-17', Statement: statements },
    },
  ],
  removals: [],
  provenance: [],
  diff: [],
  warnings: [],
  notGranted: [],
});

let catalog: IamCatalog;
beforeAll(async () => {
  catalog = await loadIamCatalog(['s3']);
});

describe('patternSubset', () => {
  it.each([
    ['arn:aws:s3:::b/x*', 'arn:aws:s3:::b/*', true],
    ['arn:aws:s3:::b/*', 'arn:aws:s3:::b/x*', false],
    ['arn:aws:s3:::b/*', 'arn:aws:s3:::b/*', true],
    ['a*c', 'a?c', false],
    ['abc', 'a?c', true],
    ['a?c', 'a*', true],
    ['anything', '*', true],
    ['*', 'arn:*', false],
  ])('%s ⊆ %s: %s', (inner, outer, want) => {
    expect(patternSubset(inner, outer)).toBe(want);
  });
});

describe('validateTightening', () => {
  const narrowed = {
    Sid: 'S3Write',
    Effect: 'Allow' as const,
    Action: ['s3:PutObject'],
    Resource: ['arn:aws:s3:::exports/reports/*'],
    Condition: { Bool: { 'aws:SecureTransport': 'true' } },
  };

  it('passes a narrowing that keeps the condition', () => {
    const v = validateTightening(tightening([narrowed]), role, catalog);
    expect(v).toMatchObject({ ok: true, problems: [], newAccess: [] });
    expect(v.checked).toBe(1);
  });

  it('finds new access: another action, a wider resource, a dropped condition', () => {
    const v = validateTightening(
      tightening([
        { ...narrowed, Sid: 'A', Action: ['s3:DeleteObject'] },
        { ...narrowed, Sid: 'B', Resource: ['arn:aws:s3:::*'] },
        { Sid: 'C', Effect: 'Allow', Action: ['s3:PutObject'], Resource: ['arn:aws:s3:::exports/x'] },
      ]),
      role,
      catalog,
    );
    expect(v.ok).toBe(false);
    expect(v.newAccess).toHaveLength(3);
    expect(v.newAccess[0]).toContain('s3:DeleteObject');
  });

  it('finds structural problems against the catalog', () => {
    const v = validateTightening(
      tightening([
        { Sid: 'Bad-Sid', Effect: 'Allow', Action: ['s3:NoSuchAction'], Resource: ['*'] },
        { Sid: 'List', Effect: 'Allow', Action: ['s3:ListAllMyBuckets'], Resource: ['arn:aws:s3:::exports'] },
        { Sid: 'Obj', Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::exports'] },
      ]),
      role,
      catalog,
    );
    expect(v.problems.join('\n')).toMatch(/Sid must be alphanumeric/);
    expect(v.problems.join('\n')).toMatch(/s3:NoSuchAction is not an IAM action/);
    expect(v.problems.join('\n')).toMatch(/ListAllMyBuckets supports only Resource "\*"/);
    expect(v.problems.join('\n')).toMatch(/s3:GetObject does not act on bucket resources/);
  });
});

describe('pull request body', () => {
  it('a line diff marks removed and added lines', () => {
    expect(lineDiff('a\nb\nc', 'a\nc\nd')).toEqual(['  a', '- b', '  c', '+ d']);
  });

  it('names the file it changes, or exactly which policy to replace', () => {
    const t = tightening([
      { Sid: 'S3Write', Effect: 'Allow', Action: ['s3:PutObject'], Resource: ['arn:aws:s3:::exports/*'] },
    ]);
    const base = {
      subject: 'k8s:prod/ns/agent',
      role,
      tightening: t,
      assessments: [],
      window: { from: '2026-09-01T00:00:00.000Z', to: '2026-11-30T00:00:00.000Z' },
    };
    const found = iamPullRequestBody({ ...base, locations: { [role.policies[0]!.id]: 'iam/agent/p.json' } });
    expect(found).toContain('this pull request rewrites `iam/agent/p.json`');
    expect(found).toContain('(90 days)');
    const lost = iamPullRequestBody(base);
    expect(lost).toContain('aws iam put-role-policy --role-name agent --policy-name p');
    expect(lost).toContain('Not measured yet');
  });
});
