/**
 * `warden drift [--since 30d] [--json] [--chart FILE] [--no-events]`: classifies every agent's changes over the
 * period into expected evolution vs risky drift, stores them, chains the audit entry of each risky item's input,
 * appends "Warden Drift Detected" events (with the audit chain head) to the local event log
 * (.warden/events.ndjson), and prints them: the same use case as the drift Lambda (lib/app/report-drift.ts).
 * `--json` prints the drift objects exactly as the event detail.
 */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { EventLogSink } from '../../adapters/event-log.ts';
import { openStore, StoreSpecError } from '../../adapters/open-store.ts';
import { driftEventWithHead, reportDrift } from '../../app/report-drift.ts';
import { renderChart } from '../../charts/render.ts';
import { driftChartSpec, driftReport } from '../../core/drift/report.ts';
import { prepareOutputFile } from '../files.ts';
import { CliError, emit, globalOpts } from '../output.ts';

/** `30d`, `12h`, `90m` -> ms. */
export function parseDuration(text: string): number {
  const m = /^(\d+)([dhm])$/.exec(text.trim());
  if (!m) throw new CliError(`invalid duration ${JSON.stringify(text)}: expected e.g. 30d, 12h, 90m`);
  return Number(m[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[m[2] as 'd' | 'h' | 'm'];
}

export function register(program: Command): void {
  program
    .command('drift')
    .description('classify drift over a period into expected evolution vs risky drift')
    .option('--since <duration>', 'period to classify, e.g. 30d', '30d')
    .option('--now <time>', 'end of the period (ISO time), default now')
    .option('--chart <file>', 'write the daily evolution/risky chart as SVG')
    .option('--no-events', 'do not append drift events to the local event log')
    .action(async function (this: Command) {
      const o = this.opts<{ since: string; now?: string; chart?: string; events: boolean }>();
      const sinceMs = parseDuration(o.since);
      if (o.chart) prepareOutputFile(o.chart, '--chart');
      if (o.now !== undefined && Number.isNaN(Date.parse(o.now))) throw new CliError(`invalid --now ${o.now}`);
      const store = await openStore(globalOpts(this).store).catch((err: unknown) => {
        if (err instanceof StoreSpecError) throw new CliError(err.message, 2, { cause: err });
        throw err;
      });
      try {
        const run = await reportDrift(
          { store, ...(o.events ? { events: new EventLogSink() } : {}) },
          { sinceMs, ...(o.now ? { now: new Date(o.now).toISOString() } : {}) },
        );
        const report = driftReport(run.items, run.from, run.to);
        if (o.chart) await writeFile(o.chart, await renderChart(driftChartSpec(report) as never));
        const details = run.items.map((d) => driftEventWithHead(d, run.auditHead).detail);
        const unchained = run.chained.filter((c) => c.error);
        emit(this, details, () => {
          const lines = run.items.map(
            (d) =>
              `${d.from.slice(0, 16)}  ${d.classification.padEnd(9)} ${d.score.toFixed(2)}  ${d.subject}  ${d.summary}`,
          );
          return [
            `drift ${run.from.slice(0, 10)} .. ${run.to.slice(0, 10)}: ${report.evolution} expected evolution, ${report.risky} risky (${run.deploys.length} deploy events)`,
            ...lines,
            ...(run.auditHead
              ? [`audit chain head: seq ${run.auditHead.seq} hash ${run.auditHead.hash.slice(0, 16)} (in every event)`]
              : []),
            ...unchained.map((c) => `not chained: ${c.auditId}: ${c.error}`),
            ...(o.chart ? [`chart: ${o.chart}`] : []),
          ].join('\n');
        });
      } finally {
        await store.close();
      }
    });
}
