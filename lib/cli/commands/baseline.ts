/**
 * `warden baseline SUBJECT [--chart FILE] [--at T] [--no-refresh] [--json]`: brings the subject's baseline up to date
 * from the store (only aggregates after its watermark are read), prints status, envelope and convergence, and writes
 * the convergence chart as SVG.
 */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { loadBaseline, refreshBaseline } from '../../app/baselines/service.ts';
import { baselineText, baselineView } from '../../app/baselines/view.ts';
import { renderConvergenceChart } from '../../app/charts/convergence.ts';
import { previewOpenWindows } from '../../core/baseline/update.ts';
import { parseSubject } from '../../core/observation.ts';
import { inputError } from '../errors.ts';
import { prepareOutputFile } from '../files.ts';
import { unknownSubject } from '../hints.ts';
import { CliError, emit, globalOpts } from '../output.ts';
import type { SubjectColumnProvider } from '../subject-columns.ts';
import { parseTime, withStore } from '../with-store.ts';

export const subjectColumns: SubjectColumnProvider = async (store, subjects) => {
  const out = new Map<string, Record<string, unknown>>();
  for (const s of subjects) {
    const b = await loadBaseline(store, s.subject).catch(() => undefined);
    out.set(s.subject, { baseline: b ? b.baseline.status : 'none' });
  }
  return out;
};

export function register(program: Command): void {
  program
    .command('baseline')
    .description('show (and update) the behavior baseline of a subject, with its convergence')
    .argument('<subject>', 'subject id, e.g. k8s:prod/support/support-agent or bedrock:us-east-1/AGENTID')
    .option('--chart <file>', 'write the convergence chart (SVG) to FILE')
    .option('--at <time>', 'fold aggregates up to this time (ISO-8601; default now)')
    .option('--no-refresh', 'show the stored baseline without folding new aggregates')
    .action(async function (this: Command, subject: string, opts: { chart?: string; at?: string; refresh: boolean }) {
      if (!parseSubject(subject)) throw new CliError(`not a subject id: ${subject}`);
      const at = parseTime(opts.at, '--at');
      if (opts.chart) prepareOutputFile(opts.chart, '--chart');
      // A time ahead of the clock is for display: the stored fold never passes windows that can still grow.
      const storeAt = at > new Date().toISOString() ? new Date().toISOString() : at;
      const { baseline, openWindows } = await withStore(globalOpts(this).store, async (store) => {
        const known = (await store.subjects()).some((s) => s.subject === subject);
        if (!known) throw unknownSubject(subject, globalOpts(this).store);
        const found = opts.refresh
          ? (await refreshBaseline(store, subject, storeAt)).baseline
          : (await loadBaseline(store, subject))?.baseline;
        if (!found) throw inputError(`no baseline stored for ${subject} yet (run without --no-refresh)`);
        if (!opts.refresh) return { baseline: found, openWindows: 0 };
        // What arrived in the last hour (e.g. from `agent watch`) shows now, folded for this display only.
        const recent = await store.aggregates(subject, { from: found.watermark });
        return previewOpenWindows(found, recent, at);
      });
      const b = baseline;
      const view = baselineView(b, openWindows);
      if (opts.chart) {
        await writeFile(opts.chart, await renderConvergenceChart(b));
        view.chart = opts.chart;
      }
      emit(this, view, () => baselineText(view));
    });
}
