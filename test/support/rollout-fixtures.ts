/** Two agents of two classes with baselines and monitor windows, for rollout tests (local and in moto). */
import { join } from 'node:path';
import { DirectoryApplier, DirectoryPullRequests, FixedReviewGate } from '../../lib/adapters/local-rollout.ts';
import type { RolloutDeps } from '../../lib/app/rollout/deps.ts';
import { generateNetworkPolicies } from '../../lib/core/artifacts/network-policy.ts';
import { generateSeccomp } from '../../lib/core/artifacts/seccomp.ts';
import type { ArtifactBaseline } from '../../lib/core/artifacts/types.ts';
import type { ObservedBehavior } from '../../lib/core/reconcile/types.ts';
import type { ArtifactProvider, Store, WardenEvent } from '../../lib/ports.ts';

const T = '2026-11-20T10:00:00.000Z';
const entry = (key: string, count = 50) => ({ key, count, firstSeen: T, lastSeen: T, active: true });
export const RETRIEVER = 'k8s:prod/agents/kb-retriever';
export const CODER = 'k8s:prod/agents/code-runner';

const baselines: Record<string, ArtifactBaseline> = {
  [RETRIEVER]: {
    subject: RETRIEVER,
    version: 5,
    entries: [entry('net:egress:52.217.10.4/32:443'), entry('syscall:read'), entry('syscall:openat')],
  },
  [CODER]: {
    subject: CODER,
    version: 9,
    entries: [entry('net:egress:140.82.112.3/32:443'), entry('syscall:read'), entry('syscall:clone')],
  },
};
const behavior = (key: string, count: number): ObservedBehavior => ({
  key,
  count,
  firstSeen: T,
  lastSeen: T,
  attrs: { podName: 'code-runner-7d9f-abcde' },
});
// Monitor windows: the retriever does what its baseline holds; the code runner starts reaching PyPI and ptrace.
const windows: Record<string, ObservedBehavior[]> = {
  [RETRIEVER]: [behavior('net:egress:52.217.10.4/32:443', 40), behavior('syscall:read', 900)],
  [CODER]: [
    behavior('net:egress:140.82.112.3/32:443', 30),
    behavior('net:egress:151.101.0.223/32:443', 12),
    behavior('syscall:ptrace', 3),
  ],
};

/** The retriever's tightened IAM policy: read-only access to its knowledge bucket. */
export const RETRIEVER_IAM_POLICY = {
  Version: '2012-10-17' as const,
  Statement: [
    { Sid: 'S3Read', Effect: 'Allow' as const, Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::kb-docs/*'] },
  ],
};

export const rolloutProvider: ArtifactProvider = {
  async generate(subject) {
    const b = baselines[subject]!;
    const np = generateNetworkPolicies(b);
    const sc = generateSeccomp(b);
    const iam =
      subject === RETRIEVER
        ? [
            {
              path: 'warden-kb-retriever-tightened.iam-policy.json',
              kind: 'iam-policy' as const,
              enforcementPoint: 'IAM (pull request)',
              content: `${JSON.stringify(RETRIEVER_IAM_POLICY, null, 2)}\n`,
              rules: [],
            },
            {
              path: 'warden-kb-retriever.iam-diff.md',
              kind: 'iam-diff' as const,
              enforcementPoint: 'pull request body',
              content: '| kb-retriever/ReadWrite | kept-narrowed | s3:PutObject | unused-excess:1 |\n',
              rules: [],
            },
          ]
        : [];
    return {
      subject,
      baselineVersion: b.version,
      files: [...np.files, ...sc.files, ...iam],
      monitored: {
        subject,
        networkPolicy: np.files[0]!.content,
        seccompProfile: JSON.parse(sc.files.find((f) => f.path.includes('seccomp.enforce.json'))!.content),
        ...(iam.length > 0 ? { iamPolicies: [RETRIEVER_IAM_POLICY] } : {}),
      },
    };
  },
  // The monitor window's events happen inside the window the rollout asks for (after the monitor was applied).
  async window(subject, _source, range) {
    return windows[subject]!.map((w) => ({ ...w, firstSeen: range.to, lastSeen: range.to }));
  },
};

/** Rollout dependencies on the local adapters under `dir` (cluster and pull-request directories), approving reviews. */
export function localRolloutDeps(
  store: Store,
  dir: string,
  opts: { reviewer?: string; events?: WardenEvent[] } = {},
): RolloutDeps {
  return {
    store,
    artifacts: rolloutProvider,
    applier: new DirectoryApplier(join(dir, 'cluster')),
    pullRequests: new DirectoryPullRequests(join(dir, 'prs')),
    reviews: new FixedReviewGate(true, opts.reviewer),
    events: { publish: async (e) => void opts.events?.push(...e) },
    now: () => new Date().toISOString(),
  };
}

/** The two agent classes of the rollout tests: code-execution goes over the threshold, retrieval stays within it. */
export const TWO_CLASS_SUBJECTS = [
  { subject: CODER, class: 'code-execution', track: 'observe-in-production' },
  { subject: RETRIEVER, class: 'retrieval', track: 'observe-in-production' },
] as const;
