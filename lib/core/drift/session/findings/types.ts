/**
 * Finding rules: one family per file, each a pure function of the agent's model and one session. A rule must give
 * the same bits from the summary alone (calibration scores benign sessions from their summaries) as with the view
 * (judged sessions), which only adds evidence and the words of the reasons.
 */
import type { ModelIndex } from '../model.ts';
import type { Neighbour } from '../neighbours.ts';
import type { SinkMarks } from '../sinks.ts';
import type { Finding, FindingKind, SessionSummary } from '../types.ts';
import type { SessionView } from '../view.ts';

export interface FindingContext {
  ix: ModelIndex;
  s: SessionSummary;
  /** The judged session's observations and values (absent when calibration scores a model session). */
  view?: SessionView;
  /** The session left out of the model (calibration: the session being scored). */
  ex?: SessionSummary;
  nb: Neighbour[];
  marks: SinkMarks;
}

export interface FindingRule {
  kind: FindingKind;
  evaluate(ctx: FindingContext): Finding[];
}

/** Days between the first and last session of the model, for reasons ("in 140 sessions over 41 days"). */
export function historyWords(ix: ModelIndex, ex?: SessionSummary): string {
  const n = ix.n - (ex ? 1 : 0);
  const days = Number.isFinite(ix.firstStart)
    ? Math.max(1, Math.round((ix.lastStart - ix.firstStart) / 86_400_000))
    : 0;
  return `${n} benign session${n === 1 ? '' : 's'} over ${days} day${days === 1 ? '' : 's'}`;
}

/** The short name of a key for reasons: `tool:airline-tools/book` -> `book`. */
export function shortName(key: string): string {
  if (key.startsWith('tool:')) return key.slice(key.lastIndexOf('/') + 1);
  return key;
}

export const pct = (p: number) => (p >= 0.1 ? `${Math.round(p * 100)}%` : `${(p * 100).toFixed(1)}%`);
