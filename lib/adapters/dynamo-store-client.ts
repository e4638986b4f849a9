/**
 * What every part of the DynamoDB store shares: the document client and table, the clock and retention, and the
 * few request shapes used everywhere (a counted write, a batched consistent read, a paged query that drops expired
 * items). Only UpdateItem / PutItem / GetItem / BatchGetItem / Query: no transactions, no reliance on TTL deletion.
 */
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  type PutCommandInput,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { ItemKey } from './dynamo-store-items.ts';

export interface DynamoContext {
  doc: DynamoDBDocumentClient;
  table: string;
  now: () => Date;
  retentionDays: number;
  quarantineDays: number;
  /** Parallel requests per operation. */
  concurrency: number;
}

/** Write requests and write capacity units one store call used (units as DynamoDB reports them, when it does). */
export interface WriteTally {
  requests: number;
  units: number;
}

/** Optimistic retries before a write gives up on a contended item. */
export const MAX_OPTIMISTIC_RETRIES = 8;

type Item = Record<string, unknown>;

/** True for the error DynamoDB returns when a ConditionExpression does not hold. */
export function isConditionalCheckFailed(err: unknown): boolean {
  return (err as { name?: string } | undefined)?.name === 'ConditionalCheckFailedException';
}

/**
 * Sends one PutItem or UpdateItem, counting it; returns false when its condition failed (a failed conditional
 * write still costs a request and at least one unit).
 */
export async function sendWrite(
  ctx: DynamoContext,
  tally: WriteTally,
  input: Omit<PutCommandInput, 'TableName'> | Omit<UpdateCommandInput, 'TableName'>,
): Promise<{ ok: boolean; attributes?: Item }> {
  tally.requests++;
  const common = { TableName: ctx.table, ReturnConsumedCapacity: 'TOTAL' as const };
  try {
    const res =
      'Item' in input
        ? await ctx.doc.send(new PutCommand({ ...common, ...(input as Omit<PutCommandInput, 'TableName'>) }))
        : await ctx.doc.send(new UpdateCommand({ ...common, ...(input as Omit<UpdateCommandInput, 'TableName'>) }));
    // Emulators report a flat unit per write; DynamoDB charges per started KB of the item written.
    const estimated = 'Item' in input && input.Item ? Math.max(1, Math.ceil(itemSize(input.Item) / 1024)) : 1;
    tally.units += Math.max(res.ConsumedCapacity?.CapacityUnits ?? 1, estimated);
    return { ok: true, attributes: 'Attributes' in res ? res.Attributes : undefined };
  } catch (err) {
    if (!isConditionalCheckFailed(err)) throw err;
    tally.units += 1;
    return { ok: false };
  }
}

/** An item's size as DynamoDB counts it for capacity (attribute names plus values; numbers approximated). */
export function itemSize(value: unknown, name = ''): number {
  const n = Buffer.byteLength(name);
  if (typeof value === 'string') return n + Buffer.byteLength(value);
  if (typeof value === 'number') return n + Math.ceil(String(value).length / 2) + 1;
  if (typeof value === 'boolean' || value === null || value === undefined) return n + 1;
  if (value instanceof Uint8Array) return n + value.length;
  if (value instanceof Set) return n + [...value].reduce((t: number, v) => t + itemSize(v), 0);
  if (Array.isArray(value)) return n + 3 + value.reduce((t: number, v) => t + 1 + itemSize(v), 0);
  if (typeof value === 'object') return n + 3 + Object.entries(value).reduce((t, [k, v]) => t + 1 + itemSize(v, k), 0);
  return n;
}

/** A strongly consistent GetItem. */
export async function getItem(ctx: DynamoContext, key: ItemKey): Promise<Item | undefined> {
  const res = await ctx.doc.send(new GetCommand({ TableName: ctx.table, Key: key, ConsistentRead: true }));
  return res.Item;
}

export const keyString = (k: ItemKey) => `${k.pk}\u0000${k.sk}`;

/**
 * Reads of many keys (BatchGetItem, 100 per request), by `keyString`; strongly consistent unless `consistent` is
 * false (half the read units: for reads whose result only feeds a write conditional on the version read).
 */
export async function batchGet(
  ctx: DynamoContext,
  keys: readonly ItemKey[],
  consistent = true,
): Promise<Map<string, Item>> {
  const out = new Map<string, Item>();
  const unique = [...new Map(keys.map((k) => [keyString(k), k])).values()];
  for (let i = 0; i < unique.length; i += 100) {
    let request: Record<string, { Keys: Item[]; ConsistentRead: boolean }> | undefined = {
      [ctx.table]: { Keys: unique.slice(i, i + 100).map(({ pk, sk }) => ({ pk, sk })), ConsistentRead: consistent },
    };
    while (request && Object.keys(request).length > 0) {
      const got = await ctx.doc.send(new BatchGetCommand({ RequestItems: request }));
      for (const item of got.Responses?.[ctx.table] ?? [])
        out.set(keyString({ pk: String(item.pk), sk: String(item.sk) }), item);
      request = got.UnprocessedKeys as typeof request;
    }
  }
  return out;
}

function expired(ctx: DynamoContext, item: Item): boolean {
  const e = item.expiresAt;
  return typeof e === 'number' && e * 1000 <= ctx.now().getTime();
}

/**
 * All items of a query (following pages), up to `limit`; without expired ones unless `keepExpired` (what counts every
 * item still stored, as the subject counters do: TTL deletion, not the read filter, ends an item's count).
 */
export async function queryAll(
  ctx: DynamoContext,
  input: Omit<QueryCommandInput, 'TableName'>,
  limit = Number.POSITIVE_INFINITY,
  keepExpired = false,
): Promise<Item[]> {
  const items: Item[] = [];
  let start: Item | undefined;
  do {
    const res = await ctx.doc.send(new QueryCommand({ TableName: ctx.table, ...input, ExclusiveStartKey: start }));
    for (const it of res.Items ?? []) {
      if (!keepExpired && expired(ctx, it)) continue;
      items.push(it);
      if (items.length >= limit) return items;
    }
    start = res.LastEvaluatedKey;
  } while (start);
  return items;
}
