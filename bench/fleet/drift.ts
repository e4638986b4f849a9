/**
 * Drift scaling in the fleet benchmark: a drift run's work per new event as the fleet and its history grow. For each
 * scale m in {1, 2, 4}: a fresh table holding DRIFT_AGENTS x m agents with DRIFT_DAYS x m days of history (fleet x
 * history = 1x, 4x, 16x), written through the ingest pipeline in process (node-agent batches per 10 minutes: the same
 * hourly aggregates, fewer requests); the bundled Drift handler run once over it as the deployed stack runs it after
 * every ingest (`sinceHours: 24`: this builds every subject's incremental state, not metered); then the same new hour
 * of DRIFT_AGENTS agents (node-agent batches per minute), and the metered run it starts, which judges the hour and
 * seals it into the state: read and write units, items read, duration and heap, per new event; and a run after it
 * with nothing new (what an ingest that brings nothing costs drift).
 */
import { Readable } from 'node:stream';
import { DynamoStore } from '../../lib/adapters/dynamo-store.ts';
import { localClientConfig } from '../../lib/adapters/open-store.ts';
import { ingestStreams } from '../../lib/app/ingest/pipeline.ts';
import { type Counts, diffCounts } from './endpoint.ts';
import type { Lambdas } from './lambda.ts';
import { type Agent, fleet, nodeBatch, nodesOf, REGION, Rng, trailFiles } from './workload.ts';

const HOUR = 3_600_000;

export interface DriftPoint {
  scale: number;
  agents: number;
  days: number;
  newEvents: number;
  readUnits: number;
  writeUnits: number;
  itemsRead: number;
  ms: number;
  peakHeapMb: number;
  /** PutEvents entries of the run ("Warden Drift Detected"). */
  eventEntries: number;
  /** The run after it, with nothing new. */
  idle: { readUnits: number; writeUnits: number; ms: number };
}

/** Writes `agents`' history before `now - 1h` through the pipeline (not metered). */
export async function writeHistory(endpoint: string, table: string, agents: Agent[], days: number, now: number) {
  const store = new DynamoStore({
    tableName: table,
    clientConfig: localClientConfig(endpoint, REGION),
    createTable: true,
  });
  await store.init();
  const rng = new Rng(11);
  for (let hour = now - days * 24 * HOUR; hour < now - HOUR; hour += HOUR) {
    const inputs = trailFiles(agents, hour, rng).map((f, i) => ({
      name: `h${hour}-${i}`,
      stream: Readable.from([f.body]),
    }));
    for (const [n, onNode] of nodesOf(agents).entries())
      for (let m = 0; m < 60; m += 10) {
        const b = nodeBatch(onNode, hour + m * 60_000, rng, n);
        inputs.push({ name: `n${hour}-${n}-${m}`, stream: Readable.from([Buffer.from(JSON.stringify(b))]) });
      }
    await ingestStreams(store, inputs, { defaultRegion: REGION });
  }
  await store.close();
}

/** An input of the new hour: when it arrives (ms into the hour), its input events and its stream. */
export interface NewHourInput {
  at: number;
  events: number;
  input: { name: string; stream: Readable };
}

/**
 * The new hour [now - 1h, now) of `agents`, as inputs in arrival order per source: the trail's 5-minute files and
 * each node's per-minute batches.
 */
export function newHourInputs(agents: Agent[], now: number): NewHourInput[] {
  const rng = new Rng(99);
  const hour = now - HOUR;
  const out: NewHourInput[] = trailFiles(agents, hour, rng).map((f, i) => ({
    at: i * 300_000,
    events: f.records,
    input: { name: `new-${i}`, stream: Readable.from([f.body]) },
  }));
  for (const [n, onNode] of nodesOf(agents).entries())
    for (let m = 0; m < 60; m++) {
      const b = nodeBatch(onNode, hour + m * 60_000, rng, n);
      out.push({
        at: m * 60_000,
        events: b.records.length,
        input: { name: `new-n${n}-${m}`, stream: Readable.from([Buffer.from(JSON.stringify(b))]) },
      });
    }
  return out;
}

/**
 * Writes the new hour of `agents` (newHourInputs; not metered); returns its input events. A full hour when the run
 * starts, it is judged and sealed into the subjects' state by the metered run, so the run's writes are those a new
 * hour costs.
 */
async function writeNewHour(endpoint: string, table: string, agents: Agent[], now: number): Promise<number> {
  const store = new DynamoStore({ tableName: table, clientConfig: localClientConfig(endpoint, REGION) });
  const inputs = newHourInputs(agents, now);
  await ingestStreams(
    store,
    inputs.map((x) => x.input),
    { defaultRegion: REGION },
  );
  await store.close();
  return inputs.reduce((n, x) => n + x.events, 0);
}

/**
 * Measures the three points. `fresh()` gives an empty table's endpoint (behind the metering endpoint `counts`).
 * @example await driftScaling(l, ep.counts, fresh, { table: 'warden', agents: 2, days: 0.5, now })
 */
export async function driftScaling(
  l: Lambdas,
  counts: Counts,
  fresh: () => Promise<string>,
  o: { table: string; agents: number; days: number; now: number },
): Promise<DriftPoint[]> {
  const points: DriftPoint[] = [];
  for (const m of [1, 2, 4]) {
    const endpoint = await fresh();
    process.stderr.write(`fleet: drift at ${m * m}x (${o.agents * m} agents, ${o.days * m} days) ...\n`);
    await writeHistory(endpoint, o.table, fleet(o.agents * m), o.days * m, o.now);
    // The Lambda stops starting subjects three minutes before its timeout: run again until none is left.
    let prepMs = 0;
    for (;;) {
      const prep = await l.invoke<{ remaining?: number }>('Drift', { sinceHours: 24 });
      prepMs += prep.ms;
      if (!prep.result.remaining) break;
    }
    process.stderr.write(`fleet: drift ${m * m}x: state built in ${prepMs} ms\n`);
    const newEvents = await writeNewHour(endpoint, o.table, fleet(o.agents), o.now);
    const c0 = structuredClone(counts);
    const run = await l.invoke('Drift', { sinceHours: 24 });
    const d = diffCounts(counts, c0);
    const c1 = structuredClone(counts);
    const idle = await l.invoke('Drift', { sinceHours: 24 });
    const i = diffCounts(counts, c1);
    process.stderr.write(`fleet: drift ${m * m}x ${JSON.stringify({ newEvents, ms: run.ms, counts: d, idle: i })}\n`);
    points.push({
      scale: m * m,
      agents: o.agents * m,
      days: o.days * m,
      newEvents,
      readUnits: d.readUnits,
      writeUnits: d.writeUnits,
      itemsRead: d.itemsRead,
      eventEntries: d.eventEntries,
      ms: run.ms,
      peakHeapMb: run.peakHeapMb,
      idle: { readUnits: i.readUnits, writeUnits: i.writeUnits, ms: idle.ms },
    });
  }
  return points;
}
