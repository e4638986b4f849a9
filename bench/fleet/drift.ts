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
import type { BenchRow } from '../run.ts';
import type { LiveDrift } from './drift-live.ts';
import { type Counts, diffCounts } from './endpoint.ts';
import type { Lambdas } from './lambda.ts';
import { PRICES } from './prices.ts';
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
      ms: run.ms,
      peakHeapMb: run.peakHeapMb,
      idle: { readUnits: i.readUnits, writeUnits: i.writeUnits, ms: idle.ms },
    });
  }
  return points;
}

/**
 * The scaling rows (target: read units per new event at 16x within 1.5x of 1x), and what drift on ingest adds per
 * 1M input events: each new event's measured share of a run at 16x, plus an empty run's cost for every ingest
 * announcement (`announcePerM` runs per 1M events).
 */
export function driftRows(
  points: DriftPoint[],
  announcePerM: number,
  driftMemoryMb: number,
  live: LiveDrift[] = [],
): BenchRow[] {
  const [p1, , p16] = points;
  if (!p1 || !p16) return [];
  const perEvent = (q: DriftPoint) => q.readUnits / q.newEvents;
  const gbs = (ms: number) => (ms / 1000) * (driftMemoryMb / 1024) * PRICES.lambdaGbSecondArm;
  const perEventCost =
    (p16.readUnits * PRICES.dynamoReadUnit + p16.writeUnits * PRICES.dynamoWriteUnit + gbs(p16.ms)) / p16.newEvents;
  const idleCost =
    p16.idle.readUnits * PRICES.dynamoReadUnit + p16.idle.writeUnits * PRICES.dynamoWriteUnit + gbs(p16.idle.ms);
  return [
    ...points.map((q) => ({
      name: `drift run at ${q.scale}x: read units per new event`,
      value: perEvent(q),
      unit: 'RRU/event',
      ...(q.scale > 1 ? { baseline: { name: '1x', value: perEvent(p1) } } : {}),
      ...(q.scale === 16 ? { target: '<= 1.5' } : {}),
      note: `${q.agents} agents x ${q.days} d; ${q.newEvents} new events; ${q.readUnits} RRU, ${q.writeUnits} WRU, ${q.itemsRead} items read, ${q.ms} ms, peak heap +${q.peakHeapMb.toFixed(0)} MiB; a run with nothing new: ${q.idle.readUnits} RRU, ${q.idle.writeUnits} WRU, ${q.idle.ms} ms`,
    })),
    {
      name: 'cost per 1M events: drift on ingest as deployed',
      value: perEventCost * 1e6 + announcePerM * idleCost,
      unit: 'USD',
      note: `incremental: each new event's share of a run at 16x (${(p16.readUnits / p16.newEvents).toFixed(3)} RRU, ${(p16.writeUnits / p16.newEvents).toFixed(3)} WRU), plus ${announcePerM.toFixed(0)} runs per 1M events at an empty run's cost`,
    },
    // Live: a run after each delivery of the hour and the run that seals it (./drift-live.ts), plus every
    // announcement's run at an empty run's cost (it counts the runs with work twice: an upper bound).
    ...live.map((v) => ({
      name: `cost per 1M events: drift on ingest, a run per delivery (${v.deliveries} an hour)`,
      value:
        ((v.readUnits * PRICES.dynamoReadUnit + v.writeUnits * PRICES.dynamoWriteUnit + gbs(v.ms)) / v.newEvents) *
          1e6 +
        announcePerM * idleCost,
      unit: 'USD',
      note: `1x store, ${v.newEvents} new events in ${v.deliveries} deliveries; ${v.runs} runs: ${v.readUnits} RRU, ${v.writeUnits} WRU (${(v.writeUnits / v.newEvents).toFixed(3)} WRU per new event), ${v.ms} ms; plus ${announcePerM.toFixed(0)} runs per 1M events at an empty run's cost`,
    })),
  ];
}
