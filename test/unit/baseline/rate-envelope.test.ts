import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addHour,
  bounds,
  DEFAULT_ALPHA,
  emptyRateEnvelopeSet,
  emptySketch,
  hourOfWeek,
  sketchAdd,
  sketchQuantile,
} from '../../../lib/core/baseline/rate-envelope.ts';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-01-04T00:00:00Z'); // a Sunday

function feed(weeks: number, valueAt: (hourOfWeek: number, week: number) => number) {
  const set = emptyRateEnvelopeSet();
  for (let h = 0; h < weeks * 168; h++) {
    const t = T0 + h * HOUR;
    const v = valueAt(hourOfWeek(t), Math.floor(h / 168));
    const values = new Map<string, { key: string; field: string; value: number }>();
    if (v > 0) values.set('api:s3:PutObject:*', { key: 'api:s3:PutObject:*', field: 'count', value: v });
    addHour(set, t, values, () => true);
  }
  return set;
}

describe('sketch quantiles', () => {
  it('are within the relative accuracy of the exact quantile', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 300 }), (xs) => {
        const s = emptySketch();
        for (const x of xs) sketchAdd(s, x);
        const sorted = [...xs].sort((a, b) => a - b);
        for (const q of [0, 0.25, 0.5, 0.75, 1]) {
          const exact = sorted[Math.floor(q * (sorted.length - 1))]!;
          const got = sketchQuantile(s, q);
          expect(Math.abs(got - exact)).toBeLessThanOrEqual(exact * (DEFAULT_ALPHA + 0.001) + 1e-9);
        }
      }),
    );
  });

  it('is NaN for an empty sketch and counts zeros exactly', () => {
    const s = emptySketch();
    expect(sketchQuantile(s, 0.5)).toBeNaN();
    sketchAdd(s, 0);
    sketchAdd(s, 0);
    sketchAdd(s, 10);
    expect(sketchQuantile(s, 0.5)).toBe(0);
    expect(sketchQuantile(s, 1)).toBeCloseTo(10, 0);
  });
});

describe('rate envelope bounds', () => {
  // Weekly export: Monday 02:00 writes ~2000 objects; otherwise ~20 per hour during working hours, 0 at night.
  const pattern = (how: number) => (how === 26 ? 2000 : how % 24 >= 8 && how % 24 < 18 ? 20 : 0);
  const set = feed(6, (how, week) => pattern(how) + (week % 2));

  it('uses the hour-of-week cell once it has enough samples and keeps the weekly spike inside its own hour', () => {
    const monday2 = '2026-02-16T02:30:00Z';
    expect(hourOfWeek(monday2)).toBe(26);
    const b = bounds(set, 'api:s3:PutObject:*', monday2)!;
    expect(b.basis).toBe('hour-of-week');
    expect(b.samples).toBe(6);
    expect(b.expected).toBeGreaterThan(2000 * (1 - DEFAULT_ALPHA) - 1);
    expect(b.low).toBeLessThan(2000);
    expect(b.high).toBeGreaterThan(2001);
  });

  it('flags the same volume at another hour as out of bounds', () => {
    const wednesday14 = '2026-02-18T14:00:00Z';
    const b = bounds(set, 'api:s3:PutObject:*', wednesday14)!;
    expect(b.expected).toBeGreaterThan(15);
    expect(b.high).toBeLessThan(2400);
    const night = bounds(set, 'api:s3:PutObject:*', '2026-02-18T03:00:00Z')!;
    expect(night.expected).toBe(0);
    expect(night.high).toBeLessThan(5);
  });

  it('falls back to hour-of-day, then to all hours, and is undefined without data', () => {
    const twoWeeks = feed(2, pattern);
    const at = '2026-01-20T10:00:00Z';
    expect(bounds(twoWeeks, 'api:s3:PutObject:*', at)!.basis).toBe('hour-of-day');
    expect(bounds(twoWeeks, 'api:s3:PutObject:*', at, { minSamples: 15 })!.basis).toBe('all');
    expect(bounds(twoWeeks, 'api:s3:PutObject:*', at, { minSamples: 337 })).toBeUndefined();
    expect(bounds(twoWeeks, 'api:s3:GetObject:*', '2026-01-20T10:00:00Z')).toBeUndefined();
  });

  it('stays the same size however long the history is', () => {
    const a = JSON.stringify(feed(2, pattern)).length;
    const b = JSON.stringify(feed(8, pattern)).length;
    expect(b / a).toBeLessThan(1.3);
  });

  it('tracks summed fields separately and starts a series at its first hour', () => {
    const s = emptyRateEnvelopeSet();
    addHour(s, T0, new Map(), () => true);
    addHour(s, T0 + HOUR, new Map([['k#bytes', { key: 'k', field: 'bytes', value: 500 }]]), () => true);
    addHour(s, T0 + 2 * HOUR, new Map(), () => true);
    expect(s.series['k#bytes']!.hours).toBe(2);
    expect(s.series['k#bytes']!.since).toBe(new Date(T0 + HOUR).toISOString());
    addHour(s, T0 + 3 * HOUR, new Map([['x', { key: 'x', field: 'count', value: 1 }]]), () => false);
    expect(s.series.x).toBeUndefined();
  });
});
