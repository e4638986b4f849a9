/**
 * `warden drift [--since 30d] [--fp-budget 1%] [--sessions] [--sink PATTERN ...] [--json] [--ocsf]
 * [--chart FILE] [--no-events]`: judges every agent session of the period against its agent's own benign sessions
 * (and classifies the window-level changes of the layers without sessions) into expected evolution vs risky drift,
 * stores the items, chains the audit entry of each risky item's input, appends "Warden Drift Detected" events (with
 * the audit chain head) to the local event log (.warden/events.ndjson), and prints them with their reasons and
 * calibrated rates: the same use case as the drift Lambda (lib/app/report-drift.ts). `--json` prints the drift
 * objects exactly as the event detail; with `--sessions` it prints every judged session's verdict instead.
 * `--ocsf` prints the risky items as OCSF Detection Findings (JSON, with or without --json) and, unless
 * --no-events, appends them to the event log too ("Warden OCSF Detection Finding").
 */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { EventLogSink } from '../../adapters/event-log.ts';
import { openStore, StoreSpecError } from '../../adapters/open-store.ts';
import { renderChart } from '../../app/charts/render.ts';
import { driftText, sessionVerdictJson } from '../../app/drift/text.ts';
import { driftEventWithHead, reportDrift } from '../../app/report-drift.ts';
import { driftChartSpec, driftReport } from '../../core/drift/report.ts';
import { driftFindings } from '../../core/ocsf/detection-finding.ts';
import { prepareOutputFile } from '../files.ts';
import { CliError, emit, emitJson, globalOpts } from '../output.ts';

/** detail-type of a drift finding in OCSF on the bus / event log. */
export const OCSF_FINDING_DETAIL_TYPE = 'Warden OCSF Detection Finding';

/** `30d`, `12h`, `90m` -> ms. */
export function parseDuration(text: string): number {
  const m = /^(\d+)([dhm])$/.exec(text.trim());
  if (!m) throw new CliError(`invalid duration ${JSON.stringify(text)}: expected e.g. 30d, 12h, 90m`);
  return Number(m[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[m[2] as 'd' | 'h' | 'm'];
}

/** `1%`, `0.5%` or `0.01` -> 0.01; a budget must be above 0 and at most 50%. */
export function parseBudget(text: string): number {
  const t = text.trim();
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(t);
  const x = m ? Number(m[1]) / (m[2] ? 100 : 1) : Number.NaN;
  if (!(x > 0 && x <= 0.5))
    throw new CliError(`invalid --fp-budget ${JSON.stringify(text)}: expected e.g. 1% or 0.01 (above 0, at most 50%)`);
  return x;
}

const collect = (v: string, prev: string[]) => [...prev, v];

export function register(program: Command): void {
  program
    .command('drift')
    .description('judge agent sessions and classify drift over a period into expected evolution vs risky drift')
    .option('--since <duration>', 'period to classify, e.g. 30d', '30d')
    .option('--now <time>', 'end of the period (ISO time), default now')
    .option('--fp-budget <rate>', "share of an agent's benign sessions that may be called risky, e.g. 1%", '1%')
    .option('--sessions', 'list every judged session (with --json: the session verdicts instead of the items)')
    .option('--sink <pattern>', 'mark tool arguments as sinks, e.g. tool:mail/send* or tool:mail/send#to', collect, [])
    .option('--not-sink <pattern>', 'mark tool arguments as not sinks', collect, [])
    .option('--chart <file>', 'write the daily evolution/risky chart as SVG')
    .option('--ocsf', 'print risky drift as OCSF 1.7.0 Detection Findings (JSON, with or without --json)')
    .option('--no-events', 'do not append drift events to the local event log')
    .action(async function (this: Command) {
      const o = this.opts<{
        since: string;
        now?: string;
        fpBudget: string;
        sessions?: boolean;
        sink: string[];
        notSink: string[];
        chart?: string;
        events: boolean;
        ocsf?: boolean;
      }>();
      const sinceMs = parseDuration(o.since);
      if (o.chart) prepareOutputFile(o.chart, '--chart');
      const fpBudget = parseBudget(o.fpBudget);
      if (o.now !== undefined && Number.isNaN(Date.parse(o.now))) throw new CliError(`invalid --now ${o.now}`);
      const store = await openStore(globalOpts(this).store).catch((err: unknown) => {
        if (err instanceof StoreSpecError) throw new CliError(err.message, 2, { cause: err });
        throw err;
      });
      try {
        const sink = o.events ? new EventLogSink() : undefined;
        const run = await reportDrift(
          { store, ...(sink ? { events: sink } : {}) },
          {
            sinceMs,
            ...(o.now ? { now: new Date(o.now).toISOString() } : {}),
            options: { fpBudget, sinks: o.sink, notSinks: o.notSink },
          },
        );
        if (o.chart)
          await writeFile(
            o.chart,
            await renderChart(driftChartSpec(driftReport(run.items, run.from, run.to)) as never),
          );
        if (o.ocsf) {
          // OCSF is a JSON format: --ocsf prints it whether or not --json is given.
          const findings = driftFindings(run.items);
          await sink?.publish(
            findings.map((f) => ({ source: 'warden', detailType: OCSF_FINDING_DETAIL_TYPE, detail: f, time: run.to })),
          );
          emitJson(findings);
          return;
        }
        const details = run.items.map((d) => driftEventWithHead(d, run.auditHead).detail);
        const unchained = run.chained.filter((c) => c.error);
        emit(this, o.sessions ? run.sessions.map(sessionVerdictJson) : details, () =>
          [
            driftText(run, o.sessions ? { sessions: true } : {}),
            ...(run.auditHead
              ? [`audit chain head: seq ${run.auditHead.seq} hash ${run.auditHead.hash.slice(0, 16)} (in every event)`]
              : []),
            ...unchained.map((c) => `not chained: ${c.auditId}: ${c.error}`),
            ...(o.chart ? [`chart: ${o.chart}`] : []),
          ].join('\n'),
        );
      } finally {
        await store.close();
      }
    });
}
