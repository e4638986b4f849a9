/**
 * Dirty marks of the DynamoDB store (Store.dirty, lib/ports.ts): one `S#<subject> / #DIRTY` item per subject, updated
 * with one UpdateItem per subject per write batch after the batch's data (ADD seq, ADD the windows to a string set).
 * While dirty the item carries GSI1 keys (`DIRTY#<shard>`, subject), so the dirty subjects are listed from the index
 * without reading any clean one; a clear removes the keys, conditioned on the seq the reader saw. The index partition
 * is split into DIRTY_SHARDS by a hash of the subject so no single index partition takes every write.
 */
import { createHash } from 'node:crypto';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import type { DirtyMark, DirtyMarks } from '../ports.ts';
import { batchGet, type DynamoContext, keyString, sendWrite, type WriteTally } from './dynamo-store-client.ts';
import { itemKeys, StoreItemError } from './dynamo-store-items.ts';
import { mapLimit } from './store-util.ts';
import { GSI1 } from './table-schema.ts';

export const DIRTY_SK = '#DIRTY';
/** Index partitions the dirty marks are spread over. */
export const DIRTY_SHARDS = 4;

const shardOf = (subject: string) =>
  `DIRTY#${createHash('sha256').update(subject).digest().readUInt8(0) % DIRTY_SHARDS}`;
const keyOf = (subject: string) => ({ pk: itemKeys.subjectPk(subject), sk: DIRTY_SK });

const markSchema = z.object({
  subject: z.string(),
  seq: z.number(),
  windows: z.set(z.string()).optional(),
  from: z.string().optional(),
});

function decode(item: Record<string, unknown>): DirtyMark | undefined {
  const r = markSchema.safeParse(item);
  if (!r.success) throw new StoreItemError('dirty mark', { pk: item.pk, sk: item.sk }, r.error);
  const windows = [...(r.data.windows ?? [])].sort();
  if (windows.length === 0 && !r.data.from) return undefined;
  return { subject: r.data.subject, seq: r.data.seq, windows, ...(r.data.from ? { from: r.data.from } : {}) };
}

/** The update that marks `windows` of `subject` dirty (one request; the batch's write path sends it). */
async function markWindows(ctx: DynamoContext, tally: WriteTally, subject: string, windows: Iterable<string>) {
  const ws = new Set(windows);
  await sendWrite(ctx, tally, {
    Key: keyOf(subject),
    UpdateExpression: `SET #type = :type, subject = :s, ${GSI1.partitionKey} = :g, ${GSI1.sortKey} = :s ADD seq :one${ws.size > 0 ? ', windows :ws' : ''}`,
    ExpressionAttributeNames: { '#type': 'type' },
    ExpressionAttributeValues: {
      ':type': 'dirty',
      ':s': subject,
      ':g': shardOf(subject),
      ':one': 1,
      ...(ws.size > 0 ? { ':ws': ws } : {}),
    },
  });
}

/** Marks the windows a write batch changed, one request per subject. */
export async function markBatch(
  ctx: DynamoContext,
  tally: WriteTally,
  touched: ReadonlyMap<string, Set<string>>,
): Promise<void> {
  await mapLimit([...touched], ctx.concurrency, ([subject, ws]) => markWindows(ctx, tally, subject, ws));
}

export class DynamoDirtyMarks implements DirtyMarks {
  constructor(
    private readonly ctx: DynamoContext,
    private readonly ready: () => Promise<void>,
  ) {}

  async list(opts: { after?: string; limit?: number } = {}): Promise<DirtyMark[]> {
    await this.ready();
    const limit = opts.limit ?? 100;
    const shards = Array.from({ length: DIRTY_SHARDS }, (_, i) => `DIRTY#${i}`);
    const listed = await mapLimit(shards, DIRTY_SHARDS, async (g) => {
      const res = await this.ctx.doc.send(
        new QueryCommand({
          TableName: this.ctx.table,
          IndexName: GSI1.indexName,
          // DynamoDB refuses an empty string in a key condition: the first page has none on the sort key.
          KeyConditionExpression: opts.after ? 'gsi1pk = :g AND gsi1sk > :a' : 'gsi1pk = :g',
          ExpressionAttributeValues: { ':g': g, ...(opts.after ? { ':a': opts.after } : {}) },
          ProjectionExpression: 'subject',
          Limit: limit,
        }),
      );
      return (res.Items ?? []).map((i) => String(i.subject));
    });
    const subjects = listed.flat().sort().slice(0, limit);
    // The index is eventually consistent: the marks themselves are read consistently, and clean ones dropped.
    const items = await batchGet(this.ctx, subjects.map(keyOf));
    return subjects.flatMap((s) => {
      const it = items.get(keyString(keyOf(s)));
      const m = it ? decode(it) : undefined;
      return m ? [m] : [];
    });
  }

  async get(subject: string): Promise<DirtyMark | undefined> {
    await this.ready();
    const it = (await batchGet(this.ctx, [keyOf(subject)])).get(keyString(keyOf(subject)));
    return it ? decode(it) : undefined;
  }

  async mark(subject: string, windows: string[], opts: { from?: string } = {}): Promise<void> {
    await this.ready();
    if (windows.length === 0 && !opts.from) return;
    const tally = { requests: 0, units: 0 };
    await markWindows(this.ctx, tally, subject, windows);
    if (!opts.from) return;
    // The earliest `from` wins; a later one changes nothing (the condition fails, which is the expected outcome).
    await sendWrite(this.ctx, tally, {
      Key: keyOf(subject),
      UpdateExpression: 'SET #from = :f ADD seq :one',
      ConditionExpression: 'attribute_not_exists(#from) OR #from > :f',
      ExpressionAttributeNames: { '#from': 'from' },
      ExpressionAttributeValues: { ':f': opts.from, ':one': 1 },
    });
  }

  async clear(subject: string, seq: number, keep: string[] = []): Promise<boolean> {
    await this.ready();
    const r = await sendWrite(
      this.ctx,
      { requests: 0, units: 0 },
      keep.length > 0
        ? {
            Key: keyOf(subject),
            UpdateExpression: 'SET windows = :keep REMOVE #from',
            ConditionExpression: 'seq = :seq',
            ExpressionAttributeNames: { '#from': 'from' },
            ExpressionAttributeValues: { ':keep': new Set(keep), ':seq': seq },
          }
        : {
            Key: keyOf(subject),
            UpdateExpression: `REMOVE windows, #from, ${GSI1.partitionKey}, ${GSI1.sortKey}`,
            ConditionExpression: 'seq = :seq',
            ExpressionAttributeNames: { '#from': 'from' },
            ExpressionAttributeValues: { ':seq': seq },
          },
    );
    return r.ok;
  }
}
