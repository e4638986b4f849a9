/**
 * Aggregate packs: the aggregates of one (subject, hour, source) in one item, their entries compressed together. A batch
 * then rewrites one small item per subject and source instead of one item per behavior key: DynamoDB bills a write
 * by the started KB of the item, and an aggregate is a few hundred bytes, so a node-agent batch that touches 25 keys
 * of a pod costs one or two write units instead of 25 (docs/operations.md, cost; docs/data-model.md).
 *
 * Rules, on top of the single aggregates' (dynamo-store-aggregates.ts): a unit is applied to a pack once (its digest
 * joins the pack's `contrib`, and what it added joins the pack's `tally`, the subject's counters: see
 * dynamo-store-registry.ts); natural event ids are counted once per entry (up to MAX_NATURAL_IDS an entry and
 * MAX_PACK_IDS a pack); a pack that would outgrow MAX_PACK_BYTES takes the new keys that fit and closes: the keys it
 * does not hold go to single aggregate items from then on, while the keys it holds stay in it. Where a key goes is
 * decided from the pack as stored (an entry: the pack; closed: its own item), and the pack is written before those
 * items, so a replay after a crash sends every key where the first run did. The pack is written like an aggregate:
 * read, merge, put conditional on the version read, re-read and re-merged when another writer got there first.
 */

import { mapLimit } from '../core/map-limit.ts';
import type { Observation, SourceName } from '../core/observation.ts';
import { idDigest } from '../core/store/digest.ts';
import { type Contribution, hasNaturalId, type PendingAggregate, refold, takesAttrs } from '../core/store/fold.ts';
import {
  type AggregateOutcome,
  MAX_NATURAL_IDS,
  versionCondition,
  writeAggregates,
} from './dynamo-store-aggregates.ts';
import {
  batchGet,
  type DynamoContext,
  getItem,
  itemSize,
  keyString,
  MAX_OPTIMISTIC_RETRIES,
  sendWrite,
  type WriteTally,
} from './dynamo-store-client.ts';
import {
  addTally,
  decodeItem,
  encodePack,
  type ItemKey,
  itemKeys,
  type PackEntry,
  type PackItem,
} from './dynamo-store-items.ts';
import { expiryAfter } from './store-util.ts';

/** A pack takes no new keys once its item would be larger than this (a write costs one unit per started KB). */
export const MAX_PACK_BYTES = 16 * 1024;
/** Natural-id digests kept per pack; past it, ids are counted but not remembered. */
export const MAX_PACK_IDS = 8000;

/**
 * Markers as a pack keeps them, shorter than elsewhere because a pack's whole body is rewritten by every batch: 48
 * bits of an id digest (two of an entry's at most 2,000 ids collide with a chance of about 1 in 10^8) and 66 bits of
 * a unit digest.
 */
const idMark = (id: string) => idDigest(id).slice(0, 8);
const unitMark = (unit: string) => unit.slice(0, 11);

/** The aggregates of one pack, routed by source. */
interface Routed {
  key: ItemKey;
  subject: string;
  window: string;
  family: SourceName;
  aggs: PendingAggregate[];
}

/** Splits aggregates by the source of their observations (one pack per source); mixed parts are re-folded. */
export function bySource(aggs: readonly PendingAggregate[]): Map<SourceName, PendingAggregate[]> {
  const out = new Map<SourceName, PendingAggregate[]>();
  const add = (s: SourceName, a: PendingAggregate) => {
    const list = out.get(s);
    if (list) list.push(a);
    else out.set(s, [a]);
  };
  for (const a of aggs) {
    const sources = new Set<SourceName>();
    for (const part of a.parts.values()) for (const s of part.sources) sources.add(s);
    if (sources.size === 1) {
      add([...sources][0] as SourceName, a);
      continue;
    }
    for (const s of sources) {
      const parts = new Map<number, Contribution>();
      for (const [seg, part] of a.parts) {
        const c = refold(part.members.filter((o) => o.source === s));
        if (c) parts.set(seg, c);
      }
      add(s, { ...a, parts });
    }
  }
  return out;
}

/** What merging a batch into a pack gives: the item to put (none: nothing new), and where each key went. */
export interface PackPlan {
  next?: PackItem;
  /** `next` encoded (what is put). */
  item?: Record<string, unknown>;
  /** Aggregates of keys the pack does not hold and cannot take: single items. */
  overflow: PendingAggregate[];
  /** Per aggregate kept in the pack: whether it changed. */
  changed: boolean[];
}

/**
 * Merges `aggs` into the pack as stored (`cur`). When the pack would outgrow MAX_PACK_BYTES with the keys it does not
 * hold yet, it takes as many of them as fit (in key order) and closes; the others overflow to single items.
 */
export function planPack(
  cur: PackItem | undefined,
  r: Pick<Routed, 'key' | 'subject' | 'window' | 'family'>,
  aggs: readonly PendingAggregate[],
  units: ReadonlyMap<number, string>,
  retentionDays: number,
): PackPlan {
  const plan = (admit: (key: string) => boolean, closing: boolean) =>
    withItem(mergePack(cur, r, aggs, units, retentionDays, admit, closing));
  if (cur?.closed) return plan(() => false, false);
  const all = plan(() => true, false);
  if (!all.item || itemSize(all.item) <= MAX_PACK_BYTES) return all;
  const fresh = [...new Set(aggs.map((a) => a.key))].filter((k) => !cur?.entries.has(k)).sort();
  if (fresh.length === 0) return all;
  // The most new keys that fit: binary search over the sorted new keys (sizes grow with the count).
  let lo = 0;
  let hi = fresh.length - 1;
  let best = plan(() => false, true);
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const taken = new Set(fresh.slice(0, mid + 1));
    const p = plan((k) => taken.has(k), true);
    if (p.item && itemSize(p.item) <= MAX_PACK_BYTES) {
      best = p;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best;
}

const withItem = (p: PackPlan): PackPlan => (p.next ? { ...p, item: encodePack(p.next) } : p);

function mergePack(
  cur: PackItem | undefined,
  r: Pick<Routed, 'key' | 'subject' | 'window' | 'family'>,
  aggs: readonly PendingAggregate[],
  units: ReadonlyMap<number, string>,
  retentionDays: number,
  admit: (key: string) => boolean,
  closing: boolean,
): PackPlan {
  const entries = new Map(cur?.entries);
  const contrib = new Set(cur?.contrib);
  let tally = cur?.tally;
  let ids = 0;
  for (const e of entries.values()) ids += e.ids?.length ?? 0;
  const overflow: PendingAggregate[] = [];
  const kept: PendingAggregate[] = [];
  for (const a of aggs) (entries.has(a.key) || admit(a.key) ? kept : overflow).push(a);
  // Per unit new to the pack: observations added, and the input's first/last time (the subject's counters).
  const perUnit = new Map<string, { added: number; firstSeen: string; lastSeen: string }>();
  const changed = kept.map(() => false);
  kept.forEach((a, i) => {
    for (const [segment, part] of a.parts) {
      const d = units.get(segment) as string;
      if (contrib.has(unitMark(d))) continue;
      const u = perUnit.get(d) ?? { added: 0, firstSeen: part.firstSeen, lastSeen: part.lastSeen };
      perUnit.set(d, u);
      if (part.firstSeen < u.firstSeen) u.firstSeen = part.firstSeen;
      if (part.lastSeen > u.lastSeen) u.lastSeen = part.lastSeen;
      const entry = entries.get(a.key);
      const known = new Set(entry?.ids);
      const keep: Observation[] = [];
      const newIds: string[] = [];
      for (const o of part.members) {
        if (!hasNaturalId(o)) keep.push(o);
        else {
          const h = idMark(o.id);
          if (known.has(h)) continue;
          known.add(h);
          if ((entry?.ids?.length ?? 0) + newIds.length < MAX_NATURAL_IDS && ids < MAX_PACK_IDS) {
            newIds.push(h);
            ids++;
          }
          keep.push(o);
        }
      }
      u.added += keep.length;
      const c = keep.length === part.members.length ? part : refold(keep);
      // Every observation was a natural id counted before: nothing to add (an entry exists, as it holds the ids).
      if (!c) continue;
      entries.set(a.key, addTo(entry, a, c, newIds));
      changed[i] = true;
    }
  });
  // The unit's marker and its counters join the pack in the same put: a unit is counted exactly when it is applied.
  for (const [d, u] of perUnit) {
    contrib.add(unitMark(d));
    tally = addTally(tally, u.added, u.firstSeen, u.lastSeen);
  }
  if (perUnit.size === 0 && !closing) return { overflow, changed };
  const next: PackItem = {
    ...r.key,
    subject: r.subject,
    window: r.window,
    family: r.family,
    entries,
    contrib,
    // Kept from packs written while registry items repaired their counts from it; no longer added to.
    counted: { ...cur?.counted },
    ...(tally ? { tally } : {}),
    closed: cur?.closed === true || closing,
    ver: (cur?.ver ?? 0) + 1,
    expiresAt: expiryAfter(r.window, retentionDays),
  };
  return { next, overflow, changed };
}

/** An entry with one more contribution. */
function addTo(e: PackEntry | undefined, a: PendingAggregate, c: Contribution, newIds: readonly string[]): PackEntry {
  const sums = { ...e?.sums };
  for (const [k, v] of Object.entries(c.sums)) sums[k] = (sums[k] ?? 0) + v;
  const ids = [...(e?.ids ?? []), ...newIds];
  return {
    key: a.key,
    layer: e?.layer ?? a.layer,
    kind: e?.kind ?? a.kind,
    count: (e?.count ?? 0) + c.count,
    observations: (e?.observations ?? 0) + c.observations,
    firstSeen: e && e.firstSeen <= c.firstSeen ? e.firstSeen : c.firstSeen,
    lastSeen: e && e.lastSeen >= c.lastSeen ? e.lastSeen : c.lastSeen,
    sources: [...new Set([...(e?.sources ?? []), ...c.sources])].sort(),
    // The first write keeps its attrs, unless they are a failed call's and these a successful one's (fold.ts).
    attrs: e?.attrs && !takesAttrs(e.attrs, a.attrs) ? e.attrs : a.attrs,
    sums,
    ...(ids.length > 0 ? { ids } : {}),
  };
}

/** Writes the batch's aggregates into packs (and single items for keys a closed pack does not hold). */
export async function writePacked(
  ctx: DynamoContext,
  tally: WriteTally,
  aggs: readonly PendingAggregate[],
  units: ReadonlyMap<number, string>,
): Promise<AggregateOutcome[]> {
  const packs = new Map<string, Routed>();
  for (const [family, list] of bySource(aggs)) {
    for (const a of list) {
      const key = { pk: itemKeys.subjectPk(a.subject), sk: itemKeys.packSk(a.window, family) };
      const k = keyString(key);
      const p = packs.get(k) ?? { key, subject: a.subject, window: a.window, family, aggs: [] };
      p.aggs.push(a);
      packs.set(k, p);
    }
  }
  // Eventually consistent: a stale read only fails the version condition, and the retry reads consistently.
  const existing = await batchGet(
    ctx,
    [...packs.values()].map((p) => p.key),
    false,
  );
  const overflow: PendingAggregate[] = [];
  const outcomes = await mapLimit([...packs.values()], ctx.concurrency, async (p) => {
    let raw = existing.get(keyString(p.key));
    for (let attempt = 0; attempt < MAX_OPTIMISTIC_RETRIES; attempt++) {
      const cur = raw ? decodeItem.pack(raw) : undefined;
      const plan = planPack(cur, p, p.aggs, units, ctx.retentionDays);
      const ok = plan.item ? await sendWrite(ctx, tally, { Item: plan.item, ...versionCondition(cur) }) : { ok: true };
      if (ok.ok) {
        overflow.push(...plan.overflow);
        return plan.changed.map((changed) => ({ changed }));
      }
      raw = await getItem(ctx, p.key);
    }
    throw new Error(`aggregate pack ${p.subject} ${p.family} ${p.window}: too much concurrent contention`);
  });
  return [...outcomes.flat(), ...(await writeAggregates(ctx, tally, overflow, units))];
}
