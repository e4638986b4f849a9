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
 * 2. Drift scaling (bench/fleet/drift.ts): stores holding DRIFT_AGENTS x {1,2,4} agents (default 2) with DRIFT_DAYS x
 *    {1,2,4} days of history (default 0.5): fleet x history = 1x, 4x, 16x. A first Drift run builds every subject's
 *    incremental state; then the same new hour (DRIFT_AGENTS agents) is added and the bundled Drift handler's
 *    incremental run is metered: read and write units, items read, duration and heap, per new event; and a run with
 *    nothing new. Then drift between the hours, live (bench/fleet/drift-live.ts), as the synthesized
 *    `warden:driftMinutes` deploys it (FLEET_DRIFT_MINUTES replaces it): above 0, a Drift run every N minutes through
 *    the new hour, its inputs arriving at their own times, and the ingest functions without the bus (no
 *    announcement); 0, a run after each of 4 and of 12 deliveries and the sealing run, and the ingest functions
 *    announcing what they stored. FLEET_DRIFT=0 skips this part.
 *    FLEET_OBJECTS_WINDOW / FLEET_EVENTS_WINDOW replace the synthesized SQS batching windows (seconds) of the trail
 *    files' and the management events' queues, to measure what a longer window saves. The trail files follow the
 *    synthesized `warden:objectBatchMinutes` (its default: lib/infra/props.ts): the event source mapping, or the
 *    schedule draining the queue every N minutes; FLEET_OBJECT_BATCH_MINUTES replaces it, by the construct's rule.
 * 3. Cost model (bench/fleet/cost.ts, prices.ts, lake.ts): per million input events on the deployed path and per
 *    delivery path, next to CloudTrail Lake's ingestion price for the same events; the monthly estimate for 1,000
 *    agents.
 */
import { INGESTED_DETAIL_TYPE } from '../lambdas/shared/ingest.ts';
import { DynamoStore } from '../lib/adapters/dynamo-store.ts';
import { localClientConfig } from '../lib/adapters/open-store.ts';
import { isDriftMinutes, MAX_SQS_WINDOW_MINUTES } from '../lib/infra/props.ts';
import { costRows, deployedCost, total } from './fleet/cost.ts';
import { driftScaling } from './fleet/drift.ts';
import { driftLive, type LiveDrift } from './fleet/drift-live.ts';
import { driftRows } from './fleet/drift-rows.ts';
import { startDynaliteProcess } from './fleet/dynalite-process.ts';
import { diffCounts, startBenchEndpoint } from './fleet/endpoint.ts';
import { type Lambdas, loadLambdas } from './fleet/lambda.ts';
import { type DrainSchedule, type EventSource, ingestSlice } from './fleet/slice.ts';
import { ACCOUNT, fleet, REGION } from './fleet/workload.ts';
import type { BenchRow } from './run.ts';

const TABLE = 'warden';
const env = (k: string, d: number) => Number(process.env[k] ?? d);
const HOUR = 3_600_000;
/** An event source as synthesized, or with the batching window `key` names (seconds; a lever to measure). */
const window = (src: { batchSize: number; windowSeconds: number }, key: string) =>
  process.env[key] ? { ...src, windowSeconds: env(key, src.windowSeconds) } : src;

/**
 * How IngestObjects gets its notifications: as synthesized, or as `FLEET_OBJECT_BATCH_MINUTES` would deploy it (5 or
 * less: the event source mapping with that window; above: a drain every N minutes); FLEET_OBJECTS_WINDOW then
 * replaces an event source's window.
 */
function objectsDelivery(l: Lambdas): EventSource | DrainSchedule {
  const minutes = process.env.FLEET_OBJECT_BATCH_MINUTES ? env('FLEET_OBJECT_BATCH_MINUTES', 0) : undefined;
  const drainMinutes = minutes === undefined ? l.drain.IngestObjects?.minutes : minutes;
  if (drainMinutes !== undefined && drainMinutes > MAX_SQS_WINDOW_MINUTES) return { drainMinutes };
  const src =
    minutes === undefined
      ? (l.eventSource.IngestObjects ?? { batchSize: 10, windowSeconds: 0 })
      : { batchSize: 10, windowSeconds: minutes * 60 };
  return window(src, 'FLEET_OBJECTS_WINDOW');
}

/** FLEET_DRIFT_MINUTES as `loadLambdas` takes it: 0 or a divisor of 60, as the construct accepts it. */
function driftOverride(): { driftMinutes?: number } {
  const v = process.env.FLEET_DRIFT_MINUTES;
  if (!v) return {};
  const n = Number(v);
  if (!isDriftMinutes(n))
    throw new Error(`FLEET_DRIFT_MINUTES must be 0 or a divisor of 60 (as warden:driftMinutes), not ${v}`);
  return { driftMinutes: n };
}

export async function bench(): Promise<BenchRow[]> {
  const drift = driftOverride();
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
  const l = await loadLambdas(
    {
      AWS_ENDPOINT_URL: ep.endpoint,
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
      WARDEN_TABLE_NAME: TABLE,
      WARDEN_BUS_NAME: 'warden-bus',
      WARDEN_OBJECTS_QUEUE_URL: ep.sqs.queueUrl,
      WARDEN_PROMPT_CONTENT: 'hash-and-excerpt',
      // The node agents' role, as the deployment's trust configuration names it (lambdas/shared/trust.ts).
      WARDEN_INGEST_PRINCIPALS: JSON.stringify([
        { principal: `arn:aws:iam::${ACCOUNT}:role/node-agent`, sources: ['node-agent'], clusters: ['prod'] },
      ]),
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_TRACE_ENABLED: 'false',
    },
    drift,
  );
  process.stderr.write(
    `fleet: drift ${l.driftMinutes > 0 ? `every ${l.driftMinutes} min, no ingest announcement` : 'on every ingest announcement and hourly'}\n`,
  );

  // 1. The ingest slice, then the hourly tasks over it.
  const warmup = env('FLEET_WARMUP_HOURS', 1);
  process.stderr.write(
    `fleet: ingesting ${agentsN} agents x ${warmup} + ${hours} h through the bundled handlers (the first ${warmup} not metered) ...\n`,
  );
  const objects = objectsDelivery(l);
  process.stderr.write(
    `fleet: trail files ${'drainMinutes' in objects ? `drained every ${objects.drainMinutes} min` : `by the event source mapping, ${objects.windowSeconds} s window`}\n`,
  );
  const slice = await ingestSlice(l, ep, {
    agents: fleet(agentsN),
    hours,
    warmup,
    start: now - (warmup + hours) * HOUR,
    objects,
    events: window(l.eventSource.IngestEvents ?? { batchSize: 10, windowSeconds: 0 }, 'FLEET_EVENTS_WINDOW'),
    // The hourly tasks ran over the warm-up hours too: the metered Drift run then judges one new hour against the
    // subjects' incremental state, as every hourly run but a deployment's first does (the first builds that state).
    afterWarmup: async () => {
      await l.invoke('Baselines', {});
      await l.invoke('Drift', {});
    },
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

  // A fresh emulator (an empty table) behind the metering endpoint, for each drift measurement.
  const fresh = async () => {
    await db.close();
    db = await startDynaliteProcess();
    ep.setUpstream(db.endpoint);
    return db.endpoint;
  };
  // 2. Drift run work at 1x, 4x, 16x fleet x history (bench/fleet/drift.ts). FLEET_DRIFT=0 measures the ingest
  // slice and its cost only (quicker, while working on the write path).
  const points = env('FLEET_DRIFT', 1)
    ? await driftScaling(l, ep.counts, fresh, { table: TABLE, agents: driftAgents, days: driftDays, now })
    : [];
  // Drift between the hours as it runs live (bench/fleet/drift-live.ts): on the schedule's runs, or a run after each
  // delivery of a new hour.
  const live: LiveDrift[] = [];
  const o = { table: TABLE, agents: driftAgents, days: driftDays, now };
  if (env('FLEET_DRIFT', 1)) {
    if (l.driftMinutes > 0)
      live.push(await driftLive(l, ep.counts, fresh, { ...o, runs: 60 / l.driftMinutes, mode: 'schedule' }));
    else
      for (const runs of [4, 12]) live.push(await driftLive(l, ep.counts, fresh, { ...o, runs, mode: 'per-delivery' }));
  }
  await ep.close();
  await db.close();
  const all = total(slice);
  const announcePerM = ((all.counts.eventsByType[INGESTED_DETAIL_TYPE] ?? 0) * 1e6) / all.events;
  return [
    ...costRows(slice, tasks, { agents: agentsN }),
    ...driftRows(points, announcePerM, l.memoryMb.Drift, live, deployedCost(slice, tasks)),
  ];
}
