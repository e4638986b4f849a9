/**
 * Dirty marks of the DynamoDB store (Store.dirty, lib/ports.ts): one `DIRTY#<shard> / <subject>` item per dirty
 * subject, updated with one UpdateItem per subject per write batch after the batch's data (seq, ADD the windows to a
 * string set) and deleted when a reader clears the whole mark, conditioned on the seq it read. The dirty subjects are
 * listed by querying the DIRTY_SHARDS partitions (a hash of the subject picks one), so no clean subject is read. Items
 * of their own partitions rather than GSI keys on a per-subject item: a mark then costs one write unit per batch, not
 * two (a GSI write for every update, its attributes being projected). The listing reads eventually consistently (half
 * the units; drift lists on every run): a mark it misses is judged by the next run, and one it reads stale (an older
 * seq, or already cleared) is judged on what the store holds and its clear, conditioned on that seq, fails, so the
 * mark stays dirty for the next run. `get` reads consistently.
 */
import { createHash, randomInt } from 'node:crypto';
import { DeleteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { mapLimit } from '../core/map-limit.ts';
import type { DirtyMark, DirtyMarks } from '../ports.ts';
import {
  batchGet,
  type DynamoContext,
  isConditionalCheckFailed,
  keyString,
  sendWrite,
  type WriteTally,
} from './dynamo-store-client.ts';
import { StoreItemError } from './dynamo-store-items.ts';

/** Partitions the dirty marks are spread over. */
export const DIRTY_SHARDS = 4;

const shardOf = (subject: string) =>
  `DIRTY#${createHash('sha256').update(subject).digest().readUInt8(0) % DIRTY_SHARDS}`;
const keyOf = (subject: string) => ({ pk: shardOf(subject), sk: subject });

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

/**
 * The update that marks `windows` of `subject` dirty (one request; the batch's write path sends it). A mark created
 * after a clear deleted its item starts its seq at a random 47-bit number, not at 1: a reader holding the seq of the
 * deleted mark then cannot clear the new one (its clear would need the same seq; chance about 1 in 10^14).
 */
async function markWindows(ctx: DynamoContext, tally: WriteTally, subject: string, windows: Iterable<string>) {
  const ws = new Set(windows);
  await sendWrite(ctx, tally, {
    Key: keyOf(subject),
    UpdateExpression: `SET #type = :type, subject = :s, seq = if_not_exists(seq, :base) + :one${ws.size > 0 ? ' ADD windows :ws' : ''}`,
    ExpressionAttributeNames: { '#type': 'type' },
    ExpressionAttributeValues: {
      ':type': 'dirty',
      ':s': subject,
      ':base': randomInt(0, 2 ** 47),
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
          // DynamoDB refuses an empty string in a key condition: the first page has none on the sort key.
          KeyConditionExpression: opts.after ? 'pk = :g AND sk > :a' : 'pk = :g',
          ExpressionAttributeValues: { ':g': g, ...(opts.after ? { ':a': opts.after } : {}) },
          ConsistentRead: false,
          Limit: limit,
        }),
      );
      return (res.Items ?? []).flatMap((i) => {
        const m = decode(i);
        return m ? [m] : [];
      });
    });
    return listed
      .flat()
      .sort((a, b) => (a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : 0))
      .slice(0, limit);
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
      UpdateExpression: 'SET #from = :f, seq = if_not_exists(seq, :base) + :one',
      ConditionExpression: 'attribute_not_exists(#from) OR #from > :f',
      ExpressionAttributeNames: { '#from': 'from' },
      ExpressionAttributeValues: { ':f': opts.from, ':base': randomInt(0, 2 ** 47), ':one': 1 },
    });
  }

  async clear(subject: string, seq: number, keep: string[] = []): Promise<boolean> {
    await this.ready();
    if (keep.length > 0) {
      const r = await sendWrite(
        this.ctx,
        { requests: 0, units: 0 },
        {
          Key: keyOf(subject),
          UpdateExpression: 'SET windows = :keep REMOVE #from',
          ConditionExpression: 'seq = :seq',
          ExpressionAttributeNames: { '#from': 'from' },
          ExpressionAttributeValues: { ':keep': new Set(keep), ':seq': seq },
        },
      );
      return r.ok;
    }
    // The whole mark judged: the item goes, so the listing never reads a clean subject.
    try {
      await this.ctx.doc.send(
        new DeleteCommand({
          TableName: this.ctx.table,
          Key: keyOf(subject),
          ConditionExpression: 'seq = :seq',
          ExpressionAttributeValues: { ':seq': seq },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return false;
      throw err;
    }
  }
}
