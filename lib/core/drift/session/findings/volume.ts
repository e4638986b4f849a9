/**
 * Volume within one session: calls in the session, calls of one tool, and counts of the other keys it used (an S3
 * PutObject burst attributed to the session). Each is compared with the same count in the agent's benign sessions (a
 * smoothed tail share, extrapolated past the largest value seen), weighed as surprise beyond a coin flip.
 */
import { windowStart } from '../../../observation.ts';
import { bitsOf, keyKindOf, tailProbability } from '../model.ts';
import type { Finding } from '../types.ts';
import { type FindingContext, type FindingRule, historyWords, shortName } from './types.ts';

export const volume: FindingRule = {
  kind: 'volume',
  evaluate({ ix, s, view, ex }: FindingContext): Finding[] {
    const out: Finding[] = [];
    const window = windowStart(s.start);
    const add = (key: string, observed: number, sample: readonly number[], own: number | undefined, what: string) => {
      const bits = bitsOf(tailProbability(sample, observed, ix.n, own)) - 1;
      if (bits <= 0) return;
      const max = maxExcluding(sample, own);
      const asMany = sample.filter((x) => x >= observed).length - (own !== undefined && own >= observed ? 1 : 0);
      const history = historyWords(ix, ex);
      const compared =
        observed > max ? `the most in ${history} was ${max}` : `${asMany} of ${history} had as many or more`;
      const obs = view
        ? key === 'calls'
          ? view.calls.map((c) => c.observation)
          : [...view.calls.filter((c) => c.key === key).map((c) => c.observation), ...(view.keys.get(key) ?? [])]
        : [];
      out.push({
        kind: 'volume',
        signal: 'resourceBounds',
        bits,
        key,
        text: `${observed} ${what} in one session; ${compared}`,
        observations: obs,
        change: {
          type: 'volume',
          key: key === 'calls' ? `session:calls` : key,
          layer: keyKindOf(key) === 'api' ? 'cloud-api' : key.startsWith('model:') ? 'application' : 'tool',
          window,
          observed,
          expectedUpper: max,
        },
      });
    };
    if (ix.n > (ex ? 1 : 0)) add('calls', s.calls, ix.calls, ex?.calls, 'tool calls');
    // Counts of keys the agent used before (a first use is the new-key rule's); own = this session's count in the
    // sample when it is left out (0 when it is not in it).
    for (const [t, c] of Object.entries(s.tools)) {
      const sample = ix.counts.get(t);
      if (sample && c > 1) add(t, c, sample, ex ? (ex.tools[t] ?? 0) : undefined, `calls of ${shortName(t)}`);
    }
    for (const [k, c] of Object.entries(s.keys)) {
      const sample = ix.counts.get(k);
      if (sample && c > 1) add(k, c, sample, ex ? (ex.keys[k] ?? 0) : undefined, k);
    }
    return out;
  },
};

/** The largest value of a sorted sample with one occurrence of `own` left out. */
function maxExcluding(sorted: readonly number[], own: number | undefined): number {
  const last = sorted[sorted.length - 1] ?? 0;
  if (own === undefined || own !== last) return last;
  return sorted[sorted.length - 2] ?? 0;
}
