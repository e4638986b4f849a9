/** Insufficient history: how long the ingested CloudTrail must span before "never seen" may mean unused. */
import { describe, expect, it } from 'vitest';
import { insufficientHistory } from '../../../lib/core/coverage/action-coverage.ts';

const h = (from: string | undefined, to: string | undefined, minDays = 30) => ({
  ...(from ? { from } : {}),
  ...(to ? { to } : {}),
  windowDays: 90,
  minDays,
});

describe('insufficient history', () => {
  it.each<[string, ReturnType<typeof h> | undefined, RegExp | undefined]>([
    ['no history context (core callers)', undefined, undefined],
    ['no event in the window', h(undefined, undefined), /spans no time at all of the 90-day window/],
    ['a detonation of 77 seconds', h('2024-08-02T08:22:39Z', '2024-08-02T08:23:56Z'), /spans 1 minutes \(/],
    ['five hours', h('2026-11-01T00:00:00Z', '2026-11-01T05:00:00Z'), /spans 5\.0 hours/],
    ['29.5 days', h('2026-10-01T00:00:00Z', '2026-10-30T12:00:00Z'), /spans 29\.5 days .* at least 30 days/],
    ['exactly 30 days', h('2026-10-01T00:00:00Z', '2026-10-31T00:00:00Z'), undefined],
    ['seven weeks', h('2026-10-12T00:00:00Z', '2026-11-30T00:00:00Z'), undefined],
    ['no minimum', h('2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z', 0), undefined],
  ])('%s', (_n, history, expected) => {
    const r = insufficientHistory(history);
    if (expected) expect(r).toMatch(expected);
    else expect(r).toBeUndefined();
  });
});
