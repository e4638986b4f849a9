/**
 * Fleet benchmark (`npm run bench -- fleet`): what the deployed control plane costs per million input events, and
 * how a drift run's work grows with the fleet and its history.
 *
 * 1. Ingest slice (bench/fleet/slice.ts): a generated fleet (bench/fleet/workload.ts: FLEET_AGENTS agents, default 20,
 *    for FLEET_HOURS hours, default 1, after FLEET_WARMUP_HOURS unmetered hours, default 1, at the per-agent rates
 *    documented there) delivered the way AWS delivers it, through the handlers bundled by `cdk synth`: trail files ->
 *    IngestObjects, management events -> IngestEvents (SQS batches as the event sources gather them), node-agent
 *    records -> the agent's own window aggregator and ship clock -> IngestHttp; then the hourly Baselines and Drift
 *    runs. DynamoDB is dynalite behind a counting endpoint (bench/fleet/endpoint.ts).
 * 2. Drift scaling: stores holding DRIFT_AGENTS x {1,2,4} agents (default 2) with DRIFT_DAYS x {1,2,4} days of
 *    history (default 0.5): fleet x history = 1x, 4x, 16x. The same new hour (DRIFT_AGENTS agents) is added, then the
 *    bundled Drift handler runs as DriftOnIngest starts it (`sinceHours: 24`): read units, items read, duration and
 *    heap per run, per new event. History is written through the ingest pipeline in process (not metered), with
 *    node-agent batches per 10 minutes. FLEET_DRIFT=0 skips this part.
 * 3. Cost model (bench/fleet/cost.ts, prices.ts, lake.ts): per million input events on the deployed path and per
 *    delivery path, next to CloudTrail Lake's ingestion price for the same events; the monthly estimate for 1,000
 *    agents.
 */
import { Readable } from 'node:stream';
import { DynamoStore } from '../lib/adapters/dynamo-store.ts';
import { localClientConfig } from '../lib/adapters/open-store.ts';
import { ingestStreams } from '../lib/ingest/pipeline.ts';
import { costRows, total } from './fleet/cost.ts';
import { startDynaliteProcess } from './fleet/dynalite-process.ts';
import { diffCounts, startBenchEndpoint } from './fleet/endpoint.ts';
import { type Lambdas, loadLambdas } from './fleet/lambda.ts';
import { PRICES } from './fleet/prices.ts';
import { ingestSlice, type Slice } from './fleet/slice.ts';
import { ACCOUNT, type Agent, fleet, nodeBatch, nodesOf, REGION, Rng, trailFiles } from './fleet/workload.ts';
import type { BenchRow } from './run.ts';

const TABLE = 'warden';
const env = (k: string, d: number) => Number(process.env[k] ?? d);
const HOUR = 3_600_000;

interface DriftPoint {
  scale: number;
  agents: number;
  days: number;
  newEvents: number;
  readUnits: number;
  itemsRead: number;
  ms: number;
  peakHeapMb: number;
}

/** Writes history and one new hour into the store behind `dynamoEndpoint` through the pipeline (not metered). */
async function populate(dynamoEndpoint: string, agents: Agent[], days: number, now: number, newAgents: Agent[]) {
  const store = new DynamoStore({
    tableName: TABLE,
    clientConfig: localClientConfig(dynamoEndpoint, REGION),
    createTable: true,
  });
  await store.init();
  const rng = new Rng(11);
  const feed = async (hour: number, who: Agent[]) => {
    const inputs = trailFiles(who, hour, rng).map((f, i) => ({
      name: `h${hour}-${i}`,
      stream: Readable.from([f.body]),
    }));
    for (const [n, onNode] of nodesOf(who).entries()) {
      for (let m = 0; m < 60; m += 10) {
        const b = nodeBatch(onNode, hour + m * 60_000, rng, n);
        inputs.push({ name: `n${hour}-${n}-${m}`, stream: Readable.from([Buffer.from(JSON.stringify(b))]) });
      }
    }
    await ingestStreams(store, inputs, { defaultRegion: REGION });
  };
  const first = now - days * 24 * HOUR;
  for (let h = first; h < now - HOUR; h += HOUR) await feed(h, agents);
  await store.close();
  // The new hour: what the drift run is started for.
  const s2 = new DynamoStore({ tableName: TABLE, clientConfig: localClientConfig(dynamoEndpoint, REGION) });
  const rngNew = new Rng(99);
  let newEvents = 0;
  const inputs = trailFiles(newAgents, now - HOUR, rngNew).map((f, i) => {
    newEvents += f.records;
    return { name: `new-${i}`, stream: Readable.from([f.body]) };
  });
  for (const [n, onNode] of nodesOf(newAgents).entries()) {
    for (let m = 0; m < 60; m++) {
      const b = nodeBatch(onNode, now - HOUR + m * 60_000, rngNew, n);
      newEvents += b.records.length;
      inputs.push({ name: `new-n${n}-${m}`, stream: Readable.from([Buffer.from(JSON.stringify(b))]) });
    }
  }
  await ingestStreams(s2, inputs, { defaultRegion: REGION });
  await s2.close();
  return newEvents;
}

export async function bench(): Promise<BenchRow[]> {
  const agentsN = env('FLEET_AGENTS', 20);
  const hours = env('FLEET_HOURS', 1);
  const driftAgents = env('DRIFT_AGENTS', 2);
  const driftDays = env('DRIFT_DAYS', 0.5);
  const now = Math.floor(Date.now() / HOUR) * HOUR;

  // The emulator in its own process: a handler's measured duration is then its own work and its waits, as in AWS.
  let db: { endpoint: string; close(): Promise<void> } = await startDynaliteProcess();
  const ep = await startBenchEndpoint(db.endpoint);
  const setup = new DynamoStore({
    tableName: TABLE,
    clientConfig: localClientConfig(db.endpoint, REGION),
    createTable: true,
  });
  await setup.init();
  await setup.close();
  const l = await loadLambdas({
    AWS_ENDPOINT_URL: ep.endpoint,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    WARDEN_TABLE_NAME: TABLE,
    WARDEN_BUS_NAME: 'warden-bus',
    WARDEN_PROMPT_CONTENT: 'hash-and-excerpt',
    // The node agents' role, as the deployment's trust configuration names it (lambdas/shared/trust.ts).
    WARDEN_INGEST_PRINCIPALS: JSON.stringify([
      { principal: `arn:aws:iam::${ACCOUNT}:role/node-agent`, sources: ['node-agent'], clusters: ['prod'] },
    ]),
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_TRACE_ENABLED: 'false',
  });

  // 1. The ingest slice, then the hourly tasks over it.
  const warmup = env('FLEET_WARMUP_HOURS', 1);
  process.stderr.write(
    `fleet: ingesting ${agentsN} agents x ${warmup} + ${hours} h through the bundled handlers (the first ${warmup} not metered) ...\n`,
  );
  const slice = await ingestSlice(l, ep, {
    agents: fleet(agentsN),
    hours,
    warmup,
    start: now - (warmup + hours) * HOUR,
    objects: l.eventSource.IngestObjects ?? { batchSize: 10, windowSeconds: 0 },
    events: l.eventSource.IngestEvents ?? { batchSize: 10, windowSeconds: 0 },
    ship: {
      ...(process.env.FLEET_SHIP_SECONDS ? { shipMs: env('FLEET_SHIP_SECONDS', 600) * 1000 } : {}),
      ...(process.env.FLEET_EARLY_SHIPS ? { earlyPerHour: env('FLEET_EARLY_SHIPS', 6) } : {}),
    },
  });
  const beforeTasks = structuredClone(ep.counts);
  const baseline = await l.invoke('Baselines', {});
  const hourlyDrift = await l.invoke('Drift', {});
  const tasks = {
    counts: diffCounts(ep.counts, beforeTasks),
    gbSeconds:
      (baseline.ms / 1000) * (l.memoryMb.Baselines / 1024) + (hourlyDrift.ms / 1000) * (l.memoryMb.Drift / 1024),
  };
  // Each phase's raw figures as soon as they exist: a long run on a busy machine still leaves them in the log.
  process.stderr.write(`fleet: ingest slice ${JSON.stringify({ ...slice, tasks })}\n`);

  // 2. Drift run work at 1x, 4x, 16x fleet x history.
  const points: DriftPoint[] = [];
  // FLEET_DRIFT=0 measures the ingest slice and its cost only (quicker, while working on the write path).
  for (const m of env('FLEET_DRIFT', 1) ? [1, 2, 4] : []) {
    await db.close();
    db = await startDynaliteProcess();
    ep.setUpstream(db.endpoint);
    process.stderr.write(`fleet: drift at ${m * m}x (${driftAgents * m} agents, ${driftDays * m} days) ...\n`);
    const newEvents = await populate(db.endpoint, fleet(driftAgents * m), driftDays * m, now, fleet(driftAgents));
    const c0 = structuredClone(ep.counts);
    const run = await l.invoke('Drift', { sinceHours: 24 });
    const d = diffCounts(ep.counts, c0);
    process.stderr.write(`fleet: drift ${m * m}x ${JSON.stringify({ newEvents, ms: run.ms, counts: d })}\n`);
    points.push({
      scale: m * m,
      agents: driftAgents * m,
      days: driftDays * m,
      newEvents,
      readUnits: d.readUnits,
      itemsRead: d.itemsRead,
      ms: run.ms,
      peakHeapMb: run.peakHeapMb,
    });
  }
  await ep.close();
  await db.close();
  return [...costRows(slice, tasks, { agents: agentsN }), ...driftRows(points, slice, l)];
}

/** Drift scaling rows, and what drift on ingest as deployed adds per 1M events (extrapolated to 1,000 agents). */
function driftRows(points: DriftPoint[], s: Slice, l: Lambdas): BenchRow[] {
  const [p1, , p16] = points;
  if (!p1 || !p16) return [];
  const all = total(s);
  // One run per announcement, each with the measured per-run work, extrapolated linearly in fleet x history from the
  // three points to 1,000 agents and the 29 days a run reads.
  const slope = (y: (q: DriftPoint) => number) => (y(p16) - y(p1)) / (p16.agents * p16.days - p1.agents * p1.days);
  const at = (y: (q: DriftPoint) => number) => y(p1) + slope(y) * (1000 * 29 - p1.agents * p1.days);
  const runRu = at((q) => q.readUnits);
  const runMs = at((q) => q.ms);
  const announcePerM = ((all.counts.eventsByType['Warden Observations Ingested'] ?? 0) * 1e6) / all.events;
  const runCost = runRu * PRICES.dynamoReadUnit + (runMs / 1000) * (l.memoryMb.Drift / 1024) * PRICES.lambdaGbSecondArm;
  return [
    ...points.map((q) => ({
      name: `drift run at ${q.scale}x: read units per new event`,
      value: q.readUnits / q.newEvents,
      unit: 'RRU/event',
      ...(q.scale > 1 ? { baseline: { name: '1x', value: p1.readUnits / p1.newEvents } } : {}),
      ...(q.scale === 16 ? { target: '<= 1.5' } : {}),
      note: `${q.agents} agents x ${q.days} d; ${q.newEvents} new events; ${q.readUnits} RRU, ${q.itemsRead} items read, ${q.ms} ms, peak heap +${q.peakHeapMb.toFixed(0)} MiB`,
    })),
    {
      name: 'cost per 1M events: drift on ingest as deployed (extrapolated)',
      value: announcePerM * runCost,
      unit: 'USD',
      note: `${announcePerM.toFixed(0)} runs per 1M events; one run at 1,000 agents x 29 d: ${runRu.toFixed(0)} RRU, ${(runMs / 1000).toFixed(0)} s (reserved concurrency 1 fits ${(3600 / (runMs / 1000)).toFixed(1)} runs an hour)`,
    },
  ];
}
