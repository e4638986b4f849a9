import { DynamoStore } from '../lib/adapters/dynamo-store.ts';
import { startEmbedded } from '../lib/adapters/embedded.ts';
import { localClientConfig } from '../lib/adapters/open-store.ts';
import { type DriftPoint, driftRows, driftScaling } from './fleet/drift.ts';
import { type Counts, diffCounts, startBenchEndpoint } from './fleet/endpoint.ts';
import { type Lambdas, loadLambdas, sqsEvent, urlEvent } from './fleet/lambda.ts';
import { HOURS_PER_MONTH, PRICES } from './fleet/prices.ts';
import {
  ACCOUNT,
  type Agent,
  fleet,
  managementEvents,
  nodeBatch,
  nodesOf,
  RECORDS_PER_AGENT_HOUR,
  REGION,
  Rng,
  trailFiles,
} from './fleet/workload.ts';
import type { BenchRow } from './run.ts';

const TABLE = 'warden';
const BUCKET = 'org-trail';
const env = (k: string, d: number) => Number(process.env[k] ?? d);
const HOUR = 3_600_000;

interface Slice {
  events: number;
  bytes: number;
  counts: Counts;
  sqsMessages: number;
  invocations: Record<string, number>;
  gbSeconds: number;
  announcements: number;
}

/** Delivers `hours` of the fleet through the bundled ingest handlers; returns what it took. */
async function ingestSlice(
  l: Lambdas,
  ep: { counts: Counts; objects: Map<string, Buffer> },
  agents: Agent[],
  hours: number,
  start: number,
): Promise<Slice> {
  const counts = ep.counts;
  const before = structuredClone(counts);
  const rng = new Rng(7);
  let events = 0;
  let bytes = 0;
  let sqsMessages = 0;
  for (let h = 0; h < hours; h++) {
    const hour = start + h * HOUR;
    for (const f of trailFiles(agents, hour, rng)) {
      // CloudTrail writes the file (a PUT billed to the bucket owner), S3 notifies the queue, Lambda reads it.
      counts.s3Put += 1;
      ep.objects.set(`${BUCKET}/${f.key}`, f.body);
      events += f.records;
      bytes += f.rawBytes;
      sqsMessages += 1;
      const body = JSON.stringify({
        Records: [
          {
            eventSource: 'aws:s3',
            eventName: 'ObjectCreated:Put',
            s3: { bucket: { name: BUCKET }, object: { key: f.key, size: f.body.length } },
          },
        ],
      });
      await l.invoke('IngestObjects', sqsEvent([body], 'objects'));
    }
    const mgmt = agents.flatMap((a) => managementEvents(a, hour, rng));
    const envelopes = mgmt.map((d) =>
      JSON.stringify({
        version: '0',
        id: rng.uuid(),
        'detail-type': 'AWS API Call via CloudTrail',
        source: `aws.${d.eventSource.split('.')[0]}`,
        account: ACCOUNT,
        time: d.eventTime,
        region: REGION,
        resources: [],
        detail: d,
      }),
    );
    events += mgmt.length;
    sqsMessages += mgmt.length;
    bytes += mgmt.reduce((n, d) => n + JSON.stringify(d).length, 0);
    for (let i = 0; i < envelopes.length; i += 100)
      await l.invoke('IngestEvents', sqsEvent(envelopes.slice(i, i + 100), 'cloudtrail'));
    const nodes = nodesOf(agents);
    for (let m = 0; m < 60; m++) {
      if (m % 15 === 0) process.stderr.write(`fleet:   hour ${h + 1}/${hours}, minute ${m}: ${events} events so far\n`);
      for (const [n, onNode] of nodes.entries()) {
        const batch = nodeBatch(onNode, hour + m * 60_000, rng, n);
        events += batch.records.length;
        bytes += batch.records.reduce((x, r) => x + JSON.stringify(r).length, 0);
        await l.invoke(
          'IngestHttp',
          urlEvent(JSON.stringify(batch), `arn:aws:sts::${ACCOUNT}:assumed-role/node-agent/${n}`),
        );
      }
    }
  }
  const d = diffCounts(counts, before);
  const invocations = { ...l.meter.invocations };
  const gbSeconds = Object.values(l.meter.gbSeconds).reduce((a, b) => a + b, 0);
  return {
    events,
    bytes,
    counts: d,
    sqsMessages,
    invocations,
    gbSeconds,
    announcements: d.eventsByType['Warden Observations Ingested'] ?? 0,
  };
}

export async function bench(): Promise<BenchRow[]> {
  const agentsN = env('FLEET_AGENTS', 20);
  const hours = env('FLEET_HOURS', 1);
  const driftAgents = env('DRIFT_AGENTS', 2);
  const driftDays = env('DRIFT_DAYS', 0.5);
  const now = Math.floor(Date.now() / HOUR) * HOUR;

  let db = await startEmbedded();
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
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_TRACE_ENABLED: 'false',
  });

  // 1. The ingest slice, then the hourly tasks over it.
  process.stderr.write(`fleet: ingesting ${agentsN} agents x ${hours} h through the bundled handlers ...\n`);
  const slice = await ingestSlice(l, ep, fleet(agentsN), hours, now - hours * HOUR);
  const beforeTasks = structuredClone(ep.counts);
  const baseline = await l.invoke('Baselines', {});
  const hourlyDrift = await l.invoke('Drift', {});
  const tasks = diffCounts(ep.counts, beforeTasks);
  // Each phase's raw figures as soon as they exist: a long run on a busy machine still leaves them in the log.
  process.stderr.write(`fleet: ingest slice ${JSON.stringify({ ...slice, tasks })}\n`);

  // 2. Drift run work at 1x, 4x, 16x fleet x history (bench/fleet/drift.ts).
  const points = await driftScaling(
    l,
    ep.counts,
    async () => {
      await db.close();
      db = await startEmbedded();
      ep.setUpstream(db.endpoint);
      return db.endpoint;
    },
    { table: TABLE, agents: driftAgents, days: driftDays, now },
  );
  await ep.close();
  await db.close();
  return report(slice, { baseline: baseline.ms, drift: hourlyDrift.ms, tasks }, points, l, { agentsN, hours });
}

/** Rows: per-million figures, drift scaling, and the cost model. */
function report(
  s: Slice,
  t: { baseline: number; drift: number; tasks: Counts },
  points: DriftPoint[],
  l: Lambdas,
  p: { agentsN: number; hours: number },
): BenchRow[] {
  const perM = (x: number) => (x * 1e6) / s.events;
  const invocations = Object.values(s.invocations).reduce((a, b) => a + b, 0);
  const sqsRequests = s.sqsMessages + 2 * ((s.invocations.IngestObjects ?? 0) + (s.invocations.IngestEvents ?? 0));
  const ingestCost =
    s.counts.writeUnits * PRICES.dynamoWriteUnit +
    s.counts.readUnits * PRICES.dynamoReadUnit +
    invocations * PRICES.lambdaRequest +
    s.gbSeconds * PRICES.lambdaGbSecondArm +
    s.counts.eventEntries * PRICES.eventBridgeEvent +
    sqsRequests * PRICES.sqsRequest +
    s.counts.s3Put * PRICES.s3Put +
    s.counts.s3Get * PRICES.s3Get;
  // Hourly tasks (baseline + scheduled drift) over this slice, per hour of fleet traffic.
  const gb = (ms: number, fn: 'Baselines' | 'Drift') => (ms / 1000) * (l.memoryMb[fn] / 1024);
  const tasksPerHour =
    (t.tasks.readUnits * PRICES.dynamoReadUnit + t.tasks.writeUnits * PRICES.dynamoWriteUnit) / 1 +
    (gb(t.baseline, 'Baselines') + gb(t.drift, 'Drift')) * PRICES.lambdaGbSecondArm +
    2 * PRICES.lambdaRequest;
  const eventsPerHour = s.events / p.hours;
  const costPerM = perM(ingestCost) + (tasksPerHour * 1e6) / eventsPerHour;
  const lakePerM = (((s.bytes / s.events) * 1e6) / 1e9) * PRICES.cloudTrailLakePerGb;
  const lake7PerM = (((s.bytes / s.events) * 1e6) / 1e9) * PRICES.cloudTrailLakeSevenYearPerGb;
  const announcePerM = perM(s.announcements);
  const monthlyEvents = 1000 * RECORDS_PER_AGENT_HOUR * HOURS_PER_MONTH;
  const per = (name: string, value: number, unit: string, note?: string): BenchRow => ({
    name,
    value,
    unit,
    ...(note ? { note } : {}),
  });
  const slice = `${p.agentsN} agents x ${p.hours} h, ${s.events} input events (${(s.bytes / s.events).toFixed(0)} B each)`;
  return [
    per(
      'ingest: DynamoDB write units per 1M events',
      perM(s.counts.writeUnits),
      'WRU',
      `${slice}; index writes ${perM(s.counts.indexWriteUnits).toFixed(0)}`,
    ),
    per('ingest: DynamoDB read units per 1M events', perM(s.counts.readUnits), 'RRU'),
    per('ingest: Lambda invocations per 1M events', perM(invocations), 'invocations', JSON.stringify(s.invocations)),
    per('ingest: Lambda GB-seconds per 1M events', perM(s.gbSeconds), 'GB-s', 'durations measured on this machine'),
    per(
      'ingest: EventBridge events per 1M events',
      perM(s.counts.eventEntries),
      'events',
      JSON.stringify(s.counts.eventsByType),
    ),
    per(
      'ingest: S3 requests per 1M events',
      perM(s.counts.s3Get + s.counts.s3Put),
      'requests',
      `GET ${s.counts.s3Get}, PUT ${s.counts.s3Put}`,
    ),
    per('ingest: SQS requests per 1M events', perM(sqsRequests), 'requests'),
    per(
      'hourly baseline + drift run over the slice',
      t.baseline + t.drift,
      'ms',
      `RRU ${t.tasks.readUnits}, WRU ${t.tasks.writeUnits}`,
    ),
    per('cost per 1M events: ingest path + hourly tasks', costPerM, 'USD', `without drift on ingest`),
    ...driftRows(points, announcePerM, l.memoryMb.Drift),
    {
      name: 'CloudTrail Lake ingestion per 1M of the same events',
      value: lakePerM,
      unit: 'USD',
      note: `seven-year retention pricing: ${lake7PerM.toFixed(2)} USD`,
    },
    {
      name: 'ingest path cost vs CloudTrail Lake',
      value: costPerM,
      unit: 'USD',
      baseline: { name: 'CloudTrail Lake', value: lakePerM },
      target: '<= 0.25',
    },
    per(
      'monthly estimate, 1,000 agents: ingest path + hourly tasks',
      (costPerM * monthlyEvents) / 1e6,
      'USD',
      `${(monthlyEvents / 1e6).toFixed(0)}M events/month`,
    ),
    per('monthly estimate, 1,000 agents: CloudTrail Lake ingestion', (lakePerM * monthlyEvents) / 1e6, 'USD'),
  ];
}
