/**
 * The AWS endpoint the bundled handlers talk to in the fleet benchmark (`AWS_ENDPOINT_URL`), counting what AWS
 * would bill:
 * - DynamoDB requests go to a real DynamoDB API (dynalite, in process) with `ReturnConsumedCapacity: TOTAL` added,
 *   so read and write units are the ones DynamoDB's sizing rules give for the actual items (and at least one read,
 *   or half of one eventually consistent, for a Query that finds nothing, which dynalite reports as 0). Writes of items that
 *   carry the GSI key (subject registry, quarantine) are counted once more for the index (projection ALL), as
 *   DynamoDB bills index writes; dynalite reports table units only.
 * - EventBridge PutEvents and S3 GetObject/PutObject are answered here and counted (entries, requests).
 * - SQS ReceiveMessage and DeleteMessageBatch on one queue (the Objects queue a scheduled drain reads) are answered
 *   from memory and counted: what the drain itself asks of SQS.
 */
import { createHash } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Counts {
  /** DynamoDB requests by operation. */
  dynamo: Record<string, number>;
  readUnits: number;
  writeUnits: number;
  /** Index write units included in writeUnits. */
  indexWriteUnits: number;
  /** Capacity units (read or write) by DynamoDB operation. */
  unitsByOp: Record<string, number>;
  /** Write units by item type (the sort key's prefix: A# aggregate, E# evidence, R# registry day, #META ...). */
  writeUnitsByItem: Record<string, number>;
  /** Items returned by Query/GetItem/BatchGetItem. */
  itemsRead: number;
  eventEntries: number;
  /** PutEvents entries by detail type. */
  eventsByType: Record<string, number>;
  s3Get: number;
  s3Put: number;
}

export const emptyCounts = (): Counts => ({
  dynamo: {},
  readUnits: 0,
  writeUnits: 0,
  indexWriteUnits: 0,
  unitsByOp: {},
  writeUnitsByItem: {},
  itemsRead: 0,
  eventEntries: 0,
  eventsByType: {},
  s3Get: 0,
  s3Put: 0,
});

/** a - b, field by field (what one phase of the benchmark cost). */
export function diffCounts(a: Counts, b: Counts): Counts {
  const sub = (x: Record<string, number>, y: Record<string, number>) =>
    Object.fromEntries(Object.keys(x).map((k) => [k, (x[k] ?? 0) - (y[k] ?? 0)]));
  return {
    dynamo: sub(a.dynamo, b.dynamo),
    readUnits: a.readUnits - b.readUnits,
    writeUnits: a.writeUnits - b.writeUnits,
    indexWriteUnits: a.indexWriteUnits - b.indexWriteUnits,
    unitsByOp: sub(a.unitsByOp, b.unitsByOp),
    writeUnitsByItem: sub(a.writeUnitsByItem, b.writeUnitsByItem),
    itemsRead: a.itemsRead - b.itemsRead,
    eventEntries: a.eventEntries - b.eventEntries,
    eventsByType: sub(a.eventsByType, b.eventsByType),
    s3Get: a.s3Get - b.s3Get,
    s3Put: a.s3Put - b.s3Put,
  };
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function forward(target: URL, req: IncomingMessage, body: Buffer): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers, host: target.host, 'content-length': String(body.length) };
    const out = httpRequest(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers },
      async (res) => resolve({ status: res.statusCode ?? 500, body: await readBody(res) }),
    );
    out.on('error', reject);
    out.end(body);
  });
}

type Capacity = { CapacityUnits?: number } | { CapacityUnits?: number }[] | undefined;
const unitsOf = (c: Capacity) => (Array.isArray(c) ? c : c ? [c] : []).reduce((n, x) => n + (x.CapacityUnits ?? 0), 0);

/** Adds one write's units, by item type, and once more for the GSI when the item carries its key. */
function countWrite(counts: Counts, input: Record<string, unknown>, units: number, indexed: boolean): void {
  const key = (input.Item ?? input.Key) as { pk?: { S?: string }; sk?: { S?: string } } | undefined;
  const sk = String(key?.sk?.S ?? (input.RequestItems ? 'batch' : '?'));
  // Dirty marks are keyed by their shard (`DIRTY#<n>`) and the subject.
  const type = key?.pk?.S?.startsWith('DIRTY#') ? 'DIRTY' : sk.startsWith('#') ? sk : sk.slice(0, 2);
  counts.writeUnits += units;
  counts.writeUnitsByItem[type] = (counts.writeUnitsByItem[type] ?? 0) + units;
  if (indexed) {
    counts.writeUnits += units;
    counts.indexWriteUnits += units;
  }
}

export interface BenchEndpoint {
  endpoint: string;
  counts: Counts;
  /** Objects served by GetObject, by `bucket/key`. */
  objects: Map<string, Buffer>;
  /** The queue a drain receives from (`queueUrl`): bodies sent to it, and the SQS requests the handlers made. */
  sqs: { queueUrl: string; send(body: string): void; requests: number; visible(): number };
  /** Sends DynamoDB requests to another endpoint from now on (a fresh store per drift scale). */
  setUpstream(endpoint: string): void;
  close(): Promise<void>;
}

export async function startBenchEndpoint(dynamoEndpoint: string): Promise<BenchEndpoint> {
  const counts = emptyCounts();
  const objects = new Map<string, Buffer>();
  let dynamo = new URL(dynamoEndpoint);
  // Visible messages, and the received ones by receipt handle until deleted (a drain runs to the end in this process,
  // so nothing it received becomes visible again within the benchmark).
  const queue: { id: string; body: string }[] = [];
  const inFlight = new Map<string, { id: string; body: string }>();
  let nextId = 0;
  const sqsState = {
    queueUrl: '',
    requests: 0,
    send: (body: string) => void queue.push({ id: `msg-${nextId++}`, body }),
    visible: () => queue.length,
  };
  const server: Server = createServer(async (req, res) => {
    try {
      const body = await readBody(req);
      const target = String(req.headers['x-amz-target'] ?? '');
      if (target.startsWith('DynamoDB_')) {
        const op = target.split('.')[1]!;
        counts.dynamo[op] = (counts.dynamo[op] ?? 0) + 1;
        const input = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
        input.ReturnConsumedCapacity = 'TOTAL';
        const r = await forward(dynamo, req, Buffer.from(JSON.stringify(input)));
        if (r.status === 200) {
          const out = JSON.parse(r.body.toString('utf8')) as Record<string, unknown>;
          // A Query that finds nothing is still billed one read (half eventually consistent), as a GetItem of a missing
          // item is; dynalite reports 0 for it (and the right minimum for GetItem).
          const reported = unitsOf(out.ConsumedCapacity as Capacity);
          const units = op === 'Query' || op === 'Scan' ? Math.max(reported, input.ConsistentRead ? 1 : 0.5) : reported;
          counts.unitsByOp[op] = (counts.unitsByOp[op] ?? 0) + units;
          if (WRITES.has(op)) countWrite(counts, input, units, body.includes('gsi1pk'));
          else counts.readUnits += units;
          counts.itemsRead += Number(out.Count ?? (out.Item ? 1 : 0));
        } else if (WRITES.has(op) && r.body.includes('ConditionalCheckFailed')) {
          // A write whose condition fails is billed too: at least one unit, as the item it would have written.
          countWrite(counts, input, Math.max(1, Math.ceil(JSON.stringify(input.Item ?? {}).length / 1024)), false);
        }
        res.writeHead(r.status, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(r.body);
        return;
      }
      if (target.startsWith('AmazonSQS.')) {
        sqsState.requests += 1;
        const input = JSON.parse(body.toString('utf8')) as {
          MaxNumberOfMessages?: number;
          Entries?: { Id: string; ReceiptHandle: string }[];
        };
        let out: unknown;
        if (target === 'AmazonSQS.ReceiveMessage') {
          const got = queue.splice(0, Math.min(10, input.MaxNumberOfMessages ?? 1));
          out = {
            Messages: got.map((m) => {
              const ReceiptHandle = `rh-${m.id}`;
              inFlight.set(ReceiptHandle, m);
              return { MessageId: m.id, ReceiptHandle, Body: m.body, MD5OfBody: md5(m.body) };
            }),
          };
        } else if (target === 'AmazonSQS.DeleteMessageBatch') {
          const entries = input.Entries ?? [];
          for (const e of entries) inFlight.delete(e.ReceiptHandle);
          out = { Successful: entries.map((e) => ({ Id: e.Id })), Failed: [] };
        } else throw new Error(`bench endpoint: unsupported ${target}`);
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify(out));
        return;
      }
      if (target === 'AWSEvents.PutEvents') {
        const entries = (JSON.parse(body.toString('utf8')).Entries ?? []) as { DetailType?: string }[];
        counts.eventEntries += entries.length;
        for (const e of entries)
          counts.eventsByType[e.DetailType ?? ''] = (counts.eventsByType[e.DetailType ?? ''] ?? 0) + 1;
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ FailedEntryCount: 0, Entries: entries.map((_, i) => ({ EventId: `e-${i}` })) }));
        return;
      }
      // S3, path style (the SDK uses it for an IP endpoint): /bucket/key
      const key = decodeURIComponent((req.url ?? '/').split('?')[0]!.slice(1));
      if (req.method === 'GET') {
        counts.s3Get += 1;
        const obj = objects.get(key);
        res.writeHead(obj ? 200 : 404, { 'content-type': obj ? 'application/octet-stream' : 'application/xml' });
        res.end(obj ?? '<Error><Code>NoSuchKey</Code><Message>no such key</Message></Error>');
        return;
      }
      if (req.method === 'PUT') {
        counts.s3Put += 1;
        objects.set(key, body);
        res.writeHead(200, { etag: '"bench"' });
        res.end();
        return;
      }
      res.writeHead(400);
      res.end(`bench endpoint: unsupported ${req.method} ${req.url} ${target}`);
    } catch (err) {
      res.writeHead(500);
      res.end(String(err));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  sqsState.queueUrl = `http://127.0.0.1:${port}/123456789012/objects`;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts,
    objects,
    sqs: sqsState,
    setUpstream: (e) => {
      dynamo = new URL(e);
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
