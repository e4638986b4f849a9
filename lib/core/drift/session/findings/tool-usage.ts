/**
 * Tool usage for the task: how often the agent's sessions with a similar request called this (known) tool, backed
 * off to how often any of its sessions did. A session that suddenly sends, transfers or exports while serving a
 * request of a sort that never did is what a hijacked agent looks like; a tool this task calls half the time is not.
 * Weighed as surprise beyond a coin flip: -log2(p) - 1 bits.
 */
import { bitsOf, rate, sessionCount, sessionsWith } from '../model.ts';
import { conditioned } from '../neighbours.ts';
import type { Finding } from '../types.ts';
import { type FindingContext, type FindingRule, pct, shortName } from './types.ts';

export const toolUsage: FindingRule = {
  kind: 'tool-usage',
  evaluate({ ix, s, view, ex, nb }: FindingContext): Finding[] {
    const out: Finding[] = [];
    const n = sessionCount(ix, ex);
    for (const t of Object.keys(s.tools)) {
      const k = sessionsWith(ix, t, ex);
      if (k <= 0) continue;
      const pAgent = rate(k, n);
      const p = conditioned(nb, pAgent, (x) => t in x.tools);
      const bits = bitsOf(p) - 1;
      if (bits <= 0) continue;
      const similar = nb.filter((x) => t in x.session.tools).length;
      const task =
        nb.length > 0
          ? `${similar} of the ${nb.length} sessions with the most similar requests called it`
          : 'no earlier request was like this one';
      out.push({
        kind: 'tool-usage',
        signal: 'patternContinuity',
        bits,
        key: t,
        text: `${shortName(t)} is unusual for this request: ${task} (${pct(pAgent)} of all ${n} sessions)`,
        observations: view ? view.calls.filter((c) => c.key === t).map((c) => c.observation) : [],
      });
    }
    return out;
  },
};
