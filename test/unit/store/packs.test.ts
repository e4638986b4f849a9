/**
 * Aggregate packs of the DynamoDB store (lib/adapters/dynamo-store-packs.ts), as pure merges: whatever the batching,
 * the order and the replays, a pack holds each unit once and each natural id once, and a pack that outgrows its budget
 * closes and sends the keys it does not hold to single items, the same way on every replay.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeRows } from '../../../lib/adapters/dynamo-store-aggregates.ts';
import { itemSize } from '../../../lib/adapters/dynamo-store-client.ts';
import { decodeItem, encodePack, itemKeys, type PackItem, packRows } from '../../../lib/adapters/dynamo-store-items.ts';
import { bySource, MAX_PACK_BYTES, planPack } from '../../../lib/adapters/dynamo-store-packs.ts';
import type { Observation, SourceName } from '../../../lib/core/observation.ts';
import { aggregateBatch } from '../../../lib/core/store/fold.ts';
import { obs } from '../../integration/store/fixtures.ts';

const SUBJECT = 'k8s:prod/support/support-agent';
const WINDOW = '2026-10-05T08:00:00.000Z';
const KEYS = ['api:s3:GetObject:arn:aws:s3:::tickets/*', 'api:kms:Decrypt:*', 'net:egress:52.216.1.2/32:443'];

/** Applies one batch of units (observations with their segment) to the packs in `state` (per source). */
function apply(state: Map<SourceName, PackItem>, units: Observation[][]): { overflow: number } {
  const observations = units.flat();
  const segments = units.flatMap((u, i) => u.map(() => i));
  const batch = aggregateBatch(observations, segments);
  let overflow = 0;
  for (const [family, aggs] of bySource(batch.aggregates)) {
    const key = { pk: itemKeys.subjectPk(SUBJECT), sk: itemKeys.packSk(WINDOW, family) };
    const r = { key, subject: SUBJECT, window: WINDOW, family };
    const plan = planPack(state.get(family), r, aggs, batch.units, 400);
    overflow += plan.overflow.length;
    // What a reader gets back from the table.
    if (plan.item) state.set(family, decodeItem.pack(plan.item));
  }
  return { overflow };
}

const rowsOf = (state: Map<SourceName, PackItem>) =>
  mergeRows([...state.values()].flatMap(packRows)).map((r) => [r.key, r.count, r.firstSeen, r.lastSeen, r.sources]);

/** The reference: every distinct observation (by id) counted once. */
function reference(all: Observation[]) {
  const byId = new Map(all.map((o) => [o.id, o]));
  const rows = new Map<string, [string, number, string, string, string[]]>();
  for (const o of byId.values()) {
    const r = rows.get(o.key) ?? [o.key, 0, o.time, o.time, []];
    r[1] += o.count;
    if (o.time < r[2]) r[2] = o.time;
    if (o.time > r[3]) r[3] = o.time;
    r[4] = [...new Set([...r[4], o.source])].sort();
    rows.set(o.key, r);
  }
  return [...rows.values()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

describe('aggregate packs', () => {
  it('count each unit and each CloudTrail event id once, whatever the batching, order and replays', () => {
    const unit = fc.array(
      fc.record({
        key: fc.constantFrom(...KEYS),
        // A small id space: the same CloudTrail event reaches Warden in several units (EventBridge and the trail file).
        n: fc.integer({ min: 0, max: 30 }),
        minute: fc.integer({ min: 0, max: 59 }),
        count: fc.integer({ min: 1, max: 5 }),
      }),
      { minLength: 1, maxLength: 6 },
    );
    fc.assert(
      fc.property(
        fc.array(unit, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (raw, order) => {
          const units = raw.map((u, i) =>
            u.map((x, j) => {
              const time = `2026-10-05T08:${String(x.minute).padStart(2, '0')}:00.000Z`;
              // CloudTrail events are the same record whichever unit brings them; flow records are unit-local.
              return x.key.startsWith('api:')
                ? obs(`ct-${x.key}-${x.n}`, `2026-10-05T08:${String(x.n % 60).padStart(2, '0')}:00.000Z`, x.key)
                : obs(`vpc-${i}-${j}`, time, x.key, { count: x.count });
            }),
          );
          const state = new Map<SourceName, PackItem>();
          // Every unit once in order, then replays: single units and pairs in the generated order.
          for (const u of units) apply(state, [u]);
          const first = rowsOf(state);
          for (const i of order) {
            const a = units[i % units.length] as Observation[];
            const b = units[(i * 7 + 1) % units.length] as Observation[];
            apply(state, a === b ? [a] : [a, b]);
          }
          expect(rowsOf(state)).toEqual(first);
          // Units delivered in one batch from the start give the same rows as one by one.
          const together = new Map<SourceName, PackItem>();
          apply(together, units);
          expect(rowsOf(together)).toEqual(first);
          expect(first).toEqual(reference(units.flat()));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('split an aggregate whose observations come from two sources into one pack per source', () => {
    const k = 'net:egress:10.0.0.1/32:443';
    const a = obs('a', WINDOW, k, { count: 2 });
    const b = { ...obs('b', '2026-10-05T08:30:00.000Z', k, { count: 5 }), source: 'node-agent' as const };
    const split = bySource(aggregateBatch([a, b]).aggregates);
    expect([...split.keys()].sort()).toEqual(['node-agent', 'vpc-flow']);
    expect(split.get('node-agent')?.[0]?.parts.get(0)).toMatchObject({ count: 5, firstSeen: b.time });
    expect(split.get('vpc-flow')?.[0]?.parts.get(0)).toMatchObject({ count: 2, firstSeen: a.time });
  });

  it('close when full: the keys held stay, new keys overflow to single items on every later batch and replay', () => {
    // Distinct random attrs do not compress: about 60 keys fill a pack.
    const noise = (i: number) => {
      let x = i + 1;
      return Array.from({ length: 300 }, () => {
        x = (x * 1103515245 + 12345) % 2147483648;
        return (x >> 16).toString(36).slice(-1);
      }).join('');
    };
    const big = Array.from({ length: 120 }, (_, i) =>
      obs(`v${i}`, WINDOW, `net:egress:10.0.${i >> 8}.${i & 255}/32:443`, { attrs: { note: noise(i) } }),
    );
    const state = new Map<SourceName, PackItem>();
    const first = apply(state, [big.slice(0, 10)]);
    expect(first.overflow).toBe(0);
    const second = apply(state, [big.slice(10)]);
    const pack = state.get('vpc-flow') as PackItem;
    expect(pack.closed).toBe(true);
    expect(second.overflow).toBeGreaterThan(0);
    expect(pack.entries.size + second.overflow).toBe(120);
    expect(itemSize(encodePack(pack))).toBeLessThanOrEqual(MAX_PACK_BYTES);
    // A held key still merges into the pack; a new one overflows; replays route the same way and add nothing.
    const held = [...pack.entries.keys()][0] as string;
    expect(apply(state, [[obs('late-1', '2026-10-05T08:59:00.000Z', held)]]).overflow).toBe(0);
    expect(state.get('vpc-flow')?.entries.get(held)?.count).toBe(2);
    expect(apply(state, [[obs('late-2', WINDOW, 'net:egress:192.0.2.1/32:443')]]).overflow).toBe(1);
    const before = state.get('vpc-flow');
    expect(apply(state, [big.slice(10)]).overflow).toBe(second.overflow);
    expect(state.get('vpc-flow')).toEqual(before);
  });
});
