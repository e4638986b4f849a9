/**
 * Pattern continuity of a window-level cluster: a key never seen in the lookback breaks continuity (0.5); volume
 * changes of known keys do not. Continuity of agent sessions (tools, orders, values) is judged per session
 * (../session/findings).
 */
import { refsForKeys, signalOutput } from './evidence.ts';
import type { Signal, SignalContext, SignalOutput } from './types.ts';

export const patternContinuity: Signal = {
  name: 'patternContinuity',
  evaluate(ctx: SignalContext): SignalOutput {
    const { cluster } = ctx;
    const byChange = cluster.changes.map((ch): number => (ch.type === 'new-key' ? 0.5 : 0));
    const fresh = cluster.changes.filter((c) => c.type === 'new-key');
    return signalOutput(
      byChange,
      fresh.length > 0
        ? `${fresh.length} key(s) never seen in the ${ctx.options.lookbackMs / 86_400_000}-day lookback`
        : 'every key was seen in the lookback',
      fresh.slice(0, 10).map((c) => ({ key: c.key, window: c.window, layer: c.layer })),
      refsForKeys(
        ctx.evidence,
        fresh.map((c) => c.key),
      ),
    );
  },
};
