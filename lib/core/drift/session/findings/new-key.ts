/**
 * New keys: a tool, model or API the agent never used in its benign sessions (and no deploy vouched for). Weighed by
 * how often the agent's own sessions brought something new (Good-Turing: sessions whose key no other session used),
 * so a young agent that still adds a tool every few sessions is not alarmed by the next one.
 */
import { type Layer, windowStart } from '../../../observation.ts';
import { bitsOf, keyKindOf, rate, sessionCount, sessionsWith } from '../model.ts';
import type { Finding } from '../types.ts';
import { type FindingContext, type FindingRule, historyWords, pct, shortName } from './types.ts';

const LAYER_OF_KIND: Record<string, Layer> = { api: 'cloud-api', tool: 'tool', kb: 'tool', agent: 'tool' };

export const newKey: FindingRule = {
  kind: 'new-key',
  evaluate({ ix, s, view, ex }: FindingContext): Finding[] {
    const out: Finding[] = [];
    const n = sessionCount(ix, ex);
    const window = windowStart(s.start);
    const exNew = (kind?: string) =>
      ex
        ? [...Object.keys(ex.tools), ...Object.keys(ex.keys)].some(
            (k) => sessionsWith(ix, k) === 1 && (kind === undefined ? k in ex.tools : keyKindOf(k) === kind),
          )
        : false;
    const add = (key: string, count: number, p: number, what: string) => {
      const layer = view?.keys.get(key)?.[0]?.layer ?? LAYER_OF_KIND[keyKindOf(key)] ?? 'application';
      out.push({
        kind: 'new-key',
        signal: 'patternContinuity',
        // With no history everything is new: nothing to weigh (the cold-start rule decides).
        bits: n > 0 ? bitsOf(p) : 0,
        key,
        text:
          n > 0
            ? `${shortName(key)}: ${what} this agent never used in ${historyWords(ix, ex)} (${pct(p)} of its sessions brought one)`
            : `${shortName(key)}: ${what} used with no benign history to compare with`,
        observations: view
          ? [...view.calls.filter((c) => c.key === key).map((c) => c.observation), ...(view.keys.get(key) ?? [])]
          : [],
        change: { type: 'new-key', key, layer, window, observed: count, expectedUpper: 0 },
      });
    };
    const pTool = rate(ix.newToolSessions - (exNew() ? 1 : 0), n);
    for (const [t, c] of Object.entries(s.tools))
      if (sessionsWith(ix, t, ex) <= 0 && !(t in ix.model.accepted)) add(t, c, pTool, 'a tool');
    for (const [k, c] of Object.entries(s.keys)) {
      if (sessionsWith(ix, k, ex) > 0 || k in ix.model.accepted) continue;
      const kind = keyKindOf(k);
      add(k, c, rate((ix.newKeySessions.get(kind) ?? 0) - (exNew(kind) ? 1 : 0), n), `a ${kind} key`);
    }
    return out;
  },
};
