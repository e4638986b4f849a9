/**
 * Pattern continuity: do the sessions in the cluster follow transitions the subject's sessions made in the lookback
 * (a bigram model over tool / API / egress sequences, see ../sequences.ts)? A session's novelty is
 * 1 - 0.5^(novel transitions): one unseen transition 0.5, two 0.75, three 0.875. A change scores the novelty of the
 * sessions it appears in; a brand-new key that no session carries still breaks continuity at 0.5.
 */
import { refsForKeys } from './evidence.ts';
import type { Signal, SignalContext, SignalOutput } from './types.ts';

export function sessionNovelty(novelTransitions: number): number {
  return 1 - 0.5 ** novelTransitions;
}

export const patternContinuity: Signal = {
  name: 'patternContinuity',
  evaluate(ctx: SignalContext): SignalOutput {
    const { cluster } = ctx;
    const scoreOfKey = new Map<string, number>();
    const scoreOfSession = new Map<string, number>();
    for (const s of cluster.novelSessions) {
      const v = sessionNovelty(s.novel.length);
      scoreOfSession.set(s.id, Math.max(scoreOfSession.get(s.id) ?? 0, v));
      for (const k of s.symbols) scoreOfKey.set(k, Math.max(scoreOfKey.get(k) ?? 0, v));
    }
    const byChange = cluster.changes.map((ch) => {
      if (ch.type === 'sequence') return ch.session ? (scoreOfSession.get(ch.session) ?? 0) : 0;
      const v = scoreOfKey.get(ch.key) ?? 0;
      return ch.type === 'new-key' ? Math.max(0.5, v) : v;
    });
    const score = byChange.reduce((m, x) => Math.max(m, x), 0);
    const worst = [...cluster.novelSessions].sort((a, b) => b.novel.length - a.novel.length).slice(0, 5);
    const details = worst.map((s) => ({
      session: s.id,
      start: s.start,
      novelTransitions: s.novel.map(([a, b]) => `${a} -> ${b}`),
      sequence: s.symbols.slice(0, 20),
    }));
    const keys = new Set<string>();
    for (const s of worst)
      for (const [a, b] of s.novel) for (const k of [a, b]) if (k !== '^' && k !== '$') keys.add(k);
    const evidenceObs = worst.flatMap((s) => s.observations);
    const newKeys = cluster.changes.filter((c) => c.type === 'new-key').length;
    const reason =
      cluster.novelSessions.length === 0
        ? newKeys > 0
          ? `${newKeys} key(s) never seen in the lookback; no session broke known transitions`
          : `sessions follow known transitions (${cluster.modelSessions} sessions in the model)`
        : `${cluster.novelSessions.length} session(s) with transitions unseen in ${cluster.modelSessions} sessions of the lookback; worst ${worst[0]!.id} (${worst[0]!.novel.length} new)`;
    return {
      result: {
        score,
        verdict: score >= 0.5 ? 'anomalous' : 'normal',
        reason,
        details,
        evidence: refsForKeys(
          evidenceObs.length > 0 ? evidenceObs : ctx.evidence,
          keys.size > 0 ? keys : cluster.changes.map((c) => c.key),
        ),
      },
      byChange,
    };
  },
};
