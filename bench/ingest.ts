/**
 * Ingest benchmark (`npm run bench -- ingest`), measuring what the user waits for:
 * 1. End to end: `warden ingest DIR` as its own process (start to exit, store included) on gzip CloudTrail trail
 *    files of five minutes each, paired round by round with a bare `gunzip + JSON.parse` process over the same bytes;
 *    the checked ratio is the median of the per-round ratios (records/s of ingest / records/s of bare). Run as the
 *    user runs it, `node bin/warden.js` (the launcher and the compiled CLI it starts, built by `npm run bench`, with
 *    its compiled parse worker), on the embedded default store and on a DynamoDB endpoint (moto_server). Peak RSS of
 *    each process is read at its exit.
 * 2. Memory: peak RSS of the embedded ingest at 1x and 8x the corpus (bounded: it must not follow the input size).
 * 3. The parse path in-process (decode, split, detect, parse, aggregate; no store) against bare JSON.parse.
 * 4. DynamoDB write requests and write units per 1,000 observations, through the real DynamoStore on moto_server,
 *    on the busy-agent stream (target <= 20 requests), the quiet agent, the demo's corpus and real public CloudTrail
 *    (Stratus Red Team detonation logs and Panther scenarios).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DynamoStore } from '../lib/adapters/dynamo-store.ts';
import { localClientConfig } from '../lib/adapters/open-store.ts';
import { localInputFiles } from '../lib/adapters/read-input.ts';
import { ingestPaths, ingestStreams, type NamedStream } from '../lib/app/ingest/pipeline.ts';
import { createIdentityResolver } from '../lib/core/identity/resolver.ts';
import type { Observation, Reject } from '../lib/core/observation.ts';
import { aggregateBatch } from '../lib/core/store/fold.ts';
import { generateSample, type SampleFile, sampleIdentityMaps } from '../lib/demo/ingest-sample.ts';
import { writeTelemetry } from '../lib/demo/scenarios/write.ts';
import { demoWorld } from '../lib/demo/world.ts';
import type { WriteOptions, WriteReport } from '../lib/ports.ts';
import { type MotoServer, startMoto } from '../test/support/moto.ts';
import { BARE_SCRIPT, type Corpus, writeTrailCorpus } from './_ingest-corpus.ts';
import { runNode as runNodeIn } from './_run-node.ts';
import type { BenchRow } from './run.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROUNDS = 3;
const runNode = (args: string[], scratch: string) => runNodeIn(args, scratch, 'ingest bench');
/** The 1x corpus: about 50,000 CloudTrail records in some 1,150 five-minute trail files. */
const CORPUS = { hours: 96, scale: 12 };

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

interface Variant {
  label: string;
  args: (storeSpec: string) => string[];
  store: (round: number) => string;
}

interface Paired {
  ratio: number;
  ingestMs: number;
  bareMs: number;
  rssMiB: number;
}

/** ROUNDS alternating rounds of bare and ingest (bare first, then ingest, each round). */
async function paired(v: Variant, corpus: Corpus, scratch: string, log: (s: string) => void): Promise<Paired> {
  const ratios: number[] = [];
  const ingest: number[] = [];
  const bare: number[] = [];
  const rss: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const b = await runNode(['-e', BARE_SCRIPT, corpus.dir], scratch);
    if (Number(b.stdout) !== corpus.records) throw new Error(`ingest bench: bare parse saw ${b.stdout} records`);
    const i = await runNode(v.args(v.store(round)), scratch);
    const report = JSON.parse(i.stdout) as { records: number; quarantined: number };
    if (report.records !== corpus.records || report.quarantined !== 0)
      throw new Error(`ingest bench: ${v.label} ingested ${JSON.stringify(report)}`);
    ratios.push(b.ms / i.ms);
    ingest.push(i.ms);
    bare.push(b.ms);
    rss.push(i.rssMiB);
    log(`  ${v.label} round ${round + 1}: ingest ${i.ms.toFixed(0)} ms, bare ${b.ms.toFixed(0)} ms`);
  }
  return { ratio: median(ratios), ingestMs: median(ingest), bareMs: median(bare), rssMiB: Math.max(...rss) };
}

function endToEndRow(name: string, corpus: Corpus, p: Paired, target?: string, extra = ''): BenchRow {
  const rate = (ms: number) => corpus.records / (ms / 1000);
  return {
    name,
    value: p.ratio,
    unit: 'x bare',
    baseline: { name: 'bare gunzip + JSON.parse process', value: 1 },
    ...(target ? { target } : {}),
    note: `median per-round ratio of ${ROUNDS} paired rounds; ${corpus.records} records in ${corpus.files} gzip trail files (${(corpus.bytes / 1048576).toFixed(1)} MiB); median ingest ${p.ingestMs.toFixed(0)} ms = ${Math.round(rate(p.ingestMs))} records/s, bare ${p.bareMs.toFixed(0)} ms = ${Math.round(rate(p.bareMs))} records/s; peak RSS ${p.rssMiB.toFixed(0)} MiB${extra}`,
  };
}

async function endToEnd(log: (s: string) => void, only: ReadonlySet<string>): Promise<BenchRow[]> {
  const scratch = mkdtempSync(join(tmpdir(), 'warden-bench-ingest-'));
  let moto: MotoServer | undefined;
  try {
    const corpus = writeTrailCorpus(join(scratch, 'trail'), CORPUS);
    const cli = join(root, 'bin', 'warden.js');
    const embedded = (round: number) => `embedded:${join(scratch, `store-${process.hrtime.bigint()}-${round}`)}`;
    const compiled: Variant = {
      label: 'embedded',
      args: (s) => [cli, '--store', s, '--json', 'ingest', corpus.dir],
      store: embedded,
    };
    const rows: BenchRow[] = [];
    if (only.has('embedded')) {
      const c = await paired(compiled, corpus, scratch, log);
      rows.push(endToEndRow('warden ingest end to end, embedded store (bin/warden.js)', corpus, c, '>= 0.5'));
    }
    if (only.has('dynamodb')) {
      moto = await startMoto({ timeoutMs: 180_000 });
      const endpoint = moto.endpoint;
      const dynamo: Variant = {
        label: 'DynamoDB (moto_server)',
        args: (s) => [cli, '--store', s, '--json', 'ingest', corpus.dir],
        store: (round) => `dynamodb://bench-${round}-${process.hrtime.bigint()}?endpoint=${endpoint}&region=us-east-1`,
      };
      const d = await paired(dynamo, corpus, scratch, log);
      rows.push(
        endToEndRow(
          'warden ingest end to end, DynamoDB store on moto_server (bin/warden.js)',
          corpus,
          d,
          undefined,
          '; informative: moto_server (Python) answers every request, AWS would be another figure',
        ),
      );
    }
    if (only.has('rss')) {
      // Memory must not follow the input: the same ingest at 8x the corpus.
      const big = writeTrailCorpus(join(scratch, 'trail-8x'), { hours: CORPUS.hours * 8, scale: CORPUS.scale });
      const eight = await runNode([cli, '--store', embedded(8), '--json', 'ingest', big.dir], scratch);
      log(`  8x: ${big.records} records, ${eight.ms.toFixed(0)} ms, peak RSS ${eight.rssMiB.toFixed(0)} MiB`);
      rows.push({
        name: 'peak RSS, embedded ingest (bin/warden.js) of 8x the corpus',
        value: eight.rssMiB,
        unit: 'MiB',
        target: '<= 300',
        note: `${big.records} records in ${big.files} files (${(big.bytes / 1048576).toFixed(1)} MiB gzip) in ${(eight.ms / 1000).toFixed(1)} s = ${Math.round(big.records / (eight.ms / 1000))} records/s`,
      });
    }
    return rows;
  } finally {
    await moto?.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

const stream = (f: SampleFile, chunk = 64 * 1024): NamedStream => ({
  name: f.path,
  stream: (async function* () {
    for (let i = 0; i < f.bytes.length; i += chunk) yield f.bytes.subarray(i, i + chunk);
  })(),
});

/** Runs the store's aggregation and counts the aggregates it would write; no I/O. */
function countingWriter() {
  return {
    async write(observations: Observation[], rejects: Reject[], opts?: WriteOptions): Promise<WriteReport> {
      const b = aggregateBatch(observations, opts?.segments);
      return {
        observations: observations.length,
        stored: b.aggregates.length,
        duplicates: 0,
        quarantined: rejects.length,
        writeRequests: b.aggregates.length + b.evidence.size + rejects.length,
      };
    },
  };
}

/** The parse path in this process, best of 6 alternating rounds after a warm-up (kept from the first version). */
async function parsePath(): Promise<BenchRow[]> {
  const files = generateSample({ hours: 24 * 5, scale: 3, gzip: false, seed: 3 }).filter(
    (f) => f.source === 'cloudtrail',
  );
  const records = files.reduce((n, f) => n + f.records, 0);
  const identity = createIdentityResolver(sampleIdentityMaps());
  const parseTimes: number[] = [];
  const ingestTimes: number[] = [];
  for (let round = 0; round <= 6; round++) {
    let t = performance.now();
    let n = 0;
    for (const f of files)
      n += (JSON.parse(Buffer.from(f.bytes).toString('utf8')) as { Records: unknown[] }).Records.length;
    if (round > 0) parseTimes.push(performance.now() - t);
    t = performance.now();
    const r = await ingestStreams(
      countingWriter(),
      files.map((f) => stream(f)),
      { identity },
    );
    if (round > 0) ingestTimes.push(performance.now() - t);
    if (r.observations !== records || n !== records) throw new Error('ingest bench: parse path saw other records');
  }
  return [
    {
      name: 'parse path in-process, CloudTrail (no store)',
      value: records / (Math.min(...ingestTimes) / 1000),
      unit: 'records/s',
      baseline: { name: 'bare JSON.parse', value: records / (Math.min(...parseTimes) / 1000) },
      target: '>= 0.5',
      note: `${records} records in ${files.length} uncompressed trail files, best of 6 alternating rounds after a warm-up round`,
    },
  ];
}

/** Write requests and units per 1,000 observations of the DynamoDB store (on moto_server) for several corpora. */
async function writeCosts(log: (s: string) => void): Promise<BenchRow[]> {
  const scratch = mkdtempSync(join(tmpdir(), 'warden-bench-writes-'));
  const moto = await startMoto({ timeoutMs: 180_000 });
  const rows: BenchRow[] = [];
  let table = 0;
  const measure = async (
    label: string,
    run: (store: DynamoStore) => Promise<{ observations: number; writeRequests: number; writeUnits: number }>,
    target?: string,
    what = '',
  ) => {
    const store = new DynamoStore({
      tableName: `bench-writes-${table++}`,
      clientConfig: localClientConfig(moto.endpoint, 'us-east-1'),
      createTable: true,
    });
    try {
      const r = await run(store);
      log(`  ${label}: ${r.observations} obs, ${r.writeRequests} requests, ${r.writeUnits} units`);
      rows.push({
        name: `DynamoDB write requests per 1,000 observations, ${label}`,
        value: (r.writeRequests / r.observations) * 1000,
        unit: 'requests/1k obs',
        ...(target ? { target } : {}),
        note: `${what}${r.observations} observations, ${r.writeRequests} write requests, ${r.writeUnits} write units (${((r.writeUnits / r.observations) * 1000).toFixed(1)} per 1,000 observations: from the size of each item put, as moto_server reports a flat unit per write)`,
      });
    } finally {
      await store.close();
    }
  };
  try {
    const identity = () => createIdentityResolver(sampleIdentityMaps());
    for (const c of [
      { label: 'busy agent (~700 obs/hour, repetitive)', scale: 10, target: '<= 20' },
      { label: 'quiet agent (~70 obs/hour)', scale: 1 },
    ]) {
      const files = generateSample({ hours: 24 * 14, scale: c.scale, seed: 5 });
      await measure(
        c.label,
        (store) =>
          ingestStreams(
            store,
            files.map((f) => stream(f)),
            { identity: identity() },
          ),
        c.target,
        '2 weeks, 2 agents, CloudTrail + VPC flow, gzip; ',
      );
    }
    const world = demoWorld(7, Date.parse('2026-11-01T00:00:00.000Z'));
    const demoFiles = [
      ...(await writeTelemetry(join(scratch, 'demo', 'a'), world.incident.telemetry)).files,
      ...(await writeTelemetry(join(scratch, 'demo', 'b'), world.extra)).files,
    ];
    await measure(
      'the demo corpus',
      (store) => ingestPaths(store, demoFiles, { files: localInputFiles, identity: world.identity }),
      undefined,
      "`warden demo`'s seven weeks, all sources; ",
    );
    const pub = join(root, '..', 'shared', 'data', 'public');
    await measure(
      'real public CloudTrail',
      (store) =>
        ingestPaths(
          store,
          [
            join(pub, 'stratus-red-team', 'detonation-logs'),
            join(pub, 'panther-analysis', 'scenarios', '*cloudtrail*'),
          ],
          {
            files: localInputFiles,
            source: 'cloudtrail',
          },
        ),
      undefined,
      'Stratus Red Team detonation logs and Panther scenario trails (../shared/data/public); ',
    );
    return rows;
  } finally {
    await moto.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** `WARDEN_BENCH_INGEST=embedded,dynamodb,rss,parse,writes` runs only those parts (default: all). */
export async function bench(): Promise<BenchRow[]> {
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const only = new Set((process.env.WARDEN_BENCH_INGEST ?? 'embedded,dynamodb,rss,parse,writes').split(','));
  return [
    ...(only.has('embedded') || only.has('dynamodb') || only.has('rss') ? await endToEnd(log, only) : []),
    ...(only.has('parse') ? await parsePath() : []),
    ...(only.has('writes') ? await writeCosts(log) : []),
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { evaluate, table } = await import('./run.ts');
  process.stdout.write(`${table((await bench()).map((r) => evaluate('ingest', r)))}\n`);
}
