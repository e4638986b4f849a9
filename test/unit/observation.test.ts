import { describe, expect, it } from 'vitest';
import { canonicalPath, keys, parseSubject, subjectIds, windowStart } from '../../lib/core/observation.ts';

describe('canonical keys', () => {
  it.each([
    ['/usr//bin/./python3', '/usr/bin/python3'],
    ['/usr/lib/../bin/sh', '/usr/bin/sh'],
    ['/proc/1234/status', '/proc/*/status'],
    ['/proc/self/maps', '/proc/*/maps'],
    ['/tmp/tmpa8f3k2x9', '/tmp/*'],
    ['/etc/hosts', '/etc/hosts'],
  ])('canonicalPath(%s) = %s', (input, expected) => {
    expect(canonicalPath(input)).toBe(expected);
  });

  it.each([
    [keys.egress('52.216.10.1', 443), 'net:egress:52.216.10.1/32:443'],
    [keys.egress('52.216.0.0/15', 443), 'net:egress:52.216.0.0/15:443'],
    [keys.egress('10.0.0.1', 51234), 'net:egress:10.0.0.1/32:*'],
    [keys.egress('2600:1F18::1', 443), 'net:egress:2600:1f18::1/128:443'],
    [keys.dns('API.Zendesk.com.'), 'dns:api.zendesk.com'],
    [
      keys.api('S3', 'PutObject', 'arn:aws:s3:::export-bucket/customers/2024.csv'),
      'api:s3:PutObject:arn:aws:s3:::export-bucket/*',
    ],
    [keys.api('sts', 'GetCallerIdentity'), 'api:sts:GetCallerIdentity:*'],
  ])('%s', (got, expected) => {
    expect(got).toBe(expected);
  });
});

describe('subject ids', () => {
  it('round-trips every kind', () => {
    expect(parseSubject(subjectIds.k8s('prod', 'support', 'support-agent'))).toEqual({
      kind: 'k8s',
      scope: 'prod',
      namespace: 'support',
      name: 'support-agent',
    });
    expect(parseSubject(subjectIds.bedrock('us-east-1', 'AGENT123'))).toEqual({
      kind: 'bedrock',
      scope: 'us-east-1',
      name: 'AGENT123',
    });
    expect(parseSubject('unattributed:10.0.3.7')).toEqual({ kind: 'unattributed', name: '10.0.3.7' });
  });

  it.each(['', 'k8s:', 'k8s:a/b', 'bedrock:r', 'foo:bar', 'nocolon'])('rejects %j', (id) => {
    expect(parseSubject(id)).toBeUndefined();
  });
});

describe('windows', () => {
  it('floors to the hour', () => {
    expect(windowStart('2026-01-05T10:59:59.999Z')).toBe('2026-01-05T10:00:00.000Z');
  });
});
