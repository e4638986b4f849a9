/**
 * The ingest slice of the fleet benchmark: hours of a generated fleet delivered the way AWS delivers them, through
 * the bundled handlers, metered per delivery path. CloudTrail: trail files -> S3 notification -> SQS -> IngestObjects
 * (as many notifications per invocation as the queue's batching gathers, or, with a drain schedule, the scheduled
 * invocations that receive what the queue holds from the bench endpoint), management events -> EventBridge -> SQS ->
 * IngestEvents (batches of the event source's size). Node agents: each node's per-minute records go through the
 * agent's own window aggregator and ship clock (./node-sim.ts), and the batches it closes are posted to IngestHttp.
 * The first `warmup` hours run the same way but are not metered: the steady state (agents that have shipped their
 * usual behaviors before, aggregates and registry items that already exist) is what a fleet pays every hour.
 */
import { randomUUID } from 'node:crypto';
import { type BenchEndpoint, type Counts, diffCounts, emptyCounts } from './endpoint.ts';
import { integrationEvent } from './lake.ts';
import { type Fn, type Lambdas, sqsEvent, urlEvent } from './lambda.ts';
import { NodeSim } from './node-sim.ts';
import { ACCOUNT, type Agent, managementEvents, nodeBatch, nodesOf, REGION, Rng, trailFiles } from './workload.ts';

const HOUR = 3_600_000;
const BUCKET = 'org-trail';

/** What one delivery path took, and the input it carried. */
export interface PathUse {
  counts: Counts;
  invocations: number;
  /** From each invocation's duration (./lambda.ts) and the function's memory, as Lambda bills it. */
  gbSeconds: number;
  /** The same from wall time, the machine's waits for a CPU included. */
  wallGbSeconds: number;
  /** CPU seconds of the benchmark's process during the invocations (the handler and the counting endpoint). */
  cpuSeconds: number;
  /** Largest heap growth of one invocation, MiB (what the function's memory must hold besides the runtime). */
  peakHeapMb: number;
  /** SQS requests: one send per message, and a receive and a delete per batch polled (or those a drain made). */
  sqsRequests: number;
  /** Input events (CloudTrail records; node-agent records of the 60 s collection tick). */
  events: number;
  /** Their JSON bytes. */
  rawBytes: number;
  /** Their bytes as CloudTrail Lake would ingest them (./lake.ts). */
  lakeBytes: number;
}

export interface Slice {
  hours: number;
  cloudTrail: PathUse;
  nodeAgent: PathUse;
  /** The node agents' batches: how many, why they closed, records and gzip bytes shipped. */
  shipped: {
    nodes: number;
    /** Agent pods (subjects) on the nodes. */
    subjects: number;
    batches: number;
    /** Subject windows shipped: a subject in a batch is one delivery to the store. */
    deliveries: number;
    records: number;
    bodyBytes: number;
    closes: Record<string, number>;
  };
  /** The same figures for the unmetered warm-up hours (cold start: every behavior new, every item created). */
  warmup: { cloudTrail: PathUse; nodeAgent: PathUse };
  /** What the trail itself did (not Warden's bill when the trail exists anyway): data events delivered, files put. */
  trail: { dataEvents: number; files: number };
  /** IngestObjects in the metered hours: invocations, pipeline runs (a drain may make several) and notifications. */
  objectRuns: { invocations: number; runs: number; messages: number };
}

export interface SliceOptions {
  agents: Agent[];
  hours: number;
  warmup: number;
  /** Runs after the warm-up hours, before the metered ones (not metered): the hourly tasks' state as a fleet has it. */
  afterWarmup?: () => Promise<void>;
  start: number;
  /** The SQS event sources of IngestObjects (or its drain schedule) and IngestEvents, as synthesized. */
  objects: EventSource | DrainSchedule;
  events: EventSource;
  ship?: { shipMs?: number; earlyPerHour?: number };
}

export interface EventSource {
  batchSize: number;
  windowSeconds: number;
}

/** A schedule invoking IngestObjects every `drainMinutes` to drain its queue (lambdas/ingest-objects). */
export interface DrainSchedule {
  drainMinutes: number;
}

/**
 * The batches Lambda's SQS poller hands a function for messages arriving at these times (ms, ascending): a batch
 * takes the messages that arrive within the batching window from its first one, up to the batch size.
 */
export function sqsBatches<T>(messages: readonly { at: number; body: T }[], src: EventSource): T[][] {
  const out: T[][] = [];
  let i = 0;
  while (i < messages.length) {
    const t0 = (messages[i] as { at: number }).at;
    const batch: T[] = [];
    while (
      i < messages.length &&
      batch.length < src.batchSize &&
      (messages[i] as { at: number }).at <= t0 + src.windowSeconds * 1000
    )
      batch.push((messages[i++] as { body: T }).body);
    out.push(batch);
  }
  return out;
}

export const emptyUse = (): PathUse => ({
  counts: emptyCounts(),
  invocations: 0,
  gbSeconds: 0,
  wallGbSeconds: 0,
  cpuSeconds: 0,
  peakHeapMb: 0,
  sqsRequests: 0,
  events: 0,
  rawBytes: 0,
  lakeBytes: 0,
});

/** Adds `u` into `acc`, field by field; returns `acc`. */
export function addUse(acc: PathUse, u: PathUse): PathUse {
  addCounts(acc.counts, u.counts);
  for (const k of [
    'invocations',
    'gbSeconds',
    'wallGbSeconds',
    'cpuSeconds',
    'sqsRequests',
    'events',
    'rawBytes',
    'lakeBytes',
  ] as const)
    acc[k] += u[k];
  acc.peakHeapMb = Math.max(acc.peakHeapMb, u.peakHeapMb);
  return acc;
}

/** Adds `d` into `acc`, field by field. */
function addCounts(acc: Counts, d: Counts): void {
  const add = (x: Record<string, number>, y: Record<string, number>) => {
    for (const [k, v] of Object.entries(y)) x[k] = (x[k] ?? 0) + v;
  };
  for (const k of [
    'readUnits',
    'writeUnits',
    'indexWriteUnits',
    'itemsRead',
    'eventEntries',
    's3Get',
    's3Put',
  ] as const)
    acc[k] += d[k];
  add(acc.dynamo, d.dynamo);
  add(acc.unitsByOp, d.unitsByOp);
  add(acc.writeUnitsByItem, d.writeUnitsByItem);
  add(acc.eventsByType, d.eventsByType);
}

/** Delivers the slice through the bundled ingest handlers; returns what each path took. */
export async function ingestSlice(
  l: Lambdas,
  ep: Pick<BenchEndpoint, 'counts' | 'objects' | 'sqs'>,
  o: SliceOptions,
): Promise<Slice> {
  const rng = new Rng(7);
  const nodes = nodesOf(o.agents);
  const sims = nodes.map((_, n) => new NodeSim(`ip-10-0-${n >> 8}-${n & 255}`, o.start, o.ship));
  const metered = { cloudTrail: emptyUse(), nodeAgent: emptyUse() };
  const warmup = { cloudTrail: emptyUse(), nodeAgent: emptyUse() };
  const trail = { dataEvents: 0, files: 0 };
  const shipped = {
    nodes: nodes.length,
    subjects: o.agents.length,
    batches: 0,
    deliveries: 0,
    records: 0,
    bodyBytes: 0,
    closes: {} as Record<string, number>,
  };
  let use = warmup;
  const drain = 'drainMinutes' in o.objects ? o.objects.drainMinutes * 60_000 : 0;
  let nextDrain = o.start + drain;
  const pending: { at: number; body: string }[] = [];
  const invoke = async (fn: Fn, event: unknown, path: PathUse, sqsMessages: number) => {
    const before = structuredClone(ep.counts);
    const sqsBefore = ep.sqs.requests;
    const r = await l.invoke(fn, event);
    addCounts(path.counts, diffCounts(ep.counts, before));
    path.invocations++;
    path.gbSeconds += (r.ms / 1000) * (l.memoryMb[fn] / 1024);
    path.wallGbSeconds += (r.wallMs / 1000) * (l.memoryMb[fn] / 1024);
    path.cpuSeconds += r.cpuMs / 1000;
    path.peakHeapMb = Math.max(path.peakHeapMb, r.peakHeapMb);
    path.sqsRequests += (sqsMessages > 0 ? sqsMessages + 2 : 0) + ep.sqs.requests - sqsBefore;
    return r.result;
  };
  /** Metered IngestObjects invocations and the pipeline runs they made (a drain reports its runs). */
  const objectRuns = { invocations: 0, runs: 0, messages: 0 };
  for (let h = 0; h < o.warmup + o.hours; h++) {
    if (h === o.warmup) {
      await o.afterWarmup?.();
      use = metered;
      for (const s of sims) for (const k of Object.keys(s.closes)) delete s.closes[k];
    }
    const hour = o.start + h * HOUR;
    process.stderr.write(`fleet:   hour ${h + 1}/${o.warmup + o.hours}${h < o.warmup ? ' (warm-up)' : ''}\n`);
    // CloudTrail writes each trail file (the trail's own cost, counted apart); S3 notifies the queue.
    const notifications: { at: number; body: string }[] = [];
    for (const [w, f] of trailFiles(o.agents, hour, rng).entries()) {
      if (use === metered) {
        trail.files++;
        trail.dataEvents += f.records;
      }
      ep.objects.set(`${BUCKET}/${f.key}`, f.body);
      use.cloudTrail.events += f.records;
      use.cloudTrail.rawBytes += f.rawBytes;
      use.cloudTrail.lakeBytes += f.rawBytes;
      // Delivered about 5 minutes after the window it covers, one file per 5 minutes.
      notifications.push({
        at: hour + (w + 1) * 300_000,
        body: JSON.stringify({
          Records: [
            {
              eventSource: 'aws:s3',
              eventName: 'ObjectCreated:Put',
              s3: { bucket: { name: BUCKET }, object: { key: f.key, size: f.body.length } },
            },
          ],
        }),
      });
    }
    if ('drainMinutes' in o.objects) {
      // S3 sends each notification; every scheduled drain receives what has arrived by then, empty or not.
      use.cloudTrail.sqsRequests += notifications.length;
      pending.push(...notifications);
      for (; nextDrain <= hour + HOUR; nextDrain += drain) {
        while (pending.length > 0 && (pending[0] as { at: number }).at <= nextDrain)
          ep.sqs.send((pending.shift() as { body: string }).body);
        const r = (await invoke('IngestObjects', { drain: 'objects' }, use.cloudTrail, 0)) as {
          runs: number;
          received: number;
        };
        if (use === metered) {
          objectRuns.invocations++;
          objectRuns.runs += r.runs;
          objectRuns.messages += r.received;
        }
      }
    } else
      for (const batch of sqsBatches(notifications, o.objects)) {
        await invoke('IngestObjects', sqsEvent(batch, 'objects'), use.cloudTrail, batch.length);
        if (use === metered) {
          objectRuns.invocations++;
          objectRuns.runs++;
          objectRuns.messages += batch.length;
        }
      }
    const mgmt = o.agents
      .flatMap((a) => managementEvents(a, hour, rng))
      .sort((x, y) => x.eventTime.localeCompare(y.eventTime));
    // EventBridge delivers a management event to the queue seconds after the call.
    const envelopes = mgmt.map((d) => ({
      at: Date.parse(d.eventTime),
      body: JSON.stringify({
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
    }));
    for (const d of mgmt) {
      const n = JSON.stringify(d).length;
      use.cloudTrail.events++;
      use.cloudTrail.rawBytes += n;
      use.cloudTrail.lakeBytes += n;
    }
    for (const batch of sqsBatches(envelopes, o.events))
      await invoke('IngestEvents', sqsEvent(batch, 'cloudtrail'), use.cloudTrail, batch.length);
    for (let m = 0; m < 60; m++) {
      for (const [n, onNode] of nodes.entries()) {
        const minute = nodeBatch(onNode, hour + m * 60_000, rng, n);
        for (const r of minute.records) {
          use.nodeAgent.events++;
          use.nodeAgent.rawBytes += JSON.stringify(r).length;
          use.nodeAgent.lakeBytes += integrationEvent(r, minute.agent.node, randomUUID()).length;
        }
        const sim = sims[n] as NodeSim;
        sim.collect(minute.records, hour + m * 60_000);
        const out = sim.tick(hour + (m + 1) * 60_000);
        if (!out) continue;
        if (use === metered) {
          shipped.batches++;
          shipped.deliveries += out.subjects;
          shipped.records += out.batch.records.length;
          shipped.bodyBytes += out.base64.length * 0.75;
        }
        const caller = `arn:aws:sts::${ACCOUNT}:assumed-role/node-agent/i-${n}`;
        await invoke('IngestHttp', urlEvent(out.base64, caller, true), use.nodeAgent, 0);
      }
    }
  }
  for (const s of sims) for (const [k, v] of Object.entries(s.closes)) shipped.closes[k] = (shipped.closes[k] ?? 0) + v;
  return { hours: o.hours, ...metered, shipped, warmup, trail, objectRuns };
}
