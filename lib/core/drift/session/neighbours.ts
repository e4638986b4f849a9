/**
 * Task grouping from the user's request: the agent's benign sessions whose requests share the most (rare) words with
 * this one. Words are keyed hashes, so this works under every content policy. Similarity is an IDF-weighted Jaccard
 * index; the neighbours condition what "usual" means (the tools a task of this sort calls, whether such tasks take
 * values from tool results) and the agent-wide rates remain the fall-back (back-off) when no request is alike.
 */
import { idf, type ModelIndex } from './model.ts';
import type { SessionSummary } from './types.ts';

/** Most neighbours considered. */
export const NEIGHBOURS = 10;
/** Requests less alike than this are not of the same task. */
export const MIN_SIMILARITY = 0.2;
/** Pseudo-sessions the agent-wide rate weighs in a neighbour-conditioned estimate (the back-off). */
export const BACKOFF_WEIGHT = 1.5;

export interface Neighbour {
  session: SessionSummary;
  similarity: number;
}

/** The most alike benign sessions (leaving out `ex`, e.g. the session itself during calibration). */
export function neighbours(ix: ModelIndex, s: SessionSummary, ex?: SessionSummary): Neighbour[] {
  if (s.words.length === 0) return [];
  // Intersections through the posting lists of this request's words: only sessions sharing a word are visited.
  const inter = new Map<number, number>();
  let mineWeight = 0;
  for (const w of new Set(s.words)) {
    const x = idf(ix, w);
    mineWeight += x;
    for (const i of ix.postings.get(w) ?? []) inter.set(i, (inter.get(i) ?? 0) + x);
  }
  const out: Neighbour[] = [];
  for (const [i, shared] of inter) {
    const other = ix.model.sessions[i]!;
    if (other === ex || other.id === s.id) continue;
    const sim = shared / (mineWeight + ix.wordWeight[i]! - shared);
    if (sim >= MIN_SIMILARITY) out.push({ session: other, similarity: sim });
  }
  return out
    .sort((a, b) => b.similarity - a.similarity || a.session.id.localeCompare(b.session.id))
    .slice(0, NEIGHBOURS);
}

/**
 * P(event) for this session's task: the neighbours' similarity-weighted share, backed off to the agent-wide rate.
 * `has(n)` says whether a neighbour shows the event; `eligible(n)` whether it could have (default: always).
 */
export function conditioned(
  nb: Neighbour[],
  agentRate: number,
  has: (s: SessionSummary) => boolean,
  eligible: (s: SessionSummary) => boolean = () => true,
): number {
  let num = 0;
  let den = 0;
  for (const n of nb) {
    if (!eligible(n.session)) continue;
    den += n.similarity;
    if (has(n.session)) num += n.similarity;
  }
  return (num + BACKOFF_WEIGHT * agentRate) / (den + BACKOFF_WEIGHT);
}
