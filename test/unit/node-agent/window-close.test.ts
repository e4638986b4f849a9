import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NodeAgentBatch, NodeAgentRecordInput } from '../../../lib/core/sources/node-agent.ts';
import { recordSubject, WindowAggregator } from '../../../node-agent/aggregate.ts';
import { type CloseReason, ShipClock } from '../../../node-agent/ship-clock.ts';
import { closeWindows } from '../../../node-agent/window-close.ts';
import { connect } from '../../support/loader-records.ts';

const HOUR = 3_600_000;
const MIN = 60_000;
// 10:43 UTC: runs cross one or more hour boundaries.
const T0 = Date.parse('2026-11-28T10:43:00.000Z');
const PODS = ['a', 'b', 'c', 'd'];
const DESTS = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6'];
const SYSCALLS = ['read', 'write', 'openat'];

const who = (pod: string) => ({ namespace: 'team', deployment: `agent-${pod}`, pod: `agent-${pod}-7d9-x` });
const subject = (pod: string) => `k8s:prod/team/agent-${pod}`;
const agg = () => new WindowAggregator({ node: 'n1', cluster: 'prod', version: '0.1.0' });

const lease = (pod: string, to: string | null = null): NodeAgentRecordInput => ({
  type: 'lease',
  ip: `10.1.0.${PODS.indexOf(pod) + 1}`,
  pod: `agent-${pod}-7d9-x`,
  namespace: 'team',
  deployment: `agent-${pod}`,
  podUid: `uid-${pod}`,
  from: new Date(T0 - HOUR).toISOString(),
  to,
});

/** What one minute folds: connects and syscall counts of pods, node drops, identity news (a lease closing). */
type Act =
  | { k: 'connect'; pod: number; dest: number; n: number }
  | { k: 'syscalls'; pod: number; name: number; n: number }
  | { k: 'drop'; n: number }
  | { k: 'lease-closed'; pod: number };
const act: fc.Arbitrary<Act> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      k: fc.constant('connect' as const),
      pod: fc.nat(3),
      dest: fc.nat(5),
      n: fc.integer({ min: 1, max: 3 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant('syscalls' as const),
      pod: fc.nat(3),
      name: fc.nat(2),
      n: fc.integer({ min: 1, max: 500 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('drop' as const), n: fc.integer({ min: 1, max: 9 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('lease-closed' as const), pod: fc.nat(3) }) },
);

/** Runs the agent's closing over `minutes` (one tick each), then stops; returns every batch and what was folded. */
function run(minutes: Act[][], policy: { shipMs: number; earlyPerHour: number }) {
  const a = agg();
  const clock = new ShipClock(policy, T0);
  const folded = new Map<string, number>();
  const add = (k: string, n: number) => folded.set(k, (folded.get(k) ?? 0) + n);
  const shipped: Array<{ at: number; batch: NodeAgentBatch; subjects: Map<string, CloseReason>; news: Set<string> }> =
    [];
  let leasesClosed = 0;
  minutes.forEach((acts, m) => {
    acts.forEach((x, i) => {
      const ts = T0 + m * MIN + i;
      if (x.k === 'connect') {
        const pod = PODS[x.pod] as string;
        for (let j = 0; j < x.n; j++) a.add(connect(ts, DESTS[x.dest] as string), who(pod));
        add(`${subject(pod)}|${DESTS[x.dest]}`, x.n);
      } else if (x.k === 'syscalls') {
        const pod = PODS[x.pod] as string;
        const name = SYSCALLS[x.name] as string;
        a.add({ type: 'syscalls', v: 1, ts, cgroupId: '42', counts: [{ nr: x.name, name, count: x.n }] }, who(pod));
        add(`${subject(pod)}|syscall:${name}`, x.n);
      } else if (x.k === 'drop') {
        a.drop('ringbuf_connect', x.n);
        add('drops', x.n);
      } else {
        a.addRecord(lease(PODS[x.pod] as string, new Date(ts).toISOString()), true);
        leasesClosed++;
      }
    });
    const at = T0 + (m + 1) * MIN;
    const news = a.urgentSubjects();
    const closed = closeWindows(a, clock, at, { openLeases: PODS.map((p) => lease(p)) });
    if (closed) shipped.push({ at, ...closed, news });
  });
  const end = T0 + (minutes.length + 1) * MIN;
  const last = closeWindows(a, clock, end, { all: true, openLeases: PODS.map((p) => lease(p)) });
  if (last) shipped.push({ at: end, ...last, news: new Set() });
  return { shipped, folded, leasesClosed, after: a };
}

/** Totals per subject and behavior (and the node's drops) over every shipped batch. */
function totals(batches: NodeAgentBatch[]): Map<string, number> {
  const out = new Map<string, number>();
  const add = (k: string, n: number) => out.set(k, (out.get(k) ?? 0) + n);
  for (const b of batches) {
    for (const n of Object.values(b.drops)) add('drops', n);
    for (const r of b.records) {
      if (r.type === 'connect') add(`${recordSubject(r, 'prod')}|${r.daddr}`, r.count ?? 1);
      if (r.type === 'syscalls')
        for (const [name, n] of Object.entries(r.counts)) add(`${recordSubject(r, 'prod')}|syscall:${name}`, n);
    }
  }
  return out;
}

const policies = fc.record({
  shipMs: fc.constantFrom(5, 10, 30, 60).map((m) => m * MIN),
  earlyPerHour: fc.integer({ min: 0, max: 5 }),
});

describe('per-subject closing (closeWindows over WindowAggregator and ShipClock)', () => {
  it('every record folded ships exactly once, no batch spans an hour, the early cap holds per node and hour', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(act, { maxLength: 6 }), { minLength: 1, maxLength: 150, size: 'max' }),
        policies,
        (ms, p) => {
          const { shipped, folded, leasesClosed, after } = run(ms, p);
          expect(totals(shipped.map((s) => s.batch))).toEqual(folded);
          expect(after.openSubjects().size).toBe(0);
          // Each closed lease (identity news) ships once; the open leases only with their own subject's batches.
          const leases = shipped.flatMap((s) => s.batch.records.filter((r) => r.type === 'lease'));
          expect(leases.filter((r) => r.type === 'lease' && r.to).length).toBe(leasesClosed);
          const early = new Map<number, number>();
          for (const { at, batch, subjects } of shipped) {
            const start = Date.parse(batch.window.start);
            expect(start).toBeLessThan(at);
            expect(Math.floor(start / HOUR)).toBe(Math.floor((at - 1) / HOUR));
            for (const r of batch.records) {
              const s = recordSubject(r, 'prod');
              expect(subjects.has(s)).toBe(true);
              if (r.type !== 'lease' && 'time' in r && r.time) expect(Date.parse(r.time)).toBeGreaterThanOrEqual(start);
            }
            if (Object.keys(batch.drops).length) expect(subjects.has('unattributed:node:prod/n1')).toBe(true);
            // The cap counts early batches per node and hour, not the subjects they carry.
            const hour = Math.floor(at / HOUR);
            if ([...subjects.values()].includes('early')) early.set(hour, (early.get(hour) ?? 0) + 1);
          }
          for (const n of early.values()) expect(n).toBeLessThanOrEqual(p.earlyPerHour);
        },
      ),
      { numRuns: 80 },
    );
  });

  it("a subject's news ships at the next tick, without the subjects that have none, while the cap allows", () => {
    fc.assert(
      fc.property(fc.array(fc.array(act, { maxLength: 6 }), { minLength: 1, maxLength: 90, size: 'max' }), (ms) => {
        const { shipped } = run(ms, { shipMs: 60 * MIN, earlyPerHour: 60 });
        for (const { batch, subjects, news } of shipped) {
          // Every subject holding news at a tick ships at that tick; a subject closing early had news.
          for (const s of news) expect(subjects.has(s)).toBe(true);
          for (const [s, reason] of subjects) if (reason === 'early') expect(news.has(s)).toBe(true);
          expect(new Set(batch.records.map((r) => recordSubject(r, 'prod')))).toEqual(
            new Set([...subjects.keys()].filter((s) => s !== 'unattributed:node:prod/n1')),
          );
        }
      }),
      { numRuns: 100 },
    );
  });

  it("one pod's new behavior ships that pod's window only; the others' stay open with their leases", () => {
    const a = agg();
    const clock = new ShipClock({ shipMs: 30 * MIN, earlyPerHour: 6 }, T0);
    for (const p of PODS) a.add(connect(T0 + 1000, '10.0.0.1'), who(p));
    const leases = PODS.map((p) => lease(p));
    expect([...closeWindows(a, clock, T0 + MIN, { openLeases: leases })!.subjects.values()]).toEqual(
      PODS.map(() => 'early'),
    );
    for (const p of PODS) a.add(connect(T0 + MIN + 1000, '10.0.0.1'), who(p));
    a.add(connect(T0 + MIN + 2000, '10.0.0.9'), who('b'));
    const b = closeWindows(a, clock, T0 + 2 * MIN, { openLeases: leases })!;
    expect([...b.subjects]).toEqual([[subject('b'), 'early']]);
    expect(b.batch.window).toEqual({
      start: new Date(T0 + MIN).toISOString(),
      end: new Date(T0 + 2 * MIN).toISOString(),
    });
    expect(b.batch.records.map((r) => (r.type === 'connect' ? [r.daddr, r.count] : [r.type]))).toEqual([
      ['lease'],
      ['10.0.0.1', 1],
      ['10.0.0.9', 1],
    ]);
    // 10:45 is not yet full for the others; the hour closes them at 11:00 with their two minutes summed.
    expect(closeWindows(a, clock, T0 + 3 * MIN, { openLeases: leases })).toBeUndefined();
    for (const p of PODS) a.add(connect(T0 + 3 * MIN + 1000, '10.0.0.1'), who(p));
    const h = closeWindows(a, clock, Date.parse('2026-11-28T11:00:00.000Z'), { openLeases: leases })!;
    expect([...h.subjects].sort()).toEqual(PODS.map((p) => [subject(p), 'hour']));
    expect(h.batch.window.start).toBe(new Date(T0 + MIN).toISOString());
    const counts = h.batch.records.flatMap((r) => (r.type === 'connect' ? [[recordSubject(r, 'prod'), r.count]] : []));
    expect(counts.sort()).toEqual(PODS.map((p) => [subject(p), p === 'b' ? 1 : 2]));
    expect(h.batch.records.filter((r) => r.type === 'lease')).toHaveLength(4);
  });
});
