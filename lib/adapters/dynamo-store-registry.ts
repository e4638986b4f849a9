/**
 * The subject registry of the DynamoDB store. `S#<subject> / #META` lists the subject (GSI1 `SUBJECT`) and holds its
 * labels; it is written with idempotent SETs only. The counters (observations, first and last seen) have no item of
 * their own: each pack and each single aggregate of a closed pack keeps a `tally` of the units applied to it, added in
 * the same conditional put that adds the unit's digest to the item's `contrib` (dynamo-store-packs.ts,
 * dynamo-store-aggregates.ts). A delivery then writes its pack, evidence and dirty mark, and no registry item.
 *
 * Why a replay converges without transactions: a unit is counted in an item exactly when the item holds its digest,
 * as both change in one put; a crash before that put leaves neither (the replay applies both), a crash after it leaves
 * both (the replay finds the digest and adds nothing). The keys of a (subject, hour, source) are routed to the pack or
 * to single items from the pack as stored (dynamo-store-packs.ts), so a replay puts each key's share of a unit in the
 * item the first run chose, and every share is counted once, by the item that holds it. Natural ids are deduplicated
 * per item, the same way for the count and for the aggregate. Hence the sums equal those of one clean run.
 *
 * `subjects()` sums, per subject: the #META counters of the oldest tables, the registry items tables written before
 * hold (`R#<YYYY-MM-DDTHH>` hour items, older `R#<YYYY-MM-DD>` day items; their units are in no tally, as those items
 * were written before tallies existed), and the tallies of its packs and single aggregates (items written before have
 * none). Summing tallies would read every pack of the retention on each call; dynamo-store-seal.ts keeps the sums of
 * past days in one item per subject, so a call reads that item and the last few days' aggregate items.
 */

import { mapLimit } from '../core/map-limit.ts';
import type { SubjectRecord } from '../ports.ts';
import { type DynamoContext, queryAll, sendWrite, type WriteTally } from './dynamo-store-client.ts';
import { dayTally, decodeItem, itemKeys, SUBJECT_SK, toSubjectRecord } from './dynamo-store-items.ts';
import { subjectTallies } from './dynamo-store-seal.ts';
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

/**
 * Every subject with its counters: the registry items of tables written before (hour and day items), plus the tallies
 * of its packs and single aggregates, the sealed days' as their seal sums them (dynamo-store-seal.ts).
 */
export async function readSubjects(ctx: DynamoContext): Promise<SubjectRecord[]> {
  const metas = (
    await queryAll(ctx, {
      IndexName: GSI1.indexName,
      KeyConditionExpression: 'gsi1pk = :g',
      ExpressionAttributeValues: { ':g': 'SUBJECT' },
    })
  ).map(decodeItem.subject);
  return mapLimit(metas, ctx.concurrency, async (m) => {
    const [days, tallies] = await Promise.all([
      queryAll(ctx, {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :r)',
        ExpressionAttributeValues: { ':pk': itemKeys.subjectPk(m.subject), ':r': itemKeys.subjectDaySk('') },
      }),
      subjectTallies(ctx, m.subject),
    ]);
    tallies.push(...days.map((d) => dayTally(decodeItem.subjectDay(d))));
    return toSubjectRecord(m, tallies);
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
