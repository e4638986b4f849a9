/**
 * Aggregate writes of the DynamoDB store: one engine for shared tables and single processes alike. The batch's
 * aggregate items are read with BatchGetItem, merged in memory with the idempotency rules, and written back with one
 * conditional PutItem each (condition: the version read), re-read and re-merged when another writer got there first.
 *
 * Rules (the same as the embedded store's): a unit's contribution is stored once (its digest joins `contrib`); a
 * natural event id (CloudTrail eventID, Bedrock requestId: core/store/fold.ts) is counted once whatever unit brings
 * it (its digest joins `ids`, up to MAX_NATURAL_IDS per aggregate); what a unit actually added, with its input's
 * first/last time, joins the item's `tally` in the same put as its digest (the subject's counters: see
 * dynamo-store-registry.ts), so the counters move exactly when the aggregate does.
 */

import { mapLimit } from '../core/map-limit.ts';
import type { Observation } from '../core/observation.ts';
import type { AggregateRow } from '../core/store/aggregate-row.ts';
import { idDigest } from '../core/store/digest.ts';
import {
  type Contribution,
  combine,
  hasNaturalId,
  type PendingAggregate,
  refold,
  takesAttrs,
} from '../core/store/fold.ts';
import {
  batchGet,
  type DynamoContext,
  getItem,
  keyString,
  MAX_OPTIMISTIC_RETRIES,
  sendWrite,
  type WriteTally,
} from './dynamo-store-client.ts';
import {
  type AggregateItem,
  addTally,
  decodeItem,
  encodeAggregate,
  type ItemKey,
  itemKeys,
} from './dynamo-store-items.ts';
import { expiryAfter } from './store-util.ts';

/**
 * Natural-id digests kept per aggregate (12 characters each, ~26 KB at most). An aggregate holding more (one key of
 * one subject seen more often than this in one hour) still counts each unit once, but a natural id arriving by a
 * second delivery path after the cap is counted again; docs/data-model.md gives the trade-off.
 */
export const MAX_NATURAL_IDS = 2000;

export interface AggregateOutcome {
  /** True when the item changed (a new unit was added). */
  changed: boolean;
}

const keyOf = (a: PendingAggregate): ItemKey => ({
  pk: itemKeys.subjectPk(a.subject),
  sk: itemKeys.aggregateSk(a.window, a.key),
});

/** Writes the batch's aggregates; outcomes in input order. */
export async function writeAggregates(
  ctx: DynamoContext,
  tally: WriteTally,
  aggs: readonly PendingAggregate[],
  units: ReadonlyMap<number, string>,
): Promise<AggregateOutcome[]> {
  if (aggs.length === 0) return [];
  // Eventually consistent: a stale read only fails the version condition, and the retry reads consistently.
  const existing = await batchGet(ctx, aggs.map(keyOf), false);
  return mapLimit(aggs, ctx.concurrency, async (a) => {
    const key = keyOf(a);
    let raw = existing.get(keyString(key));
    for (let attempt = 0; attempt < MAX_OPTIMISTIC_RETRIES; attempt++) {
      const cur = raw ? decodeItem.aggregate(raw) : undefined;
      const m = mergeAggregate(a, units, key, cur, ctx.retentionDays);
      if (!m) return { changed: false };
      const ok = await sendWrite(ctx, tally, {
        Item: encodeAggregate(m),
        ...versionCondition(cur),
      });
      if (ok.ok) return { changed: true };
      raw = await getItem(ctx, key);
    }
    throw new Error(`aggregate ${a.subject} ${a.key} ${a.window}: too much concurrent contention`);
  });
}

/** The condition that the item is still as read: its version, or for items older than versions, its count. */
export function versionCondition(cur: { ver?: number; count?: number } | undefined) {
  if (!cur) return { ConditionExpression: 'attribute_not_exists(pk)' };
  if (cur.ver !== undefined) return { ConditionExpression: 'ver = :v', ExpressionAttributeValues: { ':v': cur.ver } };
  return {
    ConditionExpression: 'attribute_not_exists(ver) AND #count = :c',
    ExpressionAttributeNames: { '#count': 'count' },
    ExpressionAttributeValues: { ':c': cur.count },
  };
}

/** Merges the batch's parts into the stored item; undefined when every part was stored before. */
export function mergeAggregate(
  a: PendingAggregate,
  units: ReadonlyMap<number, string>,
  key: ItemKey,
  cur: AggregateItem | undefined,
  retentionDays: number,
): AggregateItem | undefined {
  const contrib = new Set(cur?.contrib);
  const ids = new Set(cur?.ids);
  let tally = cur?.tally;
  const added: Contribution[] = [];
  for (const [segment, part] of a.parts) {
    const d = units.get(segment) as string;
    if (contrib.has(d)) continue;
    const keep: Observation[] = [];
    for (const o of part.members) {
      if (!hasNaturalId(o)) keep.push(o);
      else {
        const h = idDigest(o.id);
        if (ids.has(h)) continue;
        if (ids.size < MAX_NATURAL_IDS) ids.add(h);
        keep.push(o);
      }
    }
    contrib.add(d);
    tally = addTally(tally, keep.length, part.firstSeen, part.lastSeen);
    const c = keep.length === part.members.length ? part : refold(keep);
    if (c) added.push(c);
  }
  if (contrib.size === (cur?.contrib.size ?? 0)) return undefined;
  const c = added.length > 0 ? combine(added) : undefined;
  const sums = { ...cur?.sums };
  for (const [k, v] of Object.entries(c?.sums ?? {})) sums[k] = (sums[k] ?? 0) + v;
  const firstSeen = minDefined(cur?.firstSeen, c?.firstSeen) ?? a.attrsFrom.time;
  const lastSeen = maxDefined(cur?.lastSeen, c?.lastSeen) ?? a.attrsFrom.time;
  const next: AggregateItem = {
    ...cur,
    ...key,
    subject: a.subject,
    key: a.key,
    window: a.window,
    layer: cur?.layer ?? a.layer,
    kind: cur?.kind ?? a.kind,
    // The first write keeps its attrs, unless they are a failed call's and these a successful one's (fold.ts).
    attrs: cur?.attrs && !takesAttrs(cur.attrs, a.attrs) ? cur.attrs : a.attrs,
    count: (cur?.count ?? 0) + (c?.count ?? 0),
    observations: (cur?.observations ?? 0) + (c?.observations ?? 0),
    firstSeen,
    lastSeen,
    sources: new Set([...(cur?.sources ?? []), ...(c?.sources ?? [])]),
    contrib,
    ids,
    // Kept from items written while registry items repaired their counts from it; no longer added to.
    counted: { ...cur?.counted },
    ...(tally ? { tally } : {}),
    sums,
    ver: (cur?.ver ?? 0) + 1,
    expiresAt: expiryAfter(a.window, retentionDays),
  };
  return next;
}

function minDefined(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  return b === undefined || a <= b ? a : b;
}

function maxDefined(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  return b === undefined || a >= b ? a : b;
}

/**
 * One row per (window, key): a key can have rows from several packs (one per source) and, in tables written before
 * packs, a single item too; they hold different units, so their counts add. Attrs are those of the earliest row.
 */
export function mergeRows(rows: readonly AggregateRow[]): AggregateRow[] {
  const out = new Map<string, AggregateRow>();
  for (const r of rows) {
    const k = `${r.window}\u0000${r.key}`;
    const m = out.get(k);
    if (!m) {
      out.set(k, r);
      continue;
    }
    const sums = { ...m.sums };
    for (const [n, v] of Object.entries(r.sums)) sums[n] = (sums[n] ?? 0) + v;
    out.set(k, {
      ...(r.firstSeen < m.firstSeen ? r : m),
      count: m.count + r.count,
      firstSeen: minDefined(m.firstSeen, r.firstSeen) as string,
      lastSeen: maxDefined(m.lastSeen, r.lastSeen) as string,
      sources: [...new Set([...m.sources, ...r.sources])].sort(),
      sums,
    });
  }
  // In sort-key order, as a single-item table returns them.
  return [...out.values()].sort((a, b) =>
    a.window === b.window ? (a.key < b.key ? -1 : 1) : a.window < b.window ? -1 : 1,
  );
}
