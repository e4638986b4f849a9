/**
 * A rollout's blast radius per class, read back from its transitions: the evaluation window, the data the
 * artifacts were generated from, the events evaluated and would-be-denied per kind, and the verdict. What
 * `warden rollout start`/`status` and the demo print.
 */
import type { Store } from '../../ports.ts';
import type { BlastSummary } from './deps.ts';
import { transitions } from './record.ts';

export interface RolloutClassFigures {
  class: string;
  window: BlastSummary['window'];
  generatedUntil: string;
  measured: boolean;
  evaluatedEvents: number;
  wouldDenyEvents: number;
  perKind: Record<string, { measured: boolean; evaluatedEvents: number; wouldDenyEvents: number }>;
  verdict: string;
}

export async function rolloutFigures(store: Store, rolloutId: string): Promise<RolloutClassFigures[]> {
  const out: RolloutClassFigures[] = [];
  for (const t of await transitions(store, rolloutId)) {
    if (t.step !== 'measure-blast-radius') continue;
    const b = t.blast as BlastSummary | undefined;
    if (!b?.window) continue;
    out.push({
      class: String(t.class),
      window: b.window,
      generatedUntil: b.generatedUntil,
      measured: b.measured,
      evaluatedEvents: b.evaluatedEvents,
      wouldDenyEvents: b.wouldDenyEvents,
      perKind: Object.fromEntries(
        Object.entries(b.perArtifact).map(([k, v]) => [
          k,
          { measured: v.measured, evaluatedEvents: v.evaluatedEvents, wouldDenyEvents: v.wouldDenyEvents },
        ]),
      ),
      verdict: b.verdict,
    });
  }
  return out;
}

/** One line per class for human output. */
export function figureLines(figures: RolloutClassFigures[]): string[] {
  return figures.map((f) => {
    const kinds = Object.entries(f.perKind)
      .filter(([, v]) => v.evaluatedEvents > 0 || v.measured)
      .map(([k, v]) => `${k} ${v.wouldDenyEvents}/${v.evaluatedEvents}`)
      .join(', ');
    return `  ${f.class}: generated from data before ${f.generatedUntil}; ${f.verdict}${kinds ? ` [${kinds}]` : ''}`;
  });
}
