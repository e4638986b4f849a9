/**
 * Sealed subject counters: `subjects()` must not read every pack of the retention on every call (the hourly baseline
 * refresh lists the subjects), so one `S#<subject> / T#seal` item per subject keeps the sum of the tallies of every
 * aggregate item up to a day (`through`), written lazily by a reader, and a read then queries only the aggregate
 * items after that day (the last two or three days). Nothing is written for it on the ingest path while data arrives
 * in time: only a write of a window dated a day or more before the writer's clock reads the seal (a consistent
 * read), and writes it only when the seal covers that day or a reader is sealing.
 *
 * The protocol, without transactions:
 * - A reader seals days up to two days before its clock (`through`); first it marks the seal `pending` with a token
 *   (conditional on the generation it read), then reads the items consistently, then puts the new sums conditional on
 *   its token still being there.
 * - A writer whose batch holds a window at least a day old, after its aggregate writes, reads the seal consistently;
 *   when the seal covers that day or is pending, it resets it (removes `through`, the sums and `pending`, bumps the
 *   generation), so the next reader reads every item again and seals anew.
 * - A writer's aggregate write either precedes a reader's consistent read (the reader counts it) or follows the
 *   reader's pending mark, and then the writer's seal read, after its own write, sees the mark or the finished seal
 *   and resets it: no seal ever misses a write. A writer killed between its aggregate write and the reset leaves a
 *   stale seal until the input is replayed: the replay checks the seal again (whether or not its writes changed
 *   anything), as a replay repairs the dirty marks. A reader killed after its mark leaves a pending seal the next
 *   reader takes over (same generation) and writers reset.
 * Clocks may disagree by up to a day (writers check days before yesterday and older, readers seal days before the day
 * before yesterday and older). The seal keeps the counts of sealed days after their items expire, as the registry
 * items did; after a reset, the sums are those of the items still within retention.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { mapLimit } from '../core/map-limit.ts';
import {
  batchGet,
  type DynamoContext,
  getItem,
  keyString,
  queryAll,
  sendWrite,
  type WriteTally,
} from './dynamo-store-client.ts';
import { addTally, decodeItem, type ItemKey, itemKeys, StoreItemError, type Tally } from './dynamo-store-items.ts';

const DAY_MS = 86_400_000;
const SEAL_SK = 'T#seal';
/** Readers seal days up to this many days before their clock. */
const SEAL_LAG_DAYS = 2;
/** Writers check the seal for windows this many days or more before their clock (one less: a day of clock skew). */
const LATE_DAYS = SEAL_LAG_DAYS - 1;

const sealSchema = z.object({
  gen: z.number(),
  through: z.string().optional(),
  n: z.number().optional(),
  f: z.string().optional(),
  l: z.string().optional(),
  pending: z.string().optional(),
});
type Seal = z.infer<typeof sealSchema>;

const sealKey = (subject: string): ItemKey => ({ pk: itemKeys.subjectPk(subject), sk: SEAL_SK });
const dayBefore = (now: Date, days: number) => new Date(now.getTime() - days * DAY_MS).toISOString().slice(0, 10);
const nextDay = (day: string) => new Date(Date.parse(`${day}T00:00:00.000Z`) + DAY_MS).toISOString().slice(0, 10);

function decodeSeal(item: Record<string, unknown> | undefined): Seal | undefined {
  if (!item) return undefined;
  const r = sealSchema.safeParse(item);
  if (!r.success) throw new StoreItemError('subject-seal', { pk: item.pk, sk: item.sk }, r.error);
  return r.data;
}

/** The seal's sums as a tally (none when it holds no observation yet). */
const sealTally = (s: Seal | undefined): Tally | undefined =>
  s?.through && s.f !== undefined && s.l !== undefined ? { n: s.n ?? 0, f: s.f, l: s.l } : undefined;

/** The counters an aggregate-range item holds: a pack's or a single aggregate's tally (none on older items). */
function itemTally(item: Record<string, unknown>): Tally | undefined {
  if (item.type === 'aggregate-pack') return decodeItem.pack(item).tally;
  return decodeItem.aggregate(item).tally;
}

/**
 * Marks the seal pending with `token`, conditional on its generation as read; false when another reader or a writer
 * got there first, or when the caller may only read the table (a report under read-only credentials still reads).
 */
async function markPending(ctx: DynamoContext, key: ItemKey, seal: Seal | undefined, token: string): Promise<boolean> {
  try {
    const r = await sendWrite(
      ctx,
      { requests: 0, units: 0 },
      {
        Key: key,
        UpdateExpression: 'SET #type = :type, pending = :tok, gen = if_not_exists(gen, :zero)',
        ConditionExpression: seal ? 'gen = :g' : 'attribute_not_exists(pk)',
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: {
          ':type': 'subject-seal',
          ':tok': token,
          ':zero': 0,
          ...(seal ? { ':g': seal.gen } : {}),
        },
      },
    );
    return r.ok;
  } catch (err) {
    if ((err as { name?: string }).name === 'AccessDeniedException') return false;
    throw err;
  }
}

/**
 * The aggregate items of a subject from `fromDay` on (every one when undefined); consistently when sealing (the
 * protocol needs every write that completed before the query), eventually otherwise (half the read units). Expired
 * items still stored are kept: their observations happened, as the registry items counted them before the counters
 * moved into the packs (data older than the retention, e.g. a backfill of an old trail, is counted until the table's
 * TTL deletes it, and for good once a seal holds it).
 */
const aggregateItems = (ctx: DynamoContext, subject: string, fromDay: string | undefined, consistent: boolean) =>
  queryAll(
    ctx,
    {
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :a AND :b',
      ExpressionAttributeValues: { ':pk': itemKeys.subjectPk(subject), ':a': `A#${fromDay ?? ''}`, ':b': 'A#~' },
      ConsistentRead: consistent,
    },
    Number.POSITIVE_INFINITY,
    true,
  );

/**
 * A subject's tallies: the seal's sums and the tallies of the aggregate items after the sealed days; seals the days
 * up to two days ago when they are not sealed yet (two writes, the mark and the sums, once a subject a day).
 */
export async function subjectTallies(ctx: DynamoContext, subject: string): Promise<Tally[]> {
  const key = sealKey(subject);
  const seal = decodeSeal(await getItem(ctx, key));
  const sealed = seal?.through;
  const upTo = dayBefore(ctx.now(), SEAL_LAG_DAYS);
  const token = randomUUID();
  const sealing = (!sealed || sealed < upTo) && (await markPending(ctx, key, seal, token));
  const items = (await aggregateItems(ctx, subject, sealed && nextDay(sealed), sealing)).flatMap((it) => {
    const t = itemTally(it);
    return t ? [{ day: String(it.sk).slice(2, 12), t }] : [];
  });
  const out = [...(sealTally(seal) ? [sealTally(seal) as Tally] : []), ...items.map((i) => i.t)];
  if (!sealing) return out;
  let sum = sealTally(seal);
  for (const i of items) if (i.day <= upTo) sum = addTally(sum, i.t.n, i.t.f, i.t.l);
  // A failed condition: a writer reset the seal meanwhile (this read still counted what it saw).
  await sendWrite(
    ctx,
    { requests: 0, units: 0 },
    {
      Key: key,
      UpdateExpression: `SET through = :through, gen = gen + :one${sum ? ', n = :n, f = :f, l = :l' : ''} REMOVE pending`,
      ConditionExpression: 'pending = :tok',
      ExpressionAttributeValues: {
        ':through': upTo,
        ':one': 1,
        ':tok': token,
        ...(sum ? { ':n': sum.n, ':f': sum.f, ':l': sum.l } : {}),
      },
    },
  );
  return out;
}

/**
 * After a batch's aggregate writes: resets the seal of every subject the batch wrote a window of a day or more before
 * the writer's clock, when the seal covers that day or a reader is sealing (see the module comment).
 */
export async function resetSeals(
  ctx: DynamoContext,
  tally: WriteTally,
  touched: ReadonlyMap<string, ReadonlySet<string>>,
): Promise<void> {
  const late = dayBefore(ctx.now(), LATE_DAYS);
  const earliest = new Map<string, string>();
  for (const [subject, windows] of touched) {
    const day = [...windows].map((w) => w.slice(0, 10)).sort()[0];
    if (day !== undefined && day <= late) earliest.set(subject, day);
  }
  if (earliest.size === 0) return;
  const seals = await batchGet(ctx, [...earliest.keys()].map(sealKey));
  await mapLimit([...earliest], ctx.concurrency, async ([subject, day]) => {
    const seal = decodeSeal(seals.get(keyString(sealKey(subject))));
    if (!seal || (seal.pending === undefined && (seal.through === undefined || seal.through < day))) return;
    await sendWrite(ctx, tally, {
      Key: sealKey(subject),
      UpdateExpression: 'SET gen = gen + :one REMOVE through, n, f, l, pending',
      ExpressionAttributeValues: { ':one': 1 },
    });
  });
}
