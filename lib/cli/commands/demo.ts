/**
 * `warden demo [--out DIR] [--json]` (v0): generates a small sample of two agents' telemetry in real formats
 * (CloudTrail trail files and VPC flow logs, gzip, as AWS delivers them to S3), ingests it into the store with the
 * sample's identity maps, and prints a summary. Later capabilities add their steps after `ingest` in `runDemo`.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { openStore, StoreSpecError } from '../../adapters/open-store.ts';
import { createIdentityResolver } from '../../core/identity/resolver.ts';
import { ingestPaths } from '../../ingest/pipeline.ts';
import { cliSummary, type IngestReport } from '../../ingest/report.ts';
import { generateSample, sampleIdentityMaps } from '../../ingest/sample-data.ts';
import type { SubjectRecord } from '../../ports.ts';
import { CliError, emit, globalOpts } from '../output.ts';

export interface DemoSummary {
  store: string;
  dataDir: string;
  files: string[];
  ingest: ReturnType<typeof cliSummary>;
  subjects: SubjectRecord[];
}

/** Generates the sample into `dataDir`, ingests it into the store named by `storeSpec`, returns the summary. */
export async function runDemo(opts: { storeSpec?: string; dataDir: string }): Promise<DemoSummary> {
  const files = generateSample({ hours: 6, seed: 7 });
  const paths: string[] = [];
  for (const f of files) {
    const p = join(opts.dataDir, f.path);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, f.bytes);
    paths.push(p);
  }
  const store = await openStore(opts.storeSpec).catch((err: unknown) => {
    if (err instanceof StoreSpecError) throw new CliError(err.message, 2, { cause: err });
    throw err;
  });
  try {
    const report: IngestReport = await ingestPaths(store, paths, {
      identity: createIdentityResolver(sampleIdentityMaps()),
    });
    const subjects = (await store.subjects()).sort((a, b) => a.subject.localeCompare(b.subject));
    return { store: store.description, dataDir: opts.dataDir, files: paths, ingest: cliSummary(report), subjects };
  } finally {
    await store.close();
  }
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('generate a small sample of two agents, ingest it, and summarize')
    .option('--out <dir>', 'where to write the generated sample (default: a new temp directory)')
    .action(async function (this: Command) {
      const { out } = this.opts<{ out?: string }>();
      const dataDir = out ? resolve(out) : mkdtempSync(join(tmpdir(), 'warden-demo-'));
      mkdirSync(dataDir, { recursive: true });
      const summary = await runDemo({ storeSpec: globalOpts(this).store, dataDir });
      emit(this, summary, () =>
        [
          `generated ${summary.files.length} files (CloudTrail and VPC flow logs, gzip) under ${summary.dataDir}`,
          `ingested ${summary.ingest.records} records -> ${summary.ingest.observations} observations, ${summary.ingest.stored} aggregates, ${summary.ingest.quarantined} quarantined`,
          `store: ${summary.store}`,
          'subjects:',
          ...summary.subjects.map(
            (s) => `  ${s.subject}  ${s.observations} observations  ${s.firstSeen} .. ${s.lastSeen}`,
          ),
          'next: warden subjects',
        ].join('\n'),
      );
    });
}
