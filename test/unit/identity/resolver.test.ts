import { describe, expect, it } from 'vitest';
import {
  createIdentityResolver,
  deploymentFromPodName,
  deploymentFromReplicaSetName,
  LeaseIndex,
  type PodIpLease,
  roleKey,
} from '../../../lib/core/identity/index.ts';
import type { PrincipalRef } from '../../../lib/core/identity/types.ts';

const T = (h: number, m = 0) => new Date(Date.UTC(2026, 10, 28, h, m)).toISOString();

// 10.0.1.23 served the support agent until 11:00, then (after a gap) a pod of the batch job from 11:30.
const leases: PodIpLease[] = [
  {
    ip: '10.0.1.23',
    subject: 'k8s:prod/support/support-agent',
    cluster: 'prod',
    namespace: 'support',
    pod: 'support-agent-7d9f8b6c5d-x2x9q',
    from: T(9),
    to: T(11),
  },
  {
    ip: '10.0.1.23',
    subject: 'k8s:prod/batch/nightly-export',
    cluster: 'prod',
    namespace: 'batch',
    pod: 'nightly-export-5c7d9b8f4-qw7zt',
    from: T(11, 30),
    to: null,
  },
  // A lease whose end was never reported, then the IP was reused: the newer lease must win from its start.
  {
    ip: '10.0.2.9',
    subject: 'k8s:prod/rag/retriever',
    cluster: 'prod',
    namespace: 'rag',
    pod: 'retriever-6b5d4c8f9-abcde',
    from: T(8),
  },
  {
    ip: '10.0.2.9',
    subject: 'k8s:prod/rag/indexer',
    cluster: 'prod',
    namespace: 'rag',
    pod: 'indexer-7f6d5c4b8-fghjk',
    from: T(12),
  },
  // A bare pod (no Deployment).
  { ip: '10.0.3.3', cluster: 'prod', namespace: 'default', pod: 'debug', from: T(8) },
];

describe('pod IP leases', () => {
  const idx = new LeaseIndex(leases);
  it.each([
    ['10.0.1.23', T(9), 'k8s:prod/support/support-agent'],
    ['10.0.1.23', T(10, 59), 'k8s:prod/support/support-agent'],
    ['10.0.1.23', T(11), undefined], // end is exclusive: the gap before the reuse
    ['10.0.1.23', T(11, 15), undefined],
    ['10.0.1.23', T(11, 30), 'k8s:prod/batch/nightly-export'],
    ['10.0.1.23', T(23), 'k8s:prod/batch/nightly-export'],
    ['10.0.1.23', T(8, 59), undefined],
    ['10.0.2.9', T(11, 59), 'k8s:prod/rag/retriever'],
    ['10.0.2.9', T(12), 'k8s:prod/rag/indexer'],
    ['::ffff:10.0.2.9', T(13), 'k8s:prod/rag/indexer'],
    ['10.9.9.9', T(12), undefined],
  ])('%s at %s -> %s', (ip, time, subject) => {
    const r = idx.lookup(ip, time);
    expect(r.found ? r.lease.subject : undefined).toBe(subject);
  });

  it('a lease re-reported with its end closes the open copy', () => {
    const i = new LeaseIndex([{ ip: '10.1.1.1', subject: 'k8s:c/n/a', namespace: 'n', pod: 'a-1', from: T(1) }]);
    i.add({ ip: '10.1.1.1', subject: 'k8s:c/n/a', namespace: 'n', pod: 'a-1', from: T(1), to: T(2) });
    expect(i.size).toBe(1);
    expect(i.lookup('10.1.1.1', T(3)).found).toBe(false);
    expect(i.lookup('10.1.1.1', T(1, 30)).found).toBe(true);
  });
});

describe('identity resolver', () => {
  const r = createIdentityResolver({
    workloads: [
      { cluster: 'prod', namespace: 'support', deployment: 'support-agent', serviceAccount: 'support-agent' },
      { cluster: 'prod', namespace: 'rag', deployment: 'retriever', serviceAccount: 'rag-shared' },
      { cluster: 'prod', namespace: 'rag', deployment: 'indexer', serviceAccount: 'rag-shared' },
      { cluster: 'prod', namespace: 'batch', deployment: 'nightly-export', serviceAccount: 'exporter' },
    ],
    irsa: [
      {
        roleArn: 'arn:aws:iam::123456789012:role/eks/support-agent-irsa',
        cluster: 'prod',
        namespace: 'support',
        serviceAccount: 'support-agent',
      },
      {
        roleArn: 'arn:aws:iam::123456789012:role/rag-irsa',
        cluster: 'prod',
        namespace: 'rag',
        serviceAccount: 'rag-shared',
      },
    ],
    podIdentity: [
      {
        roleArn: 'arn:aws:iam::123456789012:role/exporter',
        cluster: 'prod',
        namespace: 'batch',
        serviceAccount: 'exporter',
      },
    ],
    bedrockAgents: [
      {
        agentId: 'AGENT12345',
        region: 'us-east-1',
        roleArn: 'arn:aws:iam::123456789012:role/service-role/AmazonBedrockExecutionRoleForAgents_support',
      },
    ],
    pods: [{ cluster: 'prod', namespace: 'rag', pod: 'weird-name', deployment: 'indexer' }],
    leases,
    defaultRegion: 'eu-west-1',
  });

  const tags = (ns: string, sa: string, pod?: string): PrincipalRef => ({
    arn: 'arn:aws:sts::123456789012:assumed-role/whatever/eks-prod-pod-1',
    sessionTags: {
      'eks-cluster-name': 'prod',
      'kubernetes-namespace': ns,
      'kubernetes-service-account': sa,
      ...(pod ? { 'kubernetes-pod-name': pod } : {}),
    },
  });

  it.each<[string, PrincipalRef, string | undefined, string]>([
    [
      'Pod Identity, own service account',
      tags('support', 'support-agent'),
      'k8s:prod/support/support-agent',
      'pod-identity:service-account',
    ],
    ['Pod Identity, known pod', tags('rag', 'rag-shared', 'weird-name'), 'k8s:prod/rag/indexer', 'pod-identity:pod'],
    [
      'Pod Identity, shared SA disambiguated by pod name',
      tags('rag', 'rag-shared', 'retriever-6b5d4c8f9-zzzzz'),
      'k8s:prod/rag/retriever',
      'pod-identity:pod-name-pattern',
    ],
    ['Pod Identity, shared SA and no pod', tags('rag', 'rag-shared'), undefined, 'shared-service-account'],
    [
      'Pod Identity, shared SA, pod of another Deployment',
      tags('rag', 'rag-shared', 'intruder-6b5d4c8f9-zzzzz'),
      undefined,
      'shared-service-account',
    ],
    ['Pod Identity, unknown SA', tags('support', 'default'), undefined, 'unknown-service-account'],
    [
      'IRSA session ARN with role path',
      { arn: 'arn:aws:sts::123456789012:assumed-role/support-agent-irsa/botocore-session-1' },
      'k8s:prod/support/support-agent',
      'irsa',
    ],
    ['IRSA shared role', { roleArn: 'arn:aws:iam::123456789012:role/rag-irsa' }, undefined, 'shared-service-account'],
    [
      'Pod Identity association role without tags',
      { roleArn: 'arn:aws:iam::123456789012:role/exporter' },
      'k8s:prod/batch/nightly-export',
      'irsa',
    ],
    [
      'role of another account',
      { arn: 'arn:aws:sts::999999999999:assumed-role/support-agent-irsa/s' },
      undefined,
      'unknown-role',
    ],
    [
      'Bedrock agent service role',
      { arn: 'arn:aws:sts::123456789012:assumed-role/AmazonBedrockExecutionRoleForAgents_support/BedrockAgents-1' },
      'bedrock:us-east-1/AGENT12345',
      'bedrock:service-role',
    ],
    ['an IAM user', { arn: 'arn:aws:iam::123456789012:user/alice' }, undefined, 'no-identity-info'],
    ['nothing', {}, undefined, 'no-identity-info'],
  ])('%s', (_n, ref, subject, how) => {
    const e = r.explainPrincipal(ref, T(10));
    expect(e.subject).toBe(subject);
    expect(e.subject ? (e as { method: string }).method : (e as { reason: string }).reason).toBe(how);
  });

  it.each([
    [{ agentId: 'AGENT12345' }, 'bedrock:us-east-1/AGENT12345'],
    [{ agentId: 'OTHER', region: 'us-west-2' }, 'bedrock:us-west-2/OTHER'],
    [{ agentId: 'NOREGION' }, 'bedrock:eu-west-1/NOREGION'],
    [
      { roleArn: 'arn:aws:iam::123456789012:role/service-role/AmazonBedrockExecutionRoleForAgents_support' },
      'bedrock:us-east-1/AGENT12345',
    ],
    [{ roleArn: 'arn:aws:iam::123456789012:role/nope' }, undefined],
  ])('Bedrock agent %j -> %s', (ref, subject) => {
    expect(r.byBedrockAgent(ref, T(10))).toBe(subject);
  });

  it('pod IP reuse across two pods over time, and counts what it cannot attribute', () => {
    const fresh = createIdentityResolver({ leases });
    expect(fresh.byIp('10.0.1.23', T(10))).toBe('k8s:prod/support/support-agent');
    expect(fresh.byIp('10.0.1.23', T(12))).toBe('k8s:prod/batch/nightly-export');
    expect(fresh.byIp('10.0.1.23', T(11, 10))).toBeUndefined();
    expect(fresh.byIp('10.0.3.3', T(10))).toBeUndefined();
    expect(fresh.byIp('192.0.2.1', T(10))).toBeUndefined();
    expect(fresh.byIp('10.0.1.23', 'not a time')).toBeUndefined();
    expect(fresh.byPrincipal({}, T(10))).toBeUndefined();
    expect(fresh.stats()).toEqual({
      resolved: { 'ip-lease': 2 },
      unattributed: {
        'outside-leases': 1,
        'lease-without-deployment': 1,
        'no-lease-for-ip': 1,
        'invalid-time': 1,
        'no-identity-info': 1,
      },
      unattributedBy: { principal: 1, ip: 4, bedrockAgent: 0 },
    });
  });

  it('memoized principal lookups give the first answer again and are each counted', () => {
    const fresh = createIdentityResolver({
      workloads: [{ cluster: 'prod', namespace: 'batch', deployment: 'nightly-export', serviceAccount: 'exporter' }],
      podIdentity: [
        {
          roleArn: 'arn:aws:iam::123456789012:role/exporter',
          cluster: 'prod',
          namespace: 'batch',
          serviceAccount: 'exporter',
        },
      ],
    });
    const session = (s: string): PrincipalRef => ({
      arn: `arn:aws:sts::123456789012:assumed-role/exporter/${s}`,
      roleArn: 'arn:aws:iam::123456789012:role/exporter',
    });
    // Tags naming an unknown service account decide (unattributed) before the role is looked at.
    const unknownSa = { ...session('x'), sessionTags: tags('batch', 'other').sessionTags };
    for (let i = 0; i < 3; i++) {
      expect(fresh.byPrincipal(session(`s-${i}`), T(10))).toBe('k8s:prod/batch/nightly-export');
      expect(fresh.byPrincipal(unknownSa, T(10))).toBeUndefined();
      expect(fresh.byPrincipal({ arn: 'arn:aws:iam::123456789012:user/alice' }, T(10))).toBeUndefined();
    }
    expect(fresh.stats()).toEqual({
      resolved: { irsa: 3 },
      unattributed: { 'unknown-service-account': 3, 'no-identity-info': 3 },
      unattributedBy: { principal: 6, ip: 0, bedrockAgent: 0 },
    });
  });
});

describe('names', () => {
  it.each([
    ['support-agent-7d9f8b6c5d-x2x9q', 'support-agent'],
    ['web-5d8b9c7f4-abcde', undefined], // 'a' and 'e' are not in the safe alphabet
    ['coredns-5dd5756b68-7x4vz', 'coredns'],
    ['debug', undefined],
    ['my-statefulset-0', undefined],
  ])('deploymentFromPodName(%s) = %s', (pod, d) => {
    expect(deploymentFromPodName(pod)).toBe(d);
  });
  it.each([
    ['support-agent-7d9f8b6c5d', undefined, 'support-agent'],
    ['support-agent-7d9f8b6c5d', '7d9f8b6c5d', 'support-agent'],
    ['support-agent-7d9f8b6c5d', 'ffff', undefined],
  ])('deploymentFromReplicaSetName(%s, %s) = %s', (rs, hash, d) => {
    expect(deploymentFromReplicaSetName(rs, hash)).toBe(d);
  });
  it.each([
    ['arn:aws:iam::123456789012:role/a/b/Name', '123456789012:Name'],
    ['arn:aws:sts::123456789012:assumed-role/Name/sess', '123456789012:Name'],
    ['arn:aws-us-gov:iam::123456789012:role/Name', '123456789012:Name'],
    ['arn:aws:iam::123456789012:user/alice', undefined],
  ])('roleKey(%s) = %s', (arn, k) => {
    expect(roleKey(arn)).toBe(k);
  });
});

describe('leases from node-agent batches', () => {
  it('a batch lease feeds the resolver (pod IP -> Deployment)', async () => {
    const { leasesFromBatch, NODE_AGENT_SCHEMA } = await import('../../../lib/core/sources/node-agent.ts');
    const { podIpLeases } = await import('../../../lib/core/identity/leases.ts');
    const batch = {
      schema: NODE_AGENT_SCHEMA,
      agent: { node: 'n1', cluster: 'prod', version: '0.1.0' },
      window: { start: T(10), end: T(10, 1) },
      records: [
        {
          type: 'lease',
          ip: '10.0.9.9',
          pod: 'support-agent-7d9f8b6c5d-x2x9q',
          namespace: 'support',
          deployment: 'support-agent',
          from: T(9),
          to: null,
        },
        { type: 'lease', ip: '10.0.9.10', pod: 'debug', namespace: 'default', from: T(9) },
      ],
    };
    const r = createIdentityResolver({ leases: podIpLeases(leasesFromBatch(batch)) });
    expect(r.byIp('10.0.9.9', T(12))).toBe('k8s:prod/support/support-agent');
    expect(r.explainIp('10.0.9.10', T(12))).toEqual({ reason: 'lease-without-deployment' });
  });
});
