/** The rollout section: each rollout that covered the subject, its transitions and measured blast radius. */
import { esc, facts, noData, type Section, section, table } from '../html.ts';
import { type SubjectContext, time } from './context.ts';

interface BlastTransition {
  time?: string;
  class?: string;
  blast?: {
    perArtifact: Record<
      string,
      {
        wouldDenyEvents: number;
        keys: number;
        examples: { subject: string; key: string; count: number; reason: string }[];
      }
    >;
    wouldDenyEvents: number;
    evaluatedEvents: number;
    withinThreshold: boolean;
    source: string;
    affectedPods: string[];
  };
}

export function rolloutSection(ctx: SubjectContext): Section {
  const s = ctx.record.subject;
  const mine = ctx.rollouts.filter((r) => JSON.stringify(r.body.classes ?? []).includes(JSON.stringify(s)));
  if (mine.length === 0)
    return section(
      'rollout',
      s,
      'Rollout and blast radius',
      noData(`no rollout covered this subject: run \`${ctx.cmd(['rollout', 'start'])}\``),
      false,
    );
  const parts: string[] = [];
  for (const r of mine) {
    const b = r.body;
    parts.push(`<h4>Rollout <code>${esc(r.id)}</code>: ${esc(b.state ?? '?')}</h4>`);
    parts.push(
      facts([
        ['started', time(b.startedAt as string)],
        ['finished', time(b.finishedAt as string) || '-'],
      ]),
    );
    parts.push(
      table(
        ['time', 'step', 'class', 'detail'],
        r.transitions.map((t) => [time(t.time as string), t.step, t.class ?? '', transitionDetail(t)]),
        { code: [1] },
      ),
    );
    for (const t of r.transitions.filter((x) => x.step === 'measure-blast-radius') as BlastTransition[]) {
      const blast = t.blast;
      if (!blast) continue;
      parts.push(
        `<p>Blast radius (${esc(blast.source)} window, class ${esc(t.class ?? '')}): <strong>${esc(blast.wouldDenyEvents)}</strong> of ${esc(blast.evaluatedEvents)} events would be denied; <span class="tag ${blast.withinThreshold ? 'ok' : 'risky'}">${blast.withinThreshold ? 'within threshold' : 'over threshold'}</span></p>`,
      );
      const rows = Object.entries(blast.perArtifact).map(([kind, v]) => [
        kind,
        v.wouldDenyEvents,
        v.keys,
        v.examples
          .slice(0, 3)
          .map((e) => `${e.key} ×${e.count} (${e.reason})`)
          .join('\n') || '-',
      ]);
      parts.push(table(['artifact', 'would-deny events', 'keys', 'examples'], rows, { code: [3] }));
    }
  }
  return section('rollout', s, 'Rollout and blast radius', parts.join('\n'), true);
}

function transitionDetail(t: Record<string, unknown>): string {
  const { rolloutId: _r, step: _s, time: _t, class: _c, blast, ...rest } = t;
  if (blast) return `blast radius measured`;
  const text = JSON.stringify(rest);
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}
