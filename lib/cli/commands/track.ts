/** `warden track SUBJECT [--scope FILE | --aws] [--json]`: the observation track with its reasons. */
import type { Command } from 'commander';
import { loadIamCatalog } from '../../adapters/iam-scope.ts';
import { DOC_TRACK, runTrack } from '../../app/reconcile/service.ts';
import { parseSubject } from '../../core/observation.ts';
import type { TrackDecision } from '../../core/track/classify.ts';
import { unknownSubject } from '../hints.ts';
import { CliError, emit, globalOpts } from '../output.ts';
import type { SubjectColumnProvider } from '../subject-columns.ts';
import { parseTime, withStore } from '../with-store.ts';
import { type ScopeOptions, scopeSource, windowDays } from './reconcile.ts';

// `warden subjects` shows the track last decided (stored by `warden track`, the demo, the control plane); a subject
// never tracked shows none rather than a decision made up for the listing.
export const subjectColumns: SubjectColumnProvider = async (store, subjects) => {
  const out = new Map<string, Record<string, unknown>>();
  for (const s of subjects) {
    const doc = await store.getDoc<TrackDecision>(DOC_TRACK, s.subject, 'latest');
    if (doc) out.set(s.subject, { track: doc.body.track });
  }
  return out;
};

export function trackText(d: TrackDecision): string {
  const lines = [`${d.subject}: ${d.track} (${d.rule})`, ...d.reasons.map((r) => `  - ${r}`)];
  lines.push(`  required window: ${d.requiredWindow.description}`);
  if (d.preEnforced) {
    const p = d.preEnforced;
    lines.push(`  staging: ${p.stagingSubject ?? 'none'} (${p.status})`);
    if (p.promotionKey)
      lines.push(
        `  promotion key (${p.promotionKey.kind}): production ${p.promotionKey.production ?? '?'}, staging ${p.promotionKey.staging ?? '?'}`,
      );
    for (const k of p.deviations) lines.push(`  deviation for review: ${k}`);
  }
  return lines.join('\n');
}

export function register(program: Command): void {
  program
    .command('track')
    .description('observation track (observe-in-production or pre-enforced) with reasons')
    .argument('<subject>', 'subject id')
    .option('--scope <file>', 'declared scope as JSON (for privilege and resource tags)')
    .option('--aws', 'read the declared scope live from AWS')
    .option('--kube-context <ctx>', 'kubeconfig context for --aws on k8s subjects')
    .option('--window <days>', 'observation window', '14d')
    .option('--at <time>', 'end of the window (ISO-8601; default now)')
    .action(async function (this: Command, subject: string, opts: ScopeOptions) {
      if (!parseSubject(subject)) throw new CliError(`not a subject id: ${subject}`);
      const days = windowDays(opts.window);
      const now = parseTime(opts.at, '--at');
      const source = await scopeSource(subject, opts);
      const d = await withStore(globalOpts(this).store, async (store) => {
        const known = (await store.subjects()).some((s) => s.subject === subject);
        if (!known && source.scope === undefined && !source.reader) {
          throw unknownSubject(subject, globalOpts(this).store);
        }
        return runTrack({ store, loadCatalog: loadIamCatalog, ...source, now, windowDays: days }, subject);
      });
      emit(this, d, () => trackText(d));
    });
}
