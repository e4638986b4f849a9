/**
 * `warden demo [--out DIR] [--json]`: the reference incident end to end (see lib/cli/demo-run.ts), written to the same
 * store every other command reads by default (`--store`, WARDEN_STORE, else .warden). The terminal summary fits
 * one screen, names the files and ends with next steps that run as printed and show the incident; `--json` prints
 * the summary object (store, files, subjects, risky drift items, the incident's audit id, the next steps).
 */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { figureLines } from '../../app/rollout/figures.ts';
import { type DemoSummary, runDemo } from '../demo-run.ts';
import { hint } from '../hints.ts';
import { emit, globalOpts, printable } from '../output.ts';

const DAY = 86_400_000;

export function register(program: Command): void {
  program
    .command('demo')
    .description(
      'run the reference incident end to end: ingest, baselines, reconcile, artifacts, rollout, drift, audit, report',
    )
    .option('--out <dir>', 'where telemetry, artifacts, the event log and the report go', 'warden-demo')
    .action(async function (this: Command) {
      const { out } = this.opts<{ out: string }>();
      const g = globalOpts(this);
      const tty = Boolean(process.stderr.isTTY) && !g.json;
      if (!g.json) process.stderr.write('warden demo: seven weeks of a customer-support agent and its neighbours\n');
      const s = await runDemo({
        outDir: resolve(out),
        ...(g.store ? { storeSpec: g.store } : {}),
        progress: tty,
        command: (args) => hint(args, g.store ? { store: g.store } : {}),
        log: g.json ? () => {} : (l) => process.stderr.write(`${printable(l)}\n`),
      });
      const next = demoNextSteps(s, g.store);
      emit(this, { ...s, next }, () => demoText(s, next));
    });
}

/** Next steps that run as printed: the demo's store, its drift period (however long ago it was generated), its audit id. */
export function demoNextSteps(s: DemoSummary, store: string | undefined, now = Date.now()): string[] {
  const sinceDays = Math.ceil((now - Date.parse(s.timeline.driftFrom)) / DAY);
  const opts = store ? { store } : {};
  return [
    hint(['subjects'], opts),
    hint(['drift', '--since', `${sinceDays}d`], opts),
    ...(s.incident.auditId ? [hint(['audit', '--input', s.incident.auditId], opts)] : []),
  ];
}

/** The one-screen summary, ending with `next`, one command per line. */
export function demoText(s: DemoSummary, next: string[]): string {
  const total = Object.values(s.timings).reduce((a, b) => a + b, 0);
  const risky = s.riskyDrift[0];
  return [
    '',
    `ingested ${s.ingest.records} records -> ${s.ingest.observations} observations (${s.ingest.quarantined} quarantined) into ${s.store}`,
    'agents:',
    ...s.subjects.map(
      (a) =>
        `  ${a.subject.padEnd(40)} ${String(a.class ?? '-').padEnd(17)} ${String(a.track ?? '-').padEnd(22)}` +
        (a.unusedExcess !== undefined ? ` excess ${a.unusedExcess}, overreach ${a.inheritedOverreach}` : ''),
    ),
    `rollout ${s.rollout.rolloutId}: ${s.rollout.path.filter((p) => /^(Enforce|Rollback)/.test(p)).join(', ')} -> ${s.rollout.status}${s.rollout.error ? ` (${s.rollout.error})` : ''}`,
    ...figureLines(s.rollout.classes),
    `drift (weeks 3-7): ${s.drift.evolution} expected evolution, ${s.drift.risky} risky`,
    ...(risky
      ? [
          `  RISKY ${risky.subject} score ${risky.score}: ${risky.summary}`,
          `        signals ${risky.signals.join(' ')}`,
        ]
      : ['  no risky drift found']),
    `incident ${s.incident.ticket ?? '-'}: audit ${s.incident.auditId ?? 'not found'} [${s.incident.layers.join(' ')}], chain ${s.incident.verify}`,
    'files:',
    `  report     ${s.files.report ?? '(not written)'}`,
    `  artifacts  ${s.files.artifacts.length} files under ${join(s.outDir, 'artifacts')}`,
    `  events     ${s.files.events}`,
    `  telemetry  ${s.files.telemetry.length} files under ${join(s.outDir, 'telemetry')}`,
    `done in ${(total / 1000).toFixed(0)} s${s.timeline.reused ? ` (the store already held this demo's weeks ${s.timeline.start.slice(0, 10)} .. ${s.timeline.end.slice(0, 10)}: replayed them)` : ''}. next:`,
    ...next.map((n) => `  ${n}`),
  ].join('\n');
}
