/**
 * A generated multi-week workload for one Deployment: pods churn under autoscaling (each lives hours to a day), two
 * rollouts change packages, a tool and the model, and behavior has a common core plus a long tail of rare keys.
 * Emits hourly AggregateRows both per Deployment (what Warden baselines) and per pod (the grouping that cannot
 * converge because every pod starts from nothing). Deterministic for a seed. Used by the baseline acceptance tests
 * and bench/baseline.ts; it is a test-data generator, not a model of any real agent.
 */
import { keyKind, type Layer } from '../core/observation.ts';
import type { AggregateRow } from '../ports.ts';
import { Rng } from './rng.ts';

export interface ChurnScenarioOptions {
  /** Subject of the Deployment. */
  subject?: string;
  /** ISO start (aligned to a UTC day). */
  start?: string;
  days?: number;
  /** Days (from start) at which a rollout happens. */
  rollouts?: number[];
  seed?: number;
  /** Emit per-pod rows too (costly for long scenarios). */
  perPod?: boolean;
}

export interface ChurnScenario {
  subject: string;
  start: string;
  end: string;
  deploymentRows: AggregateRow[];
  /** Rows of the same data grouped per pod (`subject` = `<deployment subject>-<pod suffix>`). */
  podRows: AggregateRow[];
  pods: string[];
}

const LAYER_OF: Record<string, Layer> = {
  exec: 'kernel',
  open: 'kernel',
  syscall: 'kernel',
  net: 'network',
  dns: 'network',
  api: 'cloud-api',
  model: 'application',
  pkg: 'application',
  prompt: 'application',
  mcp: 'application',
  tool: 'tool',
};

interface Behavior {
  key: string;
  /** Probability that a pod shows it in a given hour. */
  p: number;
  /** Mean count per hour when shown, scaled by traffic. */
  rate: number;
  /** Only from this release on (0-based), and before `until`. */
  from?: number;
  until?: number;
  /** Shown once when a pod starts instead of hourly. */
  startup?: boolean;
}

const SYSCALLS = [
  'read',
  'write',
  'openat',
  'close',
  'fstat',
  'mmap',
  'munmap',
  'brk',
  'futex',
  'epoll_wait',
  'epoll_ctl',
  'recvfrom',
  'sendto',
  'connect',
  'socket',
  'getrandom',
  'clock_gettime',
  'newfstatat',
  'lseek',
  'madvise',
];

function catalog(): Behavior[] {
  const b: Behavior[] = [
    { key: 'exec:/usr/local/bin/python3.11', p: 1, rate: 1, startup: true },
    { key: 'open:/app/prompts/support.txt', p: 1, rate: 1, startup: true },
    { key: 'prompt:/app/prompts/support.txt', p: 1, rate: 1, startup: true },
    { key: 'pkg:pypi:langchain@0.2.5', p: 1, rate: 1, startup: true, until: 1 },
    { key: 'pkg:pypi:langchain@0.2.11', p: 1, rate: 1, startup: true, from: 1 },
    { key: 'pkg:pypi:boto3@1.34.120', p: 1, rate: 1, startup: true, until: 2 },
    { key: 'pkg:pypi:boto3@1.35.2', p: 1, rate: 1, startup: true, from: 2 },
    { key: 'pkg:pypi:anthropic@0.30.0', p: 1, rate: 1, startup: true },
    { key: 'mcp:stdio:server-zendesk', p: 1, rate: 1, startup: true },
    { key: 'net:egress:52.216.0.0/15:443', p: 0.98, rate: 40 },
    { key: 'net:egress:104.16.51.111/32:443', p: 0.95, rate: 25 },
    { key: 'net:egress:13.110.0.0/16:443', p: 0.9, rate: 12 },
    { key: 'dns:api.zendesk.com', p: 0.95, rate: 20 },
    { key: 'dns:login.salesforce.com', p: 0.6, rate: 3 },
    { key: 'dns:bedrock-runtime.us-east-1.amazonaws.com', p: 0.98, rate: 30 },
    {
      key: 'api:bedrock:InvokeModel:arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0',
      p: 0.98,
      rate: 30,
      until: 2,
    },
    {
      key: 'api:bedrock:InvokeModel:arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet-20241022-v2:0',
      p: 0.98,
      rate: 30,
      from: 2,
    },
    { key: 'model:anthropic.claude-3-5-sonnet-20240620-v1:0', p: 0.98, rate: 30, until: 2 },
    { key: 'model:anthropic.claude-3-5-sonnet-20241022-v2:0', p: 0.98, rate: 30, from: 2 },
    { key: 'tool:support-tools/getTicket', p: 0.95, rate: 15 },
    { key: 'tool:support-tools/replyTicket', p: 0.9, rate: 10 },
    { key: 'tool:support-tools/lookupCustomer', p: 0.7, rate: 6 },
    { key: 'tool:support-tools/escalate', p: 0.15, rate: 1, from: 1 },
    { key: 'api:s3:GetObject:arn:aws:s3:::support-kb/*', p: 0.8, rate: 8 },
    { key: 'api:s3:PutObject:arn:aws:s3:::export-bucket/*', p: 0.02, rate: 5 },
    { key: 'api:sts:AssumeRoleWithWebIdentity:*', p: 0.3, rate: 1 },
  ];
  for (const s of SYSCALLS) b.push({ key: `syscall:${s}`, p: 1, rate: 500 });
  // The long tail: rare code paths a Deployment shows over days, each pod only a few of them.
  for (let i = 0; i < 40; i++) {
    const p = 0.0004 + (i % 10) * 0.0012;
    const kind = i % 4;
    const key =
      kind === 0
        ? `syscall:${['statx', 'pread64', 'pwrite64', 'sched_yield', 'getdents64', 'rename', 'unlink', 'mkdir', 'fsync', 'prctl'][i % 10]}_${i}`
        : kind === 1
          ? `open:/app/templates/reply-${i}.j2`
          : kind === 2
            ? `tool:support-tools/rare-${i}`
            : `dns:cdn-${i}.zendesk.com`;
    b.push({ key, p, rate: 1 });
  }
  return b;
}

function rel(rollouts: number[], day: number): number {
  return rollouts.filter((d) => day >= d).length;
}

/** Generates the scenario. Default: 6 weeks from 2026-01-05, rollouts on days 14 and 28. */
export function generateChurnScenario(opts: ChurnScenarioOptions = {}): ChurnScenario {
  const subject = opts.subject ?? 'k8s:prod/support/support-agent';
  const start = Date.parse(opts.start ?? '2026-01-05T00:00:00.000Z');
  const days = opts.days ?? 42;
  const rollouts = opts.rollouts ?? [14, 28];
  const rng = new Rng(opts.seed ?? 7);
  const rnd = () => rng.next();
  const behaviors = catalog();
  const HOUR = 3_600_000;

  const dep = new Map<string, AggregateRow>();
  const perPod = new Map<string, AggregateRow>();
  const pods: string[] = [];
  // Live pods with their end hour; autoscaling keeps 2..6 replicas, following daily traffic.
  let live: { name: string; born: number; until: number; release: number }[] = [];
  let podSeq = 0;

  const add = (
    map: Map<string, AggregateRow>,
    subj: string,
    key: string,
    hourMs: number,
    count: number,
    tMs: number,
    sums: Record<string, number>,
  ) => {
    const window = new Date(hourMs).toISOString();
    const id = `${subj}\u0000${key}\u0000${window}`;
    const t = new Date(tMs).toISOString();
    const row = map.get(id);
    if (row) {
      row.count += count;
      row.firstSeen = row.firstSeen < t ? row.firstSeen : t;
      row.lastSeen = row.lastSeen > t ? row.lastSeen : t;
      for (const [f, v] of Object.entries(sums)) row.sums[f] = (row.sums[f] ?? 0) + v;
      return;
    }
    const kind = keyKind(key);
    map.set(id, {
      subject: subj,
      key,
      window,
      layer: LAYER_OF[kind] ?? 'application',
      kind,
      count,
      firstSeen: t,
      lastSeen: t,
      sources: ['node-agent'],
      attrs: key.startsWith('prompt:') ? { sha256: 'a1b2c3' } : {},
      sums: { ...sums },
    });
  };

  for (let h = 0; h < days * 24; h++) {
    const hourMs = start + h * HOUR;
    const day = Math.floor(h / 24);
    const hod = h % 24;
    const traffic = hod >= 7 && hod < 20 ? 1 : 0.3;
    const release = rel(rollouts, day);
    const rollout = rollouts.includes(day) && hod === 10;
    // A rollout replaces every pod; otherwise pods expire and autoscaling adds some.
    live = rollout ? [] : live.filter((p) => p.until > h);
    const want = Math.max(2, Math.round(2 + 4 * traffic * (0.6 + 0.4 * rnd())));
    while (live.length < want) {
      const name = `${subject}-${release}x${(podSeq++).toString(36).padStart(5, '0')}`;
      pods.push(name);
      live.push({ name, born: h, until: h + 4 + Math.floor(rnd() * 26), release });
    }
    for (const pod of live) {
      for (const beh of behaviors) {
        if (beh.from !== undefined && pod.release < beh.from) continue;
        if (beh.until !== undefined && pod.release >= beh.until) continue;
        if (beh.startup) {
          // Startup behavior happens in the pod's first hour only.
          if (pod.born !== h) continue;
        } else if (rnd() >= beh.p * (beh.p < 0.5 ? 1 : traffic > 0.5 ? 1 : 0.8)) {
          continue;
        }
        const count = beh.startup ? 1 : Math.max(1, Math.round(beh.rate * traffic * (0.7 + 0.6 * rnd())));
        const t = hourMs + Math.floor(rnd() * HOUR);
        const sums: Record<string, number> = beh.key.startsWith('api:s3:PutObject') ? { records: count * 3 } : {};
        add(dep, subject, beh.key, hourMs, count, t, sums);
        if (opts.perPod ?? true) add(perPod, pod.name, beh.key, hourMs, count, t, sums);
      }
    }
  }
  return {
    subject,
    start: new Date(start).toISOString(),
    end: new Date(start + days * 86_400_000).toISOString(),
    deploymentRows: [...dep.values()],
    podRows: [...perPod.values()],
    pods,
  };
}
