import { describe, expect, it } from 'vitest';
import { noIdentity } from '../../../lib/core/identity/types.ts';
import { nodeAgentParser } from '../../../lib/core/sources/node-agent.ts';
import { WindowAggregator } from '../../../node-agent/aggregate.ts';
import { ShipClock } from '../../../node-agent/ship-clock.ts';
import { connect } from '../../support/loader-records.ts';

const H = Date.parse('2026-11-28T10:00:00.000Z');
const MIN = 60_000;
const who = { namespace: 'support', deployment: 'support-agent', pod: 'support-agent-7d9-x' };

describe('ShipClock', () => {
  const policy = { shipMs: 10 * MIN, earlyPerHour: 2 };
  const S = 'k8s:prod/support/support-agent';

  it.each([
    ['a window under its length with nothing new stays open', H + 3 * MIN, false, undefined],
    ['a window that reached its length closes', H + 10 * MIN, false, 'full'],
    ['a window reaching the next hour closes, full or not', H + 60 * MIN, false, 'hour'],
    ['a window with news closes early', H + 1 * MIN, true, 'early'],
  ])('%s', (_, now, urgent, want) => {
    expect(new ShipClock(policy, H).due(S, now, urgent)).toBe(want);
  });

  it('closes early at most earlyPerHour times an hour, and again in the next hour', () => {
    const c = new ShipClock(policy, H);
    const reasons: (string | undefined)[] = [];
    for (let m = 1; m <= 70; m++) reasons.push(c.tick(H + m * MIN, [S], new Set([S]))?.subjects.get(S));
    // Two early closes in hour 10, then the full window closes at 10:12, 10:22 ... and the hour at 11:00.
    expect(reasons.slice(0, 12).filter(Boolean)).toEqual(['early', 'early', 'full']);
    expect(reasons[59]).toBe('hour');
    expect(reasons.slice(60, 62)).toEqual(['early', 'early']);
  });

  it("an early batch takes every subject with news and counts once against the node's cap", () => {
    const c = new ShipClock(policy, H);
    expect([...(c.tick(H + MIN, ['noisy', 'quiet', 'calm'], new Set(['noisy', 'quiet']))?.subjects ?? [])]).toEqual([
      ['noisy', 'early'],
      ['quiet', 'early'],
    ]);
    expect(c.earlyLeft(H + MIN)).toBe(1);
    c.tick(H + 2 * MIN, ['noisy', 'calm'], new Set(['noisy']));
    // The node's budget is spent: news waits for its window's end (calm, open since 10:00, is full at 10:10).
    expect(c.tick(H + 3 * MIN, ['noisy', 'quiet', 'calm'], new Set(['noisy', 'quiet']))).toBeUndefined();
    expect([...(c.tick(H + 10 * MIN, ['noisy', 'quiet', 'calm'], new Set(['quiet']))?.subjects ?? [])]).toEqual([
      ['calm', 'full'],
    ]);
  });

  it('a window a subject opens between ticks starts at the earlier tick; the others keep theirs', () => {
    const c = new ShipClock(policy, H);
    expect(c.tick(H + MIN, ['a'], new Set())).toBeUndefined();
    expect(c.windowStart('a')).toBe(H);
    expect(c.tick(H + 4 * MIN, ['a', 'b'], new Set(['b']))).toEqual({
      subjects: new Map([['b', 'early']]),
      start: H + MIN,
    });
    expect(c.windowStart('a')).toBe(H);
    expect(c.tick(H + 10 * MIN, ['a', 'b'], new Set())).toEqual({ subjects: new Map([['a', 'full']]), start: H });
    expect(c.windowStart('b')).toBe(H + 4 * MIN);
  });

  it('ticks land on every hour boundary', () => {
    expect(ShipClock.nextTick(H + 59 * MIN + 30_000, MIN)).toBe(30_000);
    expect(ShipClock.nextTick(H + 5 * MIN, MIN)).toBe(MIN);
    expect(ShipClock.nextTick(H, MIN)).toBe(MIN);
  });
});

describe('WindowAggregator news', () => {
  it('a behavior is news until a window ships it; then only the new one is', () => {
    const agg = new WindowAggregator({ node: 'n1', cluster: 'prod', version: '0.1.0' });
    agg.add(connect(H + 1000, '10.0.0.1'), who);
    agg.add(connect(H + 2000, '10.0.0.1'), who);
    expect(agg.novel).toBe(1);
    expect(agg.urgent).toBe(true);
    agg.flush(new Date(H).toISOString(), new Date(H + MIN).toISOString());
    expect(agg.urgent).toBe(false);
    agg.add(connect(H + MIN + 1000, '10.0.0.1'), who);
    agg.add({ type: 'syscalls', v: 1, ts: H + MIN, cgroupId: '42', counts: [{ nr: 0, name: 'read', count: 5 }] }, who);
    expect(agg.novel).toBe(1);
    agg.flush(new Date(H + MIN).toISOString(), new Date(H + 2 * MIN).toISOString());
    agg.add(
      { type: 'syscalls', v: 1, ts: H + 2 * MIN, cgroupId: '42', counts: [{ nr: 0, name: 'read', count: 5 }] },
      who,
    );
    agg.add(connect(H + 2 * MIN, '10.0.0.2'), who);
    expect(agg.novel).toBe(1);
  });

  it('forgets the least recently shipped behaviors beyond maxKnown', () => {
    const agg = new WindowAggregator({ node: 'n1', cluster: 'prod', version: '0.1.0', maxKnown: 2 });
    for (const [i, d] of ['10.0.0.1', '10.0.0.2', '10.0.0.3'].entries()) {
      agg.add(connect(H + i, d), who);
      agg.flush(new Date(H).toISOString(), new Date(H + MIN).toISOString());
    }
    agg.add(connect(H + 10, '10.0.0.3'), who);
    expect(agg.novel).toBe(0);
    agg.add(connect(H + 11, '10.0.0.1'), who);
    expect(agg.novel).toBe(1);
  });

  it('identity records make the window urgent; re-stated leases do not', () => {
    const agg = new WindowAggregator({ node: 'n1', cluster: 'prod', version: '0.1.0' });
    const lease = {
      type: 'lease' as const,
      ip: '10.0.1.23',
      pod: 'p',
      namespace: 'support',
      from: new Date(H).toISOString(),
    };
    agg.addRecord(lease);
    expect(agg.urgent).toBe(false);
    agg.noteIdentity('unattributed:prod/support/p');
    expect(agg.urgentSubjects()).toEqual(new Set(['unattributed:prod/support/p']));
  });

  it('a ten-minute window sums the minutes it held: one record per behavior, its count the total', () => {
    const agg = new WindowAggregator({ node: 'n1', cluster: 'prod', version: '0.1.0' });
    for (let m = 0; m < 10; m++) for (let k = 0; k < 3; k++) agg.add(connect(H + m * MIN + k, '10.0.0.1'), who);
    const batch = agg.flush(new Date(H).toISOString(), new Date(H + 10 * MIN).toISOString());
    const parsed = nodeAgentParser.parse(
      { text: JSON.stringify(batch) },
      { identity: noIdentity, promptContent: 'hash-only', excerptChars: 0 },
    );
    expect(parsed.observations.map((o) => [o.key, o.count, o.time])).toEqual([
      ['net:egress:10.0.0.1/32:443', 30, new Date(H).toISOString()],
    ]);
  });
});
