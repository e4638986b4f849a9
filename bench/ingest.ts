/**
 * Ingest benchmark (`npm run bench -- ingest`):
 * 1. Throughput: records/s of the full ingest path (decode, split, detect, parse, normalize, identity, aggregate)
 *    on uncompressed CloudTrail trail files, against bare `JSON.parse` of the same bytes in the same run. Store
 *    writes are counted, not timed: the writer only runs the store's in-memory aggregation.
 * 2. Write efficiency: DynamoDB write requests per 1,000 observations when a realistic repetitive stream (two
 *    agents doing similar work every hour for two weeks, CloudTrail + VPC flow, gzip) goes through the real
 *    DynamoStore on in-process dynalite. Requests are counted by the store (UpdateItem/PutItem issued).
 */
import { pathToFileURL } from 'node:url';
import { openStore } from '../lib/adapters/open-store.ts';
import { aggregateBatch } from '../lib/core/store/fold.ts';
import { createIdentityResolver } from '../lib/core/identity/resolver.ts';
import type { Observation, Reject } from '../lib/core/observation.ts';
import { ingestStreams, type NamedStream } from '../lib/ingest/pipeline.ts';
import { generateSample, type SampleFile, sampleIdentityMaps } from '../lib/ingest/sample-data.ts';
import type { WriteOptions, WriteReport } from '../lib/ports.ts';
import type { BenchRow } from './run.ts';

const stream = (f: SampleFile, chunk = 64 * 1024): NamedStream => ({
  name: f.path,
  stream: (async function* () {
    for (let i = 0; i < f.bytes.length; i += chunk) yield f.bytes.subarray(i, i + chunk);
  })(),
});

/** Runs the store's aggregation and counts the aggregates it would write; no I/O. */
function countingWriter() {
  let aggregates = 0;
  return {
    aggregates: () => aggregates,
    async write(observations: Observation[], rejects: Reject[], opts?: WriteOptions): Promise<WriteReport> {
      const b = aggregateBatch(observations, opts?.segments);
      aggregates += b.aggregates.length;
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

const ROUNDS = 6;

function best(times: number[]): number {
  return Math.min(...times);
}

async function throughput(): Promise<BenchRow[]> {
  const files = generateSample({ hours: 24 * 5, scale: 3, gzip: false, seed: 3 }).filter(
    (f) => f.source === 'cloudtrail',
  );
  const records = files.reduce((n, f) => n + f.records, 0);
  const mib = files.reduce((n, f) => n + f.bytes.length, 0) / 1048576;
  const identity = createIdentityResolver(sampleIdentityMaps());
  const parseTimes: number[] = [];
  const ingestTimes: number[] = [];
  let checksum = 0;
  // Alternate the two so that machine noise hits both alike; keep the best of each. Round 0 warms up the JIT for both
  // and is not counted (the ingest path has far more code to compile than JSON.parse).
  for (let round = 0; round <= ROUNDS; round++) {
    let t = performance.now();
    for (const f of files) {
      const doc = JSON.parse(Buffer.from(f.bytes).toString('utf8')) as { Records: unknown[] };
      checksum += doc.Records.length;
    }
    if (round > 0) parseTimes.push(performance.now() - t);
    const w = countingWriter();
    t = performance.now();
    const r = await ingestStreams(
      w,
      files.map((f) => stream(f)),
      { identity },
    );
    if (round > 0) ingestTimes.push(performance.now() - t);
    if (r.observations !== records || r.rejects !== 0) {
      throw new Error(`ingest bench: expected ${records} observations and no rejects, got ${JSON.stringify(r)}`);
    }
  }
  if (checksum !== records * (ROUNDS + 1))
    throw new Error('ingest bench: JSON.parse baseline saw a different record count');
  const ingestRate = records / (best(ingestTimes) / 1000);
  const parseRate = records / (best(parseTimes) / 1000);
  return [
    {
      name: 'ingest path, CloudTrail',
      value: ingestRate,
      unit: 'records/s',
      baseline: { name: 'bare JSON.parse', value: parseRate },
      target: '>= 0.5',
      note: `${records} records in ${files.length} trail files (${mib.toFixed(1)} MiB, uncompressed), best of ${ROUNDS} alternating rounds after a warm-up round`,
    },
  ];
}

async function writeEfficiency(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const cases = [
    { label: 'busy agent (~700 obs/hour)', scale: 10, target: '<= 20' },
    { label: 'quiet agent (~70 obs/hour)', scale: 1, target: undefined },
  ];
  for (const c of cases) {
    const files = generateSample({ hours: 24 * 14, scale: c.scale, seed: 5 });
    const store = await openStore('embedded:memory');
    try {
      const r = await ingestStreams(
        store,
        files.map((f) => stream(f)),
        { identity: createIdentityResolver(sampleIdentityMaps()) },
      );
      const perHour = Math.round(r.observations / (24 * 14));
      rows.push({
        name: `store write requests per 1,000 observations, ${c.label}`,
        value: (r.writeRequests / r.observations) * 1000,
        unit: 'writes/1k obs',
        ...(c.target ? { target: c.target } : {}),
        note: `2 weeks, 2 agents, ${r.observations} observations (${perHour}/hour) from ${files.length} gzip files, ${r.batches} batches, ${r.writeRequests} write requests (DynamoStore on dynalite). Floor: one write per (subject, key, hour) aggregate plus one evidence chunk per (subject, hour).`,
      });
    } finally {
      await store.close();
    }
  }
  return rows;
}

export async function bench(): Promise<BenchRow[]> {
  return [...(await throughput()), ...(await writeEfficiency())];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { evaluate, table } = await import('./run.ts');
  process.stdout.write(`${table((await bench()).map((r) => evaluate('ingest', r)))}\n`);
}
