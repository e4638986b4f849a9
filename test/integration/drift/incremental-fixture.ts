/**
 * A small multi-subject history for the incremental drift tests, seeded: a Bedrock mail agent (sessions through the
 * real trace parser, a tool-catalog deploy by a CI principal that brings a new tool, a hijacked session), a Kubernetes
 * worker (egress, S3 calls outside any session, kernel syscalls; a container rollout; a new destination and a burst
 * of reads), and a second worker that only starts late. Drift options are shrunk to days so the whole thing judges
 * in seconds.
 */
import type { DriftOptions } from '../../../lib/core/drift/types.ts';
import type { Observation } from '../../../lib/core/observation.ts';
import { keyKind } from '../../../lib/core/observation.ts';
import { Rng } from '../../../lib/demo/rng.ts';
import {
  AGENT,
  benignSession,
  hijackedSession,
  SUBJECT as MAIL,
  observe,
  type SessionSpec,
  tool,
} from '../../unit/drift/agent-fixture.ts';

export const HOUR = 3_600_000;
export const DAY = 86_400_000;
/** A Monday. */
export const T0 = Date.parse('2026-03-02T00:00:00.000Z');
export const DAYS = 7;
/** The judged period: the last four days. */
export const P0 = T0 + 3 * DAY;
export const END = T0 + DAYS * DAY;

export const OPTIONS: Partial<DriftOptions> = {
  lookbackMs: 2 * DAY,
  minHistoryMs: DAY,
  sessionLookbackMs: 3 * DAY,
  settleMs: DAY / 2,
  minSessions: 6,
  deployWindowMs: DAY,
  maxCalibrationSessions: 40,
};

export const WORKER = 'k8s:prod/app/worker';
export const LATE = 'k8s:prod/app/late-worker';
export const CI = 'unattributed:arn:aws:iam::111122223333:role/ci';

const iso = (t: number) => new Date(t).toISOString();

function o(
  rng: Rng,
  subject: string,
  t: number,
  key: string,
  source: Observation['source'],
  layer: Observation['layer'],
  count = 1,
  attrs: Observation['attrs'] = {},
): Observation {
  return {
    v: 1,
    id: `${subject.slice(-6)}-${t}-${key.slice(0, 24)}-${rng.hex(8)}`,
    time: iso(t),
    source,
    subject,
    layer,
    kind: keyKind(key),
    key,
    count,
    correlation: {},
    attrs,
  };
}

/** A worker's hourly behaviour from `from` to `to`. */
function worker(rng: Rng, subject: string, from: number, to: number, burstAt?: number, newAt?: number): Observation[] {
  const out: Observation[] = [];
  for (let h = from; h < to; h += HOUR) {
    const at = (m: number) => h + m * 60_000 + rng.int(0, 59_000);
    out.push(
      o(rng, subject, at(5), 'net:egress:10.1.0.5/32:443', 'vpc-flow', 'network', rng.int(3, 6), { bytes: 900 }),
    );
    out.push(o(rng, subject, at(9), 'syscall:openat', 'node-agent', 'kernel', rng.int(40, 60)));
    const reads = burstAt !== undefined && h === burstAt ? 30 : rng.int(1, 3);
    for (let k = 0; k < reads; k++)
      out.push(o(rng, subject, at(10 + k), 'api:s3:GetObject:arn:aws:s3:::data/*', 'cloudtrail', 'cloud-api'));
    // A scan: a new destination every hour for four hours (one cluster of adjacent windows).
    if (newAt !== undefined && h >= newAt && h < newAt + 4 * HOUR) {
      const ip = `203.0.113.${9 + (h - newAt) / HOUR}`;
      out.push(o(rng, subject, at(40), `net:egress:${ip}/32:443`, 'vpc-flow', 'network', 4, { bytes: 50_000 }));
    }
  }
  return out;
}

/** A container start of the worker (the node agent's inventory): a digest change is a rollout. */
function start(rng: Rng, subject: string, t: number, digest: string, previous?: string): Observation {
  return o(rng, subject, t, `image:registry.example/worker@${digest}`, 'node-agent', 'application', 1, {
    image: 'registry.example/worker',
    digest,
    ...(previous ? { previousDigest: previous } : {}),
    deployEvent: previous !== undefined && previous !== digest,
  });
}

/** The CI principal's UpdateAgentActionGroup: the mail agent gets `archive_message`. */
function catalogUpdate(rng: Rng, t: number): Observation {
  return o(
    rng,
    CI,
    t,
    `api:bedrock:UpdateAgentActionGroup:arn:aws:bedrock:us-east-1:111122223333:agent/${AGENT}`,
    'cloudtrail',
    'cloud-api',
    1,
    { deployEvent: true, actionGroupName: 'mail-tools', functions: [tool('archive_message').split('/')[1]!] },
  );
}

/** The whole history, seeded. */
export function history(seed: number): Observation[] {
  const rng = new Rng(seed);
  const sessions: SessionSpec[] = [];
  const deployAt = T0 + 4 * DAY + 10 * HOUR + rng.int(0, 3) * HOUR;
  for (let t = T0 + rng.int(1, 3) * HOUR, i = 0; t < END - HOUR; t += rng.int(2, 5) * HOUR, i++) {
    // Some sessions end just before the hour turns: what joins them after it lies in the next window.
    const at = rng.chance(0.4) ? t + HOUR - rng.int(20_000, 60_000) : t + rng.int(0, 1_800_000);
    const s = benignSession(rng, `s-${seed}-${i}`, at, i);
    // After the deploy, some sessions archive what they read: a new tool the deploy brought.
    if (t > deployAt && i % 3 === 0)
      s.calls.push({ fn: 'archive_message', params: { id: 'msg-1001' }, result: '{"ok":true}' });
    sessions.push(s);
  }
  const hijackAt = T0 + 5 * DAY + rng.int(2, 20) * HOUR + rng.int(0, 3_000_000);
  sessions.push(hijackedSession(`hijack-${seed}`, hijackAt));
  // The mail agent's own egress (flow logs: no session), regular, then a new destination during the hijack.
  const egress: Observation[] = [];
  for (let t = T0 + HOUR; t < END; t += 6 * HOUR)
    egress.push(o(rng, MAIL, t + rng.int(0, HOUR - 1), 'net:egress:10.9.9.9/32:443', 'vpc-flow', 'network'));
  egress.push(o(rng, MAIL, hijackAt + 20_000, 'net:egress:198.51.100.7/32:443', 'vpc-flow', 'network', 2));
  // API calls of the agent's role without a session id: within two minutes of a session they join it, later they
  // are window-level behaviour.
  for (const s of sessions.filter((_, i) => i % 2 === 0)) {
    const end = s.start + 5000 * (s.calls.length + 1);
    const late = rng.chance(0.3);
    const at = end + (late ? rng.int(180_000, 3_000_000) : rng.int(10_000, 110_000));
    egress.push(o(rng, MAIL, at, 'api:s3:PutObject:arn:aws:s3:::mail-archive/*', 'cloudtrail', 'cloud-api'));
  }
  const burst = T0 + 5 * DAY + rng.int(0, 23) * HOUR;
  const fresh = T0 + 6 * DAY + rng.int(0, 20) * HOUR;
  const rollout = T0 + 4 * DAY + rng.int(0, 20) * HOUR;
  return [
    ...observe(sessions),
    ...egress,
    catalogUpdate(rng, deployAt),
    ...worker(rng, WORKER, T0, END, burst, fresh),
    start(rng, WORKER, T0 + 10 * 60_000, 'sha256:aaaa'),
    start(rng, WORKER, rollout, 'sha256:bbbb', 'sha256:aaaa'),
    ...worker(rng, LATE, T0 + 5 * DAY + 7 * HOUR, END),
  ];
}

export { MAIL };
