import { describe, expect, it } from 'vitest';
import { generateNetworkPolicies } from '../../../lib/core/artifacts/network-policy.ts';
import type { PolicyDocument } from '../../../lib/core/iam/policy.ts';
import type { ObservedBehavior } from '../../../lib/core/reconcile/types.ts';
import { blastRadius, withinThreshold, wouldBeDenied } from '../../../lib/core/rollout/blast-radius.ts';
import { rolloutDefinition } from '../../../lib/core/rollout/definition.ts';
import { planClasses } from '../../../lib/core/rollout/plan.ts';

const T = '2026-11-20T10:00:00.000Z';
const A = '111122223333';
const b = (key: string, count = 1, attrs: Record<string, unknown> = {}): ObservedBehavior => ({
  key,
  count,
  firstSeen: T,
  lastSeen: T,
  attrs,
});
const ct = (key: string, eventSource: string, eventName: string, extra: Record<string, unknown> = {}) =>
  b(key, 1, { eventSource, eventName, principalArn: `arn:aws:sts::${A}:assumed-role/agent/s`, ...extra });

const tightened: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    { Sid: 'S3Write', Effect: 'Allow', Action: ['s3:PutObject'], Resource: ['arn:aws:s3:::export/*'] },
    { Sid: 'S3List', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: ['arn:aws:s3:::export'] },
    {
      Sid: 'Model',
      Effect: 'Allow',
      Action: ['bedrock:InvokeModel'],
      Resource: ['arn:aws:bedrock:us-east-1::foundation-model/*'],
    },
    {
      Sid: 'Fn',
      Effect: 'Allow',
      Action: ['lambda:InvokeFunction'],
      Resource: [`arn:aws:lambda:us-east-1:${A}:function:lookup`],
    },
    { Sid: 'NoDelete', Effect: 'Deny', Action: ['s3:DeleteObject'], Resource: ['*'] },
  ],
};

// Replaying CloudTrail events through the evaluator against a tightened policy: each row is a documented IAM
// evaluation case (same-account identity policy; explicit deny wins; implicit deny when nothing matches; the
// CloudTrail event name differs from the authorizing action).
describe('IAM replay of CloudTrail calls (monitor mode for IAM)', () => {
  it.each([
    [
      'PutObject on the export bucket: allowed',
      ct('api:s3:PutObject:arn:aws:s3:::export/*', 's3.amazonaws.com', 'PutObject'),
      null,
    ],
    [
      'multipart upload is authorized by s3:PutObject: allowed',
      ct('api:s3:UploadPart:arn:aws:s3:::export/*', 's3.amazonaws.com', 'UploadPart'),
      null,
    ],
    [
      'ListObjectsV2 is authorized by s3:ListBucket on the bucket: allowed',
      ct('api:s3:ListObjectsV2:arn:aws:s3:::export', 's3.amazonaws.com', 'ListObjectsV2'),
      null,
    ],
    [
      'GetObject: nothing allows it: implicit deny',
      ct('api:s3:GetObject:arn:aws:s3:::export/*', 's3.amazonaws.com', 'GetObject'),
      'implicit-deny',
    ],
    [
      'PutObject to another bucket: resource mismatch: implicit deny',
      ct('api:s3:PutObject:arn:aws:s3:::other/*', 's3.amazonaws.com', 'PutObject'),
      'implicit-deny',
    ],
    [
      'DeleteObject: explicit deny wins',
      ct('api:s3:DeleteObject:arn:aws:s3:::export/*', 's3.amazonaws.com', 'DeleteObject'),
      'explicit-deny',
    ],
    [
      'Converse is authorized by bedrock:InvokeModel: allowed',
      ct(
        'api:bedrock:Converse:arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0',
        'bedrock.amazonaws.com',
        'Converse',
      ),
      null,
    ],
    [
      'ConverseStream needs InvokeModelWithResponseStream: implicit deny',
      ct(
        'api:bedrock:ConverseStream:arn:aws:bedrock:us-east-1::foundation-model/x',
        'bedrock.amazonaws.com',
        'ConverseStream',
      ),
      'implicit-deny',
    ],
    [
      'Lambda Invoke is authorized by lambda:InvokeFunction: allowed',
      ct(`api:lambda:Invoke:arn:aws:lambda:us-east-1:${A}:function:lookup`, 'lambda.amazonaws.com', 'Invoke'),
      null,
    ],
    [
      'GetCallerIdentity needs no permission: not evaluated',
      ct('api:sts:GetCallerIdentity:*', 'sts.amazonaws.com', 'GetCallerIdentity'),
      null,
    ],
    [
      'a call that failed at the time is not a legitimate event: not evaluated',
      ct('api:s3:GetObject:arn:aws:s3:::secret/*', 's3.amazonaws.com', 'GetObject', { errorCode: 'AccessDenied' }),
      null,
    ],
  ])('%s', (_name, behavior, expected) => {
    const { denied } = wouldBeDenied({ subject: 's', iamPolicies: [tightened] }, [behavior]);
    if (expected === null) expect(denied).toEqual([]);
    else expect(denied[0]!.reason).toContain(expected);
  });
});

describe('network and seccomp would-be-denials', () => {
  const np = generateNetworkPolicies({
    subject: 'k8s:c/ns/agent',
    version: 1,
    entries: [{ key: 'net:egress:13.110.54.10/32:443', count: 1, firstSeen: T, lastSeen: T, active: true }],
  }).files[0]!.content;

  it('counts events outside the policy and the envelope, with affected pods', () => {
    const window = [
      b('net:egress:13.110.54.10/32:443', 10),
      b('net:egress:13.110.54.10/32:8443', 2, { podName: 'agent-1' }),
      b('net:egress:10.100.0.10/32:53', 50),
      b('net:egress:1.2.3.4/32:443', 3, { podName: 'agent-2' }),
      b('syscall:read', 100),
      b('syscall:ptrace', 1),
    ];
    const r = blastRadius([
      {
        artifacts: {
          subject: 'k8s:c/ns/agent',
          networkPolicy: np,
          seccompProfile: {
            defaultAction: 'SCMP_ACT_ERRNO',
            architectures: ['SCMP_ARCH_X86_64'],
            syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }],
          },
        },
        window,
      },
    ]);
    expect(r.perArtifact.network.wouldDenyEvents).toBe(5);
    expect(r.perArtifact.seccomp.wouldDenyEvents).toBe(1);
    expect(r.affectedPods).toEqual(['agent-1', 'agent-2']);
    expect(r.evaluatedEvents).toBe(166);
    expect(withinThreshold(r)).toBe(false);
    expect(withinThreshold(r, { maxWouldDenyEvents: 10, maxWouldDenyRatio: 0.05 })).toBe(true);
  });
});

describe('rollout plan and definition', () => {
  it('orders classes by ascending risk and separates tracks', () => {
    const plan = planClasses([
      { subject: 'c', class: 'code-execution', track: 'observe-in-production' },
      { subject: 'a', class: 'retrieval', track: 'observe-in-production' },
      { subject: 's', class: 'customer-support', track: 'pre-enforced' },
      { subject: 'x', class: 'unknown-kind', track: 'observe-in-production' },
    ]);
    expect(plan.map((p) => `${p.class}/${p.track}`)).toEqual([
      'retrieval/observe-in-production',
      'customer-support/pre-enforced',
      'code-execution/observe-in-production',
      'unknown-kind/observe-in-production',
    ]);
  });

  it('has Retry with backoff and a Catch on every task state', () => {
    const def = rolloutDefinition({ workerQueueUrl: 'https://sqs/q' });
    const inner = (def.States.Classes as { ItemProcessor: { States: Record<string, Record<string, unknown>> } })
      .ItemProcessor.States;
    const tasks = Object.entries({ ...def.States, ...inner }).filter(
      ([, s]) => (s as { Type: string }).Type === 'Task',
    );
    expect(tasks.length).toBe(11);
    for (const [name, s] of tasks) {
      expect((s as { Catch?: unknown[] }).Catch, name).toBeDefined();
      if (name !== 'IamPullRequest')
        expect((s as { Retry?: { BackoffRate: number }[] }).Retry?.[0]?.BackoffRate, name).toBe(2);
    }
  });
});

describe('blast radius on an evaluation window', () => {
  const subject = 'k8s:prod/agents/web';
  const peer = 'k8s:prod/agents/search';
  const entry = (key: string) => ({ key, count: 5, firstSeen: T, lastSeen: T, active: true });
  const gen = generateNetworkPolicies(
    { subject, version: 2, entries: [entry('net:egress:10.0.3.7/32:8080'), entry('net:egress:52.217.10.4/32:443')] },
    { podLeases: [{ ip: '10.0.3.7', subject: peer, from: '2026-11-01T00:00:00.000Z', to: null }] },
  );
  const artifacts = {
    subject,
    networkPolicy: gen.files[0]!.content,
    peerSelectors: gen.peerSelectors,
  };

  it('never writes a pod IP: the peer is a selector, and replay matches pods by their lease', () => {
    expect(gen.files[0]!.content).not.toContain('10.0.3.7');
    expect(gen.peerSelectors[peer]).toEqual({ namespace: 'agents', labels: { app: 'search' } });
    // the peer restarted with a new IP during the window: still allowed, through the lease of the window
    const moved = wouldBeDenied(artifacts, [b('net:egress:10.0.9.9/32:8080', 4)], [{ ip: '10.0.9.9', subject: peer }]);
    expect(moved.denied).toEqual([]);
    // another Deployment now holds the old address: denied
    const other = wouldBeDenied(
      artifacts,
      [b('net:egress:10.0.3.7/32:8080', 2)],
      [{ ip: '10.0.3.7', subject: 'k8s:prod/agents/x' }],
    );
    expect(other.denied.map((d) => d.key)).toEqual(['net:egress:10.0.3.7/32:8080']);
  });

  it('an empty window is not measured and never within threshold', () => {
    const r = blastRadius([{ artifacts, window: [] }]);
    expect(r.measured).toBe(false);
    expect(r.notMeasured).toEqual(['network']);
    expect(r.perArtifact.network).toMatchObject({ measured: false, evaluatedEvents: 0 });
    expect(withinThreshold(r, { maxWouldDenyEvents: 1000, maxWouldDenyRatio: 1 })).toBe(false);
  });

  it('counts what the kernel logged under the monitor profile as would-be denials', () => {
    const profile = {
      defaultAction: 'SCMP_ACT_ERRNO' as const,
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64'],
      syscalls: [{ names: ['read', 'futex'], action: 'SCMP_ACT_ALLOW' as const }],
    };
    const r = blastRadius([
      {
        artifacts: { subject, seccompProfile: profile },
        window: [
          b('syscall:read', 100, { arch: 'SCMP_ARCH_AARCH64' }),
          b('syscall:futex', 10, { arch: 'SCMP_ARCH_X86' }),
          b('seccomp:logged:ptrace', 2, { profile: 'warden-web-monitor', comm: 'python3' }),
        ],
      },
    ]);
    expect(r.measured).toBe(true);
    expect(r.perArtifact.seccomp.evaluatedEvents).toBe(112);
    expect(r.wouldDeny.map((d) => d.key).sort()).toEqual(['seccomp:logged:ptrace', 'syscall:futex']);
  });

  it('replays the actions the traces show against the tightened IAM policy', () => {
    const doc: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [{ Sid: 'Agent', Effect: 'Allow', Action: ['bedrock:InvokeAgent'], Resource: ['*'] }],
    };
    const traced = { ...b('model:anthropic.claude-3-haiku-20240307-v1:0', 30), sources: ['bedrock-trace'] };
    const r = wouldBeDenied({ subject, iamPolicies: [doc] }, [traced]);
    // InvokeAgent (the workload called its Bedrock agent) is allowed; InvokeModel is not in the document
    expect(r.evaluated.iam).toBe(60);
    expect(r.denied.map((d) => d.reason.split(' ')[0])).toEqual(['bedrock:InvokeModel']);
  });
});
