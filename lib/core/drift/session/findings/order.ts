/**
 * Order of calls: transitions between known tools that no benign session of the agent made. Real agents reorder
 * their tools all the time, so an order is never scored (0 bits): it is shown as context, and as an expected change
 * when a deploy (prompt revision, model change) explains it. New tools are the new-key rule's business.
 */
import { windowStart } from '../../../observation.ts';
import { bigrams, END, START } from '../../sequences.ts';
import { sessionsWith } from '../model.ts';
import type { Finding } from '../types.ts';
import { type FindingContext, type FindingRule, historyWords, shortName } from './types.ts';

export const order: FindingRule = {
  kind: 'order',
  evaluate({ ix, s, view, ex }: FindingContext): Finding[] {
    // Context only: calibration (no view) has nothing to gain from it.
    if (!view || ix.n === 0) return [];
    const known = (k: string) => k === START || k === END || sessionsWith(ix, k, ex) > 0;
    const out: Finding[] = [];
    const seen = new Set<string>();
    for (const [a, b] of bigrams(s.sequence)) {
      const k = `${a}\u0000${b}`;
      if (seen.has(k) || (ix.bigramCount.get(k) ?? 0) > 0 || !known(a) || !known(b)) continue;
      seen.add(k);
      const words =
        a === START
          ? `starts with ${shortName(b)}`
          : b === END
            ? `ends with ${shortName(a)}`
            : `calls ${shortName(b)} after ${shortName(a)}`;
      out.push({
        kind: 'order',
        signal: 'patternContinuity',
        bits: 0,
        key: `${a} -> ${b}`,
        text: `${words}: an order not seen in ${historyWords(ix, ex)} (orders of known tools vary; not scored)`,
        observations: view.calls.filter((c) => c.key === a || c.key === b).map((c) => c.observation),
        change: {
          type: 'sequence',
          key: `${a} -> ${b}`,
          layer: 'tool',
          window: windowStart(s.start),
          observed: 1,
          expectedUpper: 0,
          transition: [a, b],
          session: s.id,
        },
      });
    }
    return out;
  },
};
