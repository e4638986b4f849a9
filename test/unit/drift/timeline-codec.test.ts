/**
 * The stored form of the sealed drift timeline (lib/app/drift/timeline-codec.ts) gives back exactly what was stored
 * (fast-check), and a key seen every other hour is stored as a bitmap, not as a run per hour.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeDay,
  decodeHour,
  decodeKeys,
  encodeDay,
  encodeHour,
  encodeKeys,
} from '../../../lib/app/drift/timeline-codec.ts';
import type { TimelineKeys } from '../../../lib/core/drift/incremental/timeline-state.ts';

/** Sorted, disjoint, non-adjacent runs of hour indexes from a set of hours. */
const runsOf = (hours: number[]) => {
  const out: number[] = [];
  for (const h of [...new Set(hours)].sort((a, b) => a - b)) {
    if (out.length > 0 && out[out.length - 1] === h - 1) out[out.length - 1] = h;
    else out.push(h, h);
  }
  return out;
};

const H0 = 493_000;
const hours = fc.array(fc.integer({ min: H0, max: H0 + 800 }), { minLength: 1, maxLength: 300 });
const counts = (lo: number, hi: number) =>
  fc.dictionary(
    fc.stringMatching(/^[a-z]{1,6}:[a-z0-9./]{1,12}$/),
    fc.dictionary(fc.integer({ min: lo, max: hi }).map(String), fc.integer({ min: 1, max: 10_000 })),
  );

describe('timeline codec', () => {
  it('gives back the keys, runs and counts it stored', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.stringMatching(/^[a-z]{1,6}:[a-z0-9./]{1,12}$/), hours, { minKeys: 0, maxKeys: 20 }),
        fc.integer({ min: H0 * 3_600_000, max: (H0 + 900) * 3_600_000 }),
        (byKey, sealed) => {
          const k: TimelineKeys = { v: 1, sealed, keys: {} };
          for (const [key, hs] of Object.entries(byKey)) k.keys[key] = { layer: 'network', runs: runsOf(hs) };
          expect(decodeKeys(JSON.parse(JSON.stringify(encodeKeys(k))))).toEqual(k);
        },
      ),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 23 }), counts(20_500, 20_540), (hour, c) => {
        const p = { hour, counts: Object.fromEntries(Object.entries(c).filter(([, v]) => Object.keys(v).length)) };
        expect(decodeHour(JSON.parse(JSON.stringify(encodeHour(p))))).toEqual(p);
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 20_500, max: 20_600 }), counts(0, 23), (day, c) => {
        const p = { day, counts: Object.fromEntries(Object.entries(c).filter(([, v]) => Object.keys(v).length)) };
        expect(decodeDay(JSON.parse(JSON.stringify(encodeDay(p))))).toEqual(p);
      }),
    );
  });

  it('stores a key seen every other hour for four weeks in a few hundred characters', () => {
    const everyOther = runsOf(Array.from({ length: 336 }, (_, i) => H0 + 2 * i));
    const steady = runsOf(Array.from({ length: 672 }, (_, i) => H0 + i));
    const stored = encodeKeys({
      v: 1,
      sealed: 0,
      keys: { a: { layer: 'kernel', runs: everyOther }, b: { layer: 'kernel', runs: steady } },
    });
    expect(typeof stored.keys.a![1]).toBe('string');
    expect(JSON.stringify(stored.keys.a).length).toBeLessThan(150);
    expect(stored.keys.b![1]).toEqual([H0, H0 + 671]);
  });
});
