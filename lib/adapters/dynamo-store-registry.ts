/**
 * The subject registry of the DynamoDB store. `S#<subject> / #META` lists the subject (GSI1 `SUBJECT`) and holds its
 * labels; it is written with idempotent SETs only. Counters live in one `S#<subject> / R#<YYYY-MM-DDTHH>` item per
 * UTC hour (tables written before hold `R#<YYYY-MM-DD>` day items, read the same way), merged with the same
 * once-per-unit rule as aggregates (core/store/registry.ts), so a crash between the aggregate writes and the counters
 * is repaired by replaying the input; `subjects()` sums the items on read. Per hour, not per day: an item's
 * once-markers are the units of its hour only, so the item a batch rewrites stays under one write unit instead of
 * growing with every batch of the day.
 */
import type { RegistryDelta } from '../core/store/registry.ts';
import type { SubjectRecord } from '../ports.ts';
import {
  batchGet,
  type DynamoContext,
  getItem,
  keyString,
  MAX_OPTIMISTIC_RETRIES,
  queryAll,
  sendWrite,
  type WriteTally,
} from './dynamo-store-client.ts';
import {
  decodeItem,
  type ItemKey,
  itemKeys,
  SUBJECT_SK,
  type SubjectDayItem,
  toSubjectRecord,
} from './dynamo-store-items.ts';
import { mapLimit } from './store-util.ts';
import { GSI1 } from './table-schema.ts';

const META_SET =
  'SET #type = :type, subject = :subject, gsi1pk = :g, gsi1sk = :subject, labels = if_not_exists(labels, :empty)';
const metaValues = (subject: string) => ({ ':subject': subject, ':g': 'SUBJECT', ':type': 'subject', ':empty': {} });

/** Makes sure each subject's #META item exists (idempotent); `known` remembers the ones written by this process. */
export async function ensureSubjects(
  ctx: DynamoContext,
  tally: WriteTally,
  subjects: Iterable<string>,
  known: Set<string>,
): Promise<void> {
  const todo = [...new Set(subjects)].filter((s) => !known.has(s));
  await mapLimit(todo, ctx.concurrency, async (subject) => {
    await sendWrite(ctx, tally, {
      Key: { pk: itemKeys.subjectPk(subject), sk: SUBJECT_SK },
      UpdateExpression: META_SET,
      ExpressionAttributeNames: { '#type': 'type' },
      ExpressionAttributeValues: metaValues(subject),
    });
    known.add(subject);
  });
}

const dayKey = (subject: string, day: string): ItemKey => ({
  pk: itemKeys.subjectPk(subject),
  sk: itemKeys.subjectDaySk(day),
});

/** Adds registry deltas not counted before, one conditional put per (subject, registry row). */
export async function writeRegistry(
  ctx: DynamoContext,
  tally: WriteTally,
  deltas: readonly RegistryDelta[],
): Promise<void> {
  const byDay = new Map<string, RegistryDelta[]>();
  for (const d of deltas) {
    const k = keyString(dayKey(d.subject, d.day));
    const list = byDay.get(k);
    if (list) list.push(d);
    else byDay.set(k, [d]);
  }
  const groups = [...byDay.values()];
  // Eventually consistent: a stale read only fails the version condition, and the retry reads consistently.
  const existing = await batchGet(
    ctx,
    groups.map((g) => dayKey(g[0]!.subject, g[0]!.day)),
    false,
  );
  await mapLimit(groups, ctx.concurrency, async (group) => {
    const { subject, day } = group[0]!;
    const key = dayKey(subject, day);
    let raw = existing.get(keyString(key));
    for (let attempt = 0; attempt < MAX_OPTIMISTIC_RETRIES; attempt++) {
      const cur = raw ? decodeItem.subjectDay(raw) : undefined;
      const next = mergeDay(key, subject, day, cur, group);
      if (!next) return;
      const cond = cur
        ? { ConditionExpression: 'ver = :v', ExpressionAttributeValues: { ':v': cur.ver } }
        : { ConditionExpression: 'attribute_not_exists(pk)' };
      const ok = await sendWrite(ctx, tally, { Item: { ...next, type: 'subject-day' }, ...cond });
      if (ok.ok) return;
      raw = await getItem(ctx, key);
    }
    throw new Error(`subject ${subject} ${day}: too much concurrent contention`);
  });
}

function mergeDay(
  key: ItemKey,
  subject: string,
  day: string,
  cur: SubjectDayItem | undefined,
  deltas: readonly RegistryDelta[],
): SubjectDayItem | undefined {
  const todo = deltas.filter((d) => !cur?.contrib.has(d.digest));
  if (todo.length === 0) return undefined;
  const next: SubjectDayItem = cur
    ? { ...cur, contrib: new Set(cur.contrib), ver: cur.ver + 1 }
    : {
        ...key,
        subject,
        day,
        observations: 0,
        firstSeen: todo[0]!.firstSeen,
        lastSeen: todo[0]!.lastSeen,
        contrib: new Set(),
        ver: 1,
      };
  for (const d of todo) {
    next.observations += d.observations;
    if (d.firstSeen < next.firstSeen) next.firstSeen = d.firstSeen;
    if (d.lastSeen > next.lastSeen) next.lastSeen = d.lastSeen;
    next.contrib.add(d.digest);
  }
  return next;
}

/** Every subject with its counters summed over its day items. */
export async function readSubjects(ctx: DynamoContext): Promise<SubjectRecord[]> {
  const metas = (
    await queryAll(ctx, {
      IndexName: GSI1.indexName,
      KeyConditionExpression: 'gsi1pk = :g',
      ExpressionAttributeValues: { ':g': 'SUBJECT' },
    })
  ).map(decodeItem.subject);
  return mapLimit(metas, ctx.concurrency, async (m) => {
    const days = await queryAll(ctx, {
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :r)',
      ExpressionAttributeValues: { ':pk': itemKeys.subjectPk(m.subject), ':r': itemKeys.subjectDaySk('') },
    });
    return toSubjectRecord(m, days.map(decodeItem.subjectDay));
  });
}

/** Merges labels into the subject's #META item (created when missing). */
export async function setLabels(ctx: DynamoContext, subject: string, labels: Record<string, string>): Promise<void> {
  const tally = { requests: 0, units: 0 };
  const Key = { pk: itemKeys.subjectPk(subject), sk: SUBJECT_SK };
  // The labels map must exist first: a nested SET on a missing map fails.
  await sendWrite(ctx, tally, {
    Key,
    UpdateExpression: META_SET,
    ExpressionAttributeNames: { '#type': 'type' },
    ExpressionAttributeValues: metaValues(subject),
  });
  const entries = Object.entries(labels);
  if (entries.length === 0) return;
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  entries.forEach(([k, v], i) => {
    names[`#l${i}`] = k;
    values[`:l${i}`] = v;
  });
  await sendWrite(ctx, tally, {
    Key,
    UpdateExpression: `SET ${entries.map((_, i) => `labels.#l${i} = :l${i}`).join(', ')}`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  });
}
