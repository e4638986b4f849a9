/**
 * Who may report what (lib/core/trust): subjects against cluster scopes, records against account/region scopes,
 * delivery paths against their AWS log layout, and the Lambdas' configuration and EKS-derived scope cache.
 */
import { describe, expect, it } from 'vitest';
import { CallerScopes, readTrustConfig } from '../../../lambdas/shared/trust.ts';
import type { Observation } from '../../../lib/core/observation.ts';
import { scopeForEvent, scopeForLogGroup, scopeForLogObject } from '../../../lib/core/trust/delivery-scope.ts';
import {
  authorizeAgainst,
  authorizeObservation,
  type IngestScope,
  principalOf,
  scopesForCaller,
  subjectCluster,
} from '../../../lib/core/trust/ingest-scope.ts';

const obs = (o: Partial<Observation>): Observation => ({
  v: 1,
  id: 'x',
  time: '2026-03-02T14:00:00.000Z',
  source: 'node-agent',
  subject: 'k8s:prod/support/support-agent',
  layer: 'network',
  kind: 'net',
  key: 'net:egress:6.6.6.6/32:443',
  count: 1,
  correlation: {},
  attrs: {},
  ...o,
});

const nodeAgent: IngestScope = { principal: 'role/dev-agent', sources: ['node-agent'], clusters: ['dev'] };

describe('subjects against a node agent scope (cluster dev)', () => {
  it.each([
    ['k8s:dev/support/support-agent', true],
    ['unattributed:dev/kube-system/aws-node-x', true],
    ['unattributed:dev/cgroup:/system.slice/sshd.service', true],
    ['unattributed:dev/container:0123456789ab', true],
    ['unattributed:node:dev/ip-10-0-1-5', true],
    ['k8s:prod/support/support-agent', false],
    ['unattributed:prod/kube-system/aws-node-x', false],
    ['unattributed:node:prod/ip-10-0-1-5', false],
    ['unattributed:cgroup:/system.slice/sshd.service', false],
    ['local:my-agent', false],
    ['bedrock:us-east-1/AGENT1', false],
    ['k8s:dev/a/b/c', false],
  ])('%s -> %s', (subject, allowed) => {
    const r = authorizeObservation(nodeAgent, obs({ subject }));
    expect(r === undefined).toBe(allowed);
    if (r)
      expect(r).toMatchObject({ reason: 'unauthorized-subject', detail: expect.stringContaining('role/dev-agent') });
  });

  it('namespaces narrow a cluster scope', () => {
    const s = { ...nodeAgent, namespaces: ['support'] };
    expect(authorizeObservation(s, obs({ subject: 'k8s:dev/support/a' }))).toBeUndefined();
    expect(authorizeObservation(s, obs({ subject: 'k8s:dev/payments/a' }))).toBeDefined();
  });

  it('a source outside the scope is refused whatever its subject', () => {
    const r = authorizeObservation(nodeAgent, obs({ source: 'cloudtrail', subject: 'k8s:dev/support/a' }));
    expect(r?.detail).toMatch(/source cloudtrail/);
  });

  it('subjectCluster reads the cluster (and namespace) a subject names', () => {
    expect(subjectCluster('k8s:c/n/d')).toEqual({ cluster: 'c', namespace: 'n' });
    expect(subjectCluster('unattributed:c/n/p')).toEqual({ cluster: 'c', namespace: 'n' });
    expect(subjectCluster('unattributed:c/cgroup:/a/b')).toEqual({ cluster: 'c' });
    expect(subjectCluster('unattributed:10.0.0.5')).toEqual({});
  });
});

describe('records against account and region scopes', () => {
  const s: IngestScope = { principal: 'p', accounts: ['111122223333'], regions: ['us-east-1'] };
  it.each([
    ['cloudtrail', { recipientAccountId: '111122223333', awsRegion: 'us-east-1' }, 'unattributed:x', true],
    ['cloudtrail', { recipientAccountId: '999999999999', awsRegion: 'us-east-1' }, 'unattributed:x', false],
    ['cloudtrail', { recipientAccountId: '111122223333', awsRegion: 'eu-west-1' }, 'unattributed:x', false],
    ['vpc-flow', { accountId: '999999999999' }, 'unattributed:10.0.0.5', false],
    ['bedrock-invocation', { accountId: '111122223333', region: 'us-east-1' }, 'unattributed:x', true],
    ['bedrock-trace', { accountId: '111122223333' }, 'bedrock:eu-west-1/AGENT1', false],
    ['bedrock-trace', { accountId: '111122223333' }, 'bedrock:us-east-1/AGENT1', true],
  ] as const)('%s %j %s -> %s', (source, attrs, subject, allowed) => {
    expect(authorizeObservation(s, obs({ source, attrs, subject })) === undefined).toBe(allowed);
  });
});

describe('callers and their configured scopes', () => {
  const scopes: IngestScope[] = [
    { principal: 'arn:aws:iam::111122223333:role/infra/agent', sources: ['node-agent'], clusters: ['prod'] },
    { principal: 'arn:aws:iam::111122223333:role/agent', sources: ['bedrock-trace'], regions: ['us-east-1'] },
    { principal: 'arn:aws:iam::999999999999:role/agent', sources: ['node-agent'], clusters: ['dev'] },
  ];
  const caller = 'arn:aws:sts::111122223333:assumed-role/agent/eks-prod-x';

  it('a session is its role, matched by account and name (STS ARNs drop the path)', () => {
    expect(principalOf(caller)).toBe('arn:aws:iam::111122223333:role/agent');
    expect(scopesForCaller(caller, scopes)).toHaveLength(2);
    expect(scopesForCaller('arn:aws:sts::222222222222:assumed-role/agent/s', scopes)).toEqual([]);
  });

  it('scopes of one role are not merged: each allows only its own', () => {
    const mine = scopesForCaller(caller, scopes);
    // A node-agent observation of another cluster is not let in by the trace scope's open cluster list.
    expect(authorizeAgainst(caller, mine, obs({ subject: 'k8s:dev/a/b' }))).toBeDefined();
    expect(authorizeAgainst(caller, mine, obs({ subject: 'k8s:prod/a/b' }))).toBeUndefined();
    expect(authorizeAgainst(caller, [], obs({}))?.detail).toMatch(/no ingest scope is configured/);
  });
});

describe('delivery paths', () => {
  it('an AWS log key binds account, region and source', () => {
    expect(scopeForLogObject('b', 'p/AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/02/f.json.gz')).toEqual({
      principal: 's3://b/p/AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/02/f.json.gz',
      sources: ['cloudtrail'],
      accounts: ['111122223333'],
      regions: ['us-east-1'],
    });
    expect(scopeForLogObject('b', 'AWSLogs/o-abc123/111122223333/vpcflowlogs/eu-west-1/x.log.gz').sources).toEqual([
      'vpc-flow',
    ]);
    const other = scopeForLogObject('b', 'exports/flow.log', ['111122223333']);
    expect(other).toMatchObject({
      accounts: ['111122223333'],
      sources: ['cloudtrail', 'vpc-flow', 'bedrock-invocation'],
    });
    // A node-agent batch dropped into a log bucket is never a log bucket source.
    expect(authorizeObservation(other, obs({}))).toBeDefined();
  });

  it('an untrusted account delivers nothing', () => {
    const s = scopeForLogObject('b', 'AWSLogs/999999999999/CloudTrail/us-east-1/f.json.gz', ['111122223333']);
    expect(s.accounts).toEqual([]);
    const r = authorizeObservation(s, obs({ source: 'cloudtrail', attrs: { recipientAccountId: '999999999999' } }));
    expect(r).toBeDefined();
  });

  it('events and log groups are bound to the account AWS names', () => {
    expect(scopeForEvent({ account: '111122223333', region: 'us-east-1', source: 'aws.s3' })).toMatchObject({
      sources: ['cloudtrail'],
      accounts: ['111122223333'],
      regions: ['us-east-1'],
    });
    expect(scopeForLogGroup({ owner: '111122223333', logGroup: '/aws/bedrock' }).accounts).toEqual(['111122223333']);
  });
});

describe('the Lambdas trust configuration', () => {
  it('validates principals, refusing a node agent without clusters', () => {
    expect(() =>
      readTrustConfig({
        WARDEN_INGEST_PRINCIPALS: JSON.stringify([{ principal: 'arn:aws:iam::1:role/a', sources: ['node-agent'] }]),
      }),
    ).toThrow(/needs its clusters/);
    const c = readTrustConfig({ WARDEN_CLUSTERS: 'prod, dev', WARDEN_TRUSTED_ACCOUNTS: '111122223333' });
    expect(c).toMatchObject({ clusters: ['prod', 'dev'], trustedAccounts: ['111122223333'], quotaPerHour: 500_000 });
  });

  it('re-reads EKS-derived scopes after the TTL, and does not cache a failed read', async () => {
    let now = 0;
    let calls = 0;
    let fail = false;
    const errors: unknown[] = [];
    const derived: IngestScope = {
      principal: 'arn:aws:iam::111122223333:role/agent',
      sources: ['node-agent'],
      clusters: ['prod'],
    };
    const cs = new CallerScopes(
      { principals: [], clusters: ['prod'], quotaPerHour: 1 },
      async () => {
        calls++;
        if (fail) throw new Error('throttled');
        return [derived];
      },
      () => now,
      (e) => errors.push(e),
    );
    const caller = 'arn:aws:sts::111122223333:assumed-role/agent/s';
    expect(await cs.forCaller(caller)).toHaveLength(1);
    expect(await cs.forCaller(caller)).toHaveLength(1);
    expect(calls).toBe(1);
    now += 6 * 60_000;
    fail = true;
    // The read fails: the last good answer serves, and the next request tries again.
    expect(await cs.forCaller(caller)).toHaveLength(1);
    expect(await cs.forCaller(caller)).toHaveLength(1);
    expect(calls).toBe(3);
    expect(errors).toHaveLength(2);
  });
});
