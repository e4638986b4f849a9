/** When a drain's run stops gathering, how much it asks for, and how long it hides what it received. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DrainBounds,
  gatherStop,
  OBJECT_DRAIN_BOUNDS,
  receiveCount,
  visibilitySeconds,
} from '../../../lib/core/queue-drain.ts';

const B: DrainBounds = { maxMessages: 25, maxBytes: 1000, budgetMs: 60_000, visibilityMarginMs: 30_000 };

describe('gatherStop', () => {
  it.each([
    [{ messages: 0, bytes: 0 }, 0, undefined],
    [{ messages: 24, bytes: 999 }, 59_999, undefined],
    [{ messages: 25, bytes: 0 }, 0, 'messages'],
    [{ messages: 3, bytes: 1000 }, 0, 'bytes'],
    [{ messages: 3, bytes: 10 }, 60_000, 'time'],
    [{ messages: 25, bytes: 5000 }, 90_000, 'messages'],
  ] as const)('%o after %i ms -> %s', (run, elapsed, want) => {
    expect(gatherStop(run, elapsed, B)).toBe(want);
  });
});

describe('receiveCount and visibilitySeconds', () => {
  it('asks for at most 10 and never beyond the run bound', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 200 }), (held, max) => {
        const n = receiveCount(held, { ...B, maxMessages: max });
        expect(n).toBeGreaterThanOrEqual(0);
        expect(n).toBeLessThanOrEqual(10);
        expect(held + n).toBeLessThanOrEqual(Math.max(held, max));
      }),
    );
  });

  it('hides for the budget left plus the margin, within what SQS accepts', () => {
    expect(visibilitySeconds(0, B)).toBe(90);
    expect(visibilitySeconds(59_500, B)).toBe(31);
    expect(visibilitySeconds(120_000, B)).toBe(30);
    expect(visibilitySeconds(0, { ...B, budgetMs: 0, visibilityMarginMs: 0 })).toBe(1);
    fc.assert(
      fc.property(fc.nat(10 ** 9), fc.nat(10 ** 9), fc.nat(10 ** 9), (elapsed, budgetMs, visibilityMarginMs) => {
        const s = visibilitySeconds(elapsed, { ...B, budgetMs, visibilityMarginMs });
        expect(Number.isInteger(s) && s >= 1 && s <= 43_200).toBe(true);
      }),
    );
  });

  it("IngestObjects' bounds leave the last run at least 5 minutes of the 15-minute timeout, hidden throughout", () => {
    expect(OBJECT_DRAIN_BOUNDS.budgetMs + 5 * 60_000).toBeLessThanOrEqual(15 * 60_000);
    // A message received at the start stays hidden past the function's timeout.
    expect(visibilitySeconds(0, OBJECT_DRAIN_BOUNDS)).toBeGreaterThanOrEqual(15 * 60);
  });
});
