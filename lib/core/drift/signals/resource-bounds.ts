/**
 * Resource bounds: is each key's volume within its rate envelope for that hour of week (lib/core/baseline/
 * rate-envelope.ts bounds over the lookback)? A change scores 1 - upper/observed when above the bound (2x the
 * bound 0.5, 10x 0.9), and a new key is measured against an upper bound of 1.
 */
import { refsForKeys, signalOutput } from './evidence.ts';
import type { Signal, SignalContext, SignalOutput } from './types.ts';

export function excessScore(observed: number, upper: number): number {
  const u = Math.max(upper, 1);
  return observed > u ? 1 - u / observed : 0;
}

export const resourceBounds: Signal = {
  name: 'resourceBounds',
  evaluate(ctx: SignalContext): SignalOutput {
    const { cluster } = ctx;
    const byChange = cluster.changes.map((ch) =>
      ch.type === 'sequence' ? 0 : excessScore(ch.observed, ch.expectedUpper),
    );
    const over = cluster.changes
      .map((ch, i) => ({ ch, s: byChange[i]! }))
      .filter((x) => x.s > 0)
      .sort((a, b) => b.s - a.s);
    const details = over.slice(0, 10).map(({ ch }) => ({
      key: ch.key,
      window: ch.window,
      hourOfWeek: new Date(ch.window).getUTCDay() * 24 + new Date(ch.window).getUTCHours(),
      observed: ch.observed,
      upper: Number(ch.expectedUpper.toFixed(2)),
      ratio: Number((ch.observed / Math.max(ch.expectedUpper, 1)).toFixed(1)),
    }));
    const top = over[0];
    const reason = top
      ? `${over.length} key(s) above the hour-of-week envelope; worst ${top.ch.key}: ${top.ch.observed} vs upper ${top.ch.expectedUpper.toFixed(1)}`
      : 'volume within the hour-of-week envelope';
    return signalOutput(
      byChange,
      reason,
      details,
      refsForKeys(
        ctx.evidence,
        over.map((x) => x.ch.key),
      ),
    );
  },
};
