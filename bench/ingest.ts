/**
 * Ingest benchmark (`npm run bench -- ingest`), measuring what the user waits for:
 * 1. End to end: `warden ingest DIR` as its own process (start to exit, store included) on gzip CloudTrail trail
 *    files of five minutes each, paired round by round with a bare read + gunzip + JSON.parse process over the same
 *    files (bench/_ingest-e2e.ts); the checked ratio is the median of the per-round ratios of wall time (records/s of
 *    ingest / records/s of bare), the CPU-time ratio and the load average are noted. Run as the user runs it,
 *    `node bin/warden.js` (the launcher and the compiled CLI it starts, built by `npm run bench`, with its compiled
 *    parse worker), on the embedded default store and on a DynamoDB endpoint (moto_server).
 *    Beside it (`floor`, informative), the bare reference against itself plus every record stringified and Brotli-
 *    compressed again: what storing per-record evidence costs with no Warden code at all.
 * 2. The same pairing on inputs the generator did not make (`public`, informative): real public CloudTrail
 *    replicated into trail files, the public Bedrock agent traces, and the demo's telemetry of every source.
 * 3. Memory: peak RSS of the embedded ingest of 8x the corpus (bounded: it must not follow the input size).
 * 4. The parse path in-process (decode, split, detect, parse, aggregate; no store) against bare JSON.parse.
 * 5. DynamoDB write requests and write units per 1,000 observations, through the real DynamoStore on moto_server,
 *    on the busy-agent stream (target <= 20 requests), the quiet agent, the demo's corpus and real public CloudTrail
 *    (Stratus Red Team detonation logs and Panther scenarios).
 * Rounds: env WARDEN_BENCH_ROUNDS (default 5); parts: env WARDEN_BENCH_INGEST (see `bench`).
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
import {
  BARE_ANY_SCRIPT,
  BARE_EVIDENCE_SCRIPT,
  BARE_SCRIPT,
  type Corpus,
  writePublicTrailCorpus,
  writeTrailCorpus,
} from './_ingest-corpus.ts';
import { endToEndRow, paired, type Run, runNode } from './_ingest-e2e.ts';
import type { BenchRow } from './run.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The 1x corpus: about 50,000 CloudTrail records in some 1,150 five-minute trail files. */
const CORPUS = { hours: 96, scale: 12 };

const trailCheck =
  (corpus: Corpus, label: string) =>
  (bare: Run, ingest: Run): void => {
    if (Number(bare.stdout) !== corpus.records) throw new Error(`ingest bench: bare parse saw ${bare.stdout} records`);
    const report = JSON.parse(ingest.stdout) as { records: number; quarantined: number };
    if (report.records !== corpus.records || report.quarantined !== 0)
      throw new Error(`ingest bench: ${label} ingested ${JSON.stringify(report)}`);
  };

const trailDescription = (c: Corpus) =>
  `${c.records} records in ${c.files} gzip trail files (${(c.bytes / 1048576).toFixed(1)} MiB)`;

async function endToEnd(log: (s: string) => void, only: ReadonlySet<string>): Promise<BenchRow[]> {
  const scratch = mkdtempSync(join(tmpdir(), 'warden-bench-ingest-'));
  let moto: MotoServer | undefined;
  try {
    const corpus = writeTrailCorpus(join(scratch, 'trail'), CORPUS);
    const cli = join(root, 'bin', 'warden.js');
    const embedded = (round: number) => `embedded:${join(scratch, `store-${process.hrtime.bigint()}-${round}`)}`;
    const ingestOf =
      (dirs: string[], store = embedded) =>
      (round: number) => [cli, '--store', store(round), '--json', 'ingest', ...dirs];
    const rows: BenchRow[] = [];
    if (only.has('embedded')) {
      const c = await paired(
        {
          label: 'embedded',
          bare: ['-e', BARE_SCRIPT, corpus.dir],
          ingest: ingestOf([corpus.dir]),
          check: trailCheck(corpus, 'embedded'),
        },
        scratch,
        log,
      );
      rows.push(
        endToEndRow(
          'warden ingest end to end, embedded store (bin/warden.js)',
          { records: corpus.records, description: trailDescription(corpus) },
          c,
          '>= 0.5',
        ),
      );
    }
    if (only.has('floor')) {
      const f = await paired(
        {
          label: 'bare + evidence',
          bare: ['-e', BARE_SCRIPT, corpus.dir],
          ingest: () => ['-e', BARE_EVIDENCE_SCRIPT, corpus.dir],
          check: (bare, ev) => {
            if (bare.stdout !== ev.stdout) throw new Error(`ingest bench: evidence floor saw ${ev.stdout} records`);
          },
        },
        scratch,
        log,
      );
      rows.push(
        endToEndRow(
          'floor: bare parse + every record stringified and Brotli-compressed again (no Warden code)',
          { records: corpus.records, description: trailDescription(corpus) },
          f,
          undefined,
          '; informative: what per-record evidence costs by itself, the most a single-threaded ingest that stores it can reach',
        ),
      );
    }
    if (only.has('public')) rows.push(...(await publicCorpora(scratch, ingestOf, log)));
    if (only.has('dynamodb')) {
      moto = await startMoto({ timeoutMs: 180_000 });
      const endpoint = moto.endpoint;
      const d = await paired(
        {
          label: 'DynamoDB (moto_server)',
          bare: ['-e', BARE_SCRIPT, corpus.dir],
          ingest: ingestOf(
            [corpus.dir],
            (round) => `dynamodb://bench-${round}-${process.hrtime.bigint()}?endpoint=${endpoint}&region=us-east-1`,
          ),
          check: trailCheck(corpus, 'DynamoDB'),
        },
        scratch,
        log,
      );
      rows.push(
        endToEndRow(
          'warden ingest end to end, DynamoDB store on moto_server (bin/warden.js)',
          { records: corpus.records, description: trailDescription(corpus) },
          d,
          undefined,
          '; informative: moto_server (Python) answers every request, AWS would be another figure',
        ),
      );
    }
    if (only.has('rss')) {
      // Memory must not follow the input: the same ingest at 8x the corpus.
      const big = writeTrailCorpus(join(scratch, 'trail-8x'), { hours: CORPUS.hours * 8, scale: CORPUS.scale });
      const eight = await runNode(ingestOf([big.dir])(8), scratch);
      log(`  8x: ${big.records} records, ${eight.ms.toFixed(0)} ms, peak RSS ${eight.rssMiB.toFixed(0)} MiB`);
      rows.push({
        name: 'peak RSS, embedded ingest (bin/warden.js) of 8x the corpus',
        value: eight.rssMiB,
        unit: 'MiB',
        target: '<= 300',
        note: `${big.records} records in ${big.files} files (${(big.bytes / 1048576).toFixed(1)} MiB gzip) in ${(eight.ms / 1000).toFixed(1)} s = ${Math.round(big.records / (eight.ms / 1000))} records/s (CPU ${(eight.cpuMs / 1000).toFixed(1)} s)`,
      });
    }
    return rows;
  } finally {
    await moto?.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * The same end-to-end pairing on inputs the generator did not make (informative, no target): real public CloudTrail
 * replicated into trail files, the public Bedrock agent traces (agent-sessions), and the demo's telemetry of every
 * source (CloudTrail, VPC flow, Bedrock invocation logs and traces, node-agent batches).
 */
async function publicCorpora(
  scratch: string,
  ingestOf: (dirs: string[]) => (round: number) => string[],
  log: (s: string) => void,
): Promise<BenchRow[]> {
  const pub = join(root, '..', 'shared', 'data', 'public');
  const rows: BenchRow[] = [];
  const trail = writePublicTrailCorpus(join(scratch, 'public-trail'), pub, { copies: 150, perFile: 45 });
  const t = await paired(
    {
      label: 'public CloudTrail',
      bare: ['-e', BARE_SCRIPT, trail.dir],
      ingest: ingestOf([trail.dir]),
      check: (bare, ingest) => {
        if (Number(bare.stdout) !== trail.records) throw new Error(`ingest bench: bare parse saw ${bare.stdout}`);
        if ((JSON.parse(ingest.stdout) as { records: number }).records !== trail.records)
          throw new Error(`ingest bench: public CloudTrail ingested ${ingest.stdout}`);
      },
    },
    scratch,
    log,
  );
  rows.push(
    endToEndRow(
      'warden ingest end to end, embedded store, real public CloudTrail (Stratus Red Team, Panther) x150',
      { records: trail.records, description: `${trailDescription(trail)}, 337 public records each 150 times` },
      t,
    ),
  );
  const sessions = join(pub, 'agent-sessions');
  const traces = ['tau-bench', 'tau2-bench', 'issue-summarizer-injection'].map((d) =>
    join(sessions, d, 'traces.jsonl'),
  );
  const demo = mkdtempSync(join(scratch, 'demo-'));
  const world = demoWorld(7, Date.parse('2026-11-01T00:00:00.000Z'));
  await writeTelemetry(join(demo, 'a'), world.incident.telemetry);
  await writeTelemetry(join(demo, 'b'), world.extra);
  for (const [label, inputs] of [
    ['public Bedrock agent traces (agent-sessions, 20,635 trace parts)', traces],
    ["the demo's telemetry (CloudTrail, VPC flow, Bedrock, node-agent)", [demo]],
  ] as const) {
    const p = await paired(
      { label, bare: ['-e', BARE_ANY_SCRIPT, ...inputs], ingest: ingestOf([...inputs]) },
      scratch,
      log,
    );
    const records = (JSON.parse((await runNode(ingestOf([...inputs])(99), scratch)).stdout) as { records: number })
      .records;
    rows.push(
      endToEndRow(
        `warden ingest end to end, embedded store, ${label}`,
        { records, description: `${records} records` },
        p,
      ),
    );
  }
  return rows;
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

/** `WARDEN_BENCH_INGEST=embedded,floor,public,dynamodb,rss,parse,writes` runs only those parts (default: all). */
export async function bench(): Promise<BenchRow[]> {
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const only = new Set(
    (process.env.WARDEN_BENCH_INGEST ?? 'embedded,floor,public,dynamodb,rss,parse,writes').split(','),
  );
  return [
    ...(['embedded', 'floor', 'public', 'dynamodb', 'rss'].some((p) => only.has(p)) ? await endToEnd(log, only) : []),
    ...(only.has('parse') ? await parsePath() : []),
    ...(only.has('writes') ? await writeCosts(log) : []),
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { evaluate, table } = await import('./run.ts');
  process.stdout.write(`${table((await bench()).map((r) => evaluate('ingest', r)))}\n`);
}
