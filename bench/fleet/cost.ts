/**
 * The fleet benchmark's cost model: what the ingest slice (./slice.ts) and the hourly tasks over it cost at the
 * published on-demand prices (./prices.ts), per million input events, per delivery path, and next to CloudTrail
 * Lake's ingestion of the same events, billed two ways (./lake.ts): the events' own JSON bytes, and as Lake would
 * ingest them (a node-agent record as an integration event, with its envelope).
 */

import type { BenchRow } from '../run.ts';
import type { DeployedCost } from './drift-rows.ts';
import type { Counts } from './endpoint.ts';
import { HOURS_PER_MONTH, PRICES } from './prices.ts';
import { addUse, emptyUse, type PathUse, type Slice } from './slice.ts';
import { RECORDS_PER_AGENT_HOUR } from './workload.ts';

/** USD of one path's use. */
export function costOf(u: PathUse): number {
  return (
    u.counts.writeUnits * PRICES.dynamoWriteUnit +
    u.counts.readUnits * PRICES.dynamoReadUnit +
    u.invocations * PRICES.lambdaRequest +
    u.gbSeconds * PRICES.lambdaGbSecondArm +
    u.counts.eventEntries * PRICES.eventBridgeEvent +
    u.sqsRequests * PRICES.sqsRequest +
    u.counts.s3Put * PRICES.s3Put +
    u.counts.s3Get * PRICES.s3Get
  );
}

const lake = (bytes: number, perGb: number) => (bytes / 1e9) * perGb;

/** Both paths together. */
export function total(s: { cloudTrail: PathUse; nodeAgent: PathUse }): PathUse {
  return addUse(addUse(emptyUse(), s.cloudTrail), s.nodeAgent);
}

export interface TaskUse {
  /** DynamoDB use and Lambda GB-seconds of one hourly Baselines + Drift run over the slice. */
  counts: Counts;
  gbSeconds: number;
}

/** USD an hour of the hourly Baselines and Drift runs. */
function tasksCost(tasks: TaskUse): number {
  return (
    tasks.counts.readUnits * PRICES.dynamoReadUnit +
    tasks.counts.writeUnits * PRICES.dynamoWriteUnit +
    tasks.gbSeconds * PRICES.lambdaGbSecondArm +
    2 * PRICES.lambdaRequest
  );
}

/** Per 1M input events: the ingest path + the hourly runs, and CloudTrail Lake's price for the same events. */
export function deployedCost(s: Slice, tasks: TaskUse): DeployedCost {
  const all = total(s);
  const eventsPerHour = all.events / s.hours;
  return {
    ingestPerM: (costOf(all) * 1e6) / all.events + (tasksCost(tasks) * 1e6) / eventsPerHour,
    lakePerM: (lake(all.lakeBytes, PRICES.cloudTrailLakePerGb) * 1e6) / all.events,
    eventsPerHour,
  };
}

/** The cost rows of the benchmark. */
export function costRows(s: Slice, tasks: TaskUse, p: { agents: number }): BenchRow[] {
  const all = total(s);
  const perM = (x: number, u: PathUse = all) => (x * 1e6) / u.events;
  const tasksPerHour = tasksCost(tasks);
  const { ingestPerM: costPerM, lakePerM: lakeIngested } = deployedCost(s, tasks);
  const lakeRaw = perM(lake(all.rawBytes, PRICES.cloudTrailLakePerGb));
  const row = (name: string, value: number, unit: string, note?: string): BenchRow => ({
    name,
    value,
    unit,
    ...(note ? { note } : {}),
  });
  const byItem = Object.entries(all.counts.writeUnitsByItem)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${k} ${perM(v).toFixed(0)}`)
    .join(', ');
  const pathRow = (name: string, u: PathUse, what: string): BenchRow[] => [
    {
      name: `${name} path vs CloudTrail Lake (as ingested)`,
      value: perM(costOf(u), u),
      unit: 'USD/1M',
      baseline: { name: 'CloudTrail Lake', value: perM(lake(u.lakeBytes, PRICES.cloudTrailLakePerGb), u) },
      note: `${u.events} ${what} (${(u.rawBytes / u.events).toFixed(0)} B each, ${(u.lakeBytes / u.events).toFixed(0)} B as Lake ingests them); ${perM(u.counts.writeUnits, u).toFixed(0)} WRU, ${perM(u.counts.readUnits, u).toFixed(0)} RRU, ${perM(u.invocations, u).toFixed(0)} invocations, ${perM(u.gbSeconds, u).toFixed(0)} GB-s per 1M; peak heap growth of one invocation ${u.peakHeapMb.toFixed(0)} MiB`,
    },
  ];
  const warm = total(s.warmup);
  const monthlyEvents = p.agents > 0 ? 1000 * RECORDS_PER_AGENT_HOUR * HOURS_PER_MONTH : 0;
  const sh = s.shipped;
  return [
    row(
      'ingest: DynamoDB write units per 1M events',
      perM(all.counts.writeUnits),
      'WRU',
      `${p.agents} agents x ${s.hours} h after the warm-up, ${all.events} input events; by item: ${byItem}; index writes ${perM(all.counts.indexWriteUnits).toFixed(0)}`,
    ),
    row('ingest: DynamoDB read units per 1M events', perM(all.counts.readUnits), 'RRU'),
    row(
      'ingest: Lambda invocations per 1M events',
      perM(all.invocations),
      'invocations',
      `CloudTrail ${s.cloudTrail.invocations}, node agents ${s.nodeAgent.invocations}`,
    ),
    row(
      'ingest: Lambda GB-seconds per 1M events',
      perM(all.gbSeconds),
      'GB-s',
      `duration on this machine (x86; wall time less the thread's waits for a CPU, bench/fleet/lambda.ts; dynalite in another process) x configured memory; ${perM(all.wallGbSeconds).toFixed(0)} GB-s from wall time; ${perM(all.cpuSeconds).toFixed(0)} CPU-seconds per 1M`,
    ),
    row(
      'ingest: EventBridge events per 1M events',
      perM(all.counts.eventEntries),
      'events',
      JSON.stringify(all.counts.eventsByType),
    ),
    row(
      'ingest: S3 requests per 1M events',
      perM(all.counts.s3Get + all.counts.s3Put),
      'requests',
      `GET ${all.counts.s3Get}, PUT ${all.counts.s3Put}`,
    ),
    row('ingest: SQS requests per 1M events', perM(all.sqsRequests), 'requests'),
    row(
      'node agents: batches per node-hour',
      sh.batches / sh.nodes / s.hours,
      'batches',
      `${sh.records} records shipped for ${s.nodeAgent.events} collected (${(sh.bodyBytes / 1024).toFixed(0)} KiB gzip)`,
    ),
    row(
      'node agents: deliveries per subject-hour',
      sh.deliveries / sh.subjects / s.hours,
      'deliveries',
      `a subject's window in a batch; ${sh.subjects} subjects; subject windows closed ${JSON.stringify(sh.closes)}`,
    ),
    row(
      'hourly baseline + drift runs over the slice',
      tasksPerHour,
      'USD',
      `RRU ${tasks.counts.readUnits}, WRU ${tasks.counts.writeUnits}, ${tasks.gbSeconds.toFixed(1)} GB-s`,
    ),
    row(
      'cost per 1M events: ingest path + hourly tasks',
      costPerM,
      'USD',
      'with the Drift run after each hour; what drift between the hours adds: the drift rows',
    ),
    row(
      'CloudTrail Lake ingestion per 1M of the same events',
      lakeIngested,
      'USD',
      `as ingested (node-agent records as integration events); their own bytes ${lakeRaw.toFixed(3)} USD; seven-year pricing ${((lakeIngested * PRICES.cloudTrailLakeSevenYearPerGb) / PRICES.cloudTrailLakePerGb).toFixed(3)} USD`,
    ),
    {
      name: 'ingest path cost vs CloudTrail Lake (as ingested)',
      value: costPerM,
      unit: 'USD',
      baseline: { name: 'CloudTrail Lake', value: lakeIngested },
      target: '<= 0.25',
    },
    {
      name: "ingest path cost vs CloudTrail Lake (records' own bytes)",
      value: costPerM,
      unit: 'USD',
      baseline: { name: 'CloudTrail Lake', value: lakeRaw },
      target: '<= 0.25',
    },
    ...pathRow('CloudTrail', s.cloudTrail, 'CloudTrail events'),
    ...pathRow('node-agent', s.nodeAgent, 'node-agent records of the 60 s tick'),
    row(
      'warm-up hours (cold start) vs CloudTrail Lake (as ingested)',
      costOf(warm) / lake(warm.lakeBytes, PRICES.cloudTrailLakePerGb),
      'x',
      `${warm.events} events; ${perM(warm.counts.writeUnits, warm).toFixed(0)} WRU per 1M: every behavior new to the agents, every item created`,
    ),
    row(
      'trail delivering the data events, if it exists for Warden alone',
      perM(s.trail.dataEvents) * PRICES.trailDataEvent + perM(s.trail.files) * PRICES.s3Put,
      'USD/1M',
      `${s.trail.dataEvents} data events in ${s.trail.files} files: 0.10 USD per 100,000 delivered, and the PUTs; not in the cost above (an organization trail usually exists for audit anyway; CloudTrail Lake needs none)`,
    ),
    row(
      'monthly estimate, 1,000 agents: ingest path + hourly tasks',
      (costPerM * monthlyEvents) / 1e6,
      'USD',
      `${(monthlyEvents / 1e6).toFixed(0)}M events/month`,
    ),
    row('monthly estimate, 1,000 agents: CloudTrail Lake ingestion', (lakeIngested * monthlyEvents) / 1e6, 'USD'),
  ];
}
