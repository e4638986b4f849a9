/**
 * `warden ingest PATH... [--source auto|cloudtrail|...] [--vpc-format FORMAT] [--json]`: parses files, directories or
 * globs into the store. `--vpc-format` gives the field order of headerless VPC flow log lines in a custom format once:
 * it is stored for each input's flow log id, S3 prefix or directory, and later ingests there use it by themselves. `--json` prints exactly {records, observations, stored, quarantined, byReason, bySource}, where `stored` is
 * the number of aggregates created or incremented (0 when the same input is ingested again).
 */

import { setFlagsFromString } from 'node:v8';
import type { Command } from 'commander';
import { Option } from 'commander';
import { cpuSample } from '../../adapters/cpu-sample.ts';
import { openStore, parseStoreSpec } from '../../adapters/open-store.ts';
import { expandInputs, localInputFiles, mayHoldManyFiles } from '../../adapters/read-input.ts';
import { loadFlowFormats, primaryScope, saveFlowFormat } from '../../adapters/vpc-flow-formats.ts';
import type { ParseWorkers } from '../../app/ingest/parallel.ts';
import { ingestFiles, SOURCE_CHOICES, type SourceChoice, startParseWorkers } from '../../app/ingest/pipeline.ts';
import { cliSummary, type IngestReport } from '../../app/ingest/report.ts';
import { createIdentityResolver, type IdentityMaps } from '../../core/identity/resolver.ts';
import { parseFlowFormat } from '../../core/sources/vpc-flow-format.ts';
import { usageError } from '../errors.ts';
import { emit, globalOpts } from '../output.ts';

/** Inputs at least this large get a progress bar (on a TTY, without --json). */
const PROGRESS_MIN_BYTES = 8 * 1024 * 1024;

export function register(program: Command): void {
  program
    .command('ingest')
    .description('parse CloudTrail, Bedrock, VPC flow and node-agent files into the store')
    .argument('<paths...>', 'files, directories or glob patterns (gzip detected automatically)')
    .addOption(
      new Option('--source <source>', 'source format, or auto-detect per record')
        .choices([...SOURCE_CHOICES])
        .default('auto'),
    )
    .option(
      '--vpc-format <format>',
      "VPC flow log format of headerless lines, e.g. '${version} ${srcaddr} ${dstaddr} ...' (the flow log's LogFormat); stored for these inputs' flow log / prefix / directory",
    )
    .option(
      '--identity <file>',
      'JSON identity maps (workloads, irsa, podIdentity, bedrockAgents, leases) to attribute subjects',
    )
    .action(async function (this: Command, paths: string[]) {
      const { json, store: spec } = globalOpts(this);
      const {
        source,
        identity: identityFile,
        vpcFormat,
      } = this.opts<{ source: SourceChoice; identity?: string; vpcFormat?: string }>();
      const format = vpcFormat === undefined ? undefined : parseFlowFormat(vpcFormat);
      if (format && !format.ok) throw usageError(`--vpc-format: ${format.error}`);
      // Into the embedded store, parse workers start now: their start-up overlaps the rest of this set-up.
      const embedded = isEmbedded(spec || process.env.WARDEN_STORE || 'embedded');
      // The parse threads keep the cores busy: V8's parallel young-generation collection would add helper threads
      // competing with them (the workers, started next, take the process's flags). Measured on the ingest
      // benchmark's corpus on the 2-core VM: 4% shorter (median of 5 paired rounds, 1.30 s to 1.25 s).
      if (embedded) setFlagsFromString('--no-parallel-scavenge');
      const parseWorkers = embedded ? await startParseWorkers(mayHoldManyFiles(paths), { cpu: cpuSample }) : undefined;
      try {
        await ingest(this, paths, { json, spec, source, identityFile, format, parseWorkers });
      } finally {
        await parseWorkers?.terminate();
      }
    });
}

async function ingest(
  cmd: Command,
  paths: string[],
  o: {
    json: boolean;
    spec: string | undefined;
    source: SourceChoice;
    identityFile: string | undefined;
    format: ReturnType<typeof parseFlowFormat> | undefined;
    parseWorkers: ParseWorkers | undefined;
  },
): Promise<void> {
  const { json, spec, source, identityFile, format, parseWorkers } = o;
  let identity: ReturnType<typeof createIdentityResolver> | undefined;
  let identityMaps: IdentityMaps | undefined;
  if (identityFile) {
    identityMaps = await (await import('../../app/ingest/identity-file.ts')).loadIdentityMaps(identityFile);
    identity = createIdentityResolver(identityMaps);
  }
  const files = await expandInputs(paths);
  const total = files.reduce((n, f) => n + f.size, 0);
  // cli-progress (and its string-width dependencies) loads only when a bar is drawn.
  const bar =
    !json && process.stderr.isTTY && total >= PROGRESS_MIN_BYTES
      ? new (await import('cli-progress')).SingleBar({
          format: 'ingest [{bar}] {percentage}% | {value}/{total} MiB | {records} records',
          stream: process.stderr,
        })
      : undefined;
  const store = await openStore(spec);
  let report: IngestReport;
  const formatScopesSet: string[] = [];
  try {
    if (format?.ok) {
      for (const f of files) {
        const scope = primaryScope(f.path);
        if (scope && !formatScopesSet.includes(scope)) {
          await saveFlowFormat(store, scope, format.fields, 'cli');
          formatScopesSet.push(scope);
        }
      }
    }
    const vpcFormats = await loadFlowFormats(store);
    const before = new Map<string, number>();
    let sum = 0;
    for (const f of files) {
      before.set(f.path, sum);
      sum += f.size;
    }
    bar?.start(Math.ceil(total / 1048576), 0, { records: 0 });
    report = await ingestFiles(store, files, {
      files: localInputFiles,
      cpu: cpuSample,
      source,
      identity,
      identityMaps,
      vpcFormats,
      parseWorkers,
      onProgress: (p) => {
        if (!bar) return;
        // Inputs are taken in order: the bytes before this one, plus what was read of it.
        bar.update(Math.floor(((before.get(p.input) ?? 0) + p.bytes) / 1048576), { records: p.records });
      },
    });
    bar?.update(Math.ceil(total / 1048576), { records: report.records });
  } finally {
    bar?.stop();
    await store.close();
  }
  emit(cmd, cliSummary(report), () =>
    [
      human(report, store.description),
      ...(formatScopesSet.length ? [`  vpc format    stored for ${formatScopesSet.join(', ')}`] : []),
    ].join('\n'),
  );
}

/** The spec names the embedded store (a bad spec is reported when the store is opened, after the inputs). */
function isEmbedded(spec: string): boolean {
  try {
    return parseStoreSpec(spec).kind === 'embedded';
  } catch {
    return false;
  }
}

function human(r: IngestReport, store: string): string {
  // Every bad record is counted by reason; a replayed batch finds its quarantine entries already written.
  const bad = Object.values(r.byReason).reduce((a, b) => a + b, 0);
  const again = bad > r.quarantined ? ` (${bad - r.quarantined} already quarantined)` : '';
  const lines = [
    `ingested ${r.inputs} input(s) into ${store}`,
    `  records       ${r.records}`,
    `  observations  ${r.observations}${fmt(r.bySource)}`,
    `  stored        ${r.stored} aggregates (${r.duplicates} already stored)`,
    `  quarantined   ${Math.max(bad, r.quarantined)}${fmt(r.byReason)}${again}`,
  ];
  if (Object.keys(r.skipped).length > 0) lines.push(`  skipped       ${fmt(r.skipped).trim()}`);
  return lines.join('\n');
}

function fmt(counts: Record<string, number>): string {
  const e = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  return e.length ? `  (${e.map(([k, v]) => `${k} ${v}`).join(', ')})` : '';
}
