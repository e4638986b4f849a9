/**
 * Stored drift items of incremental runs: a run judges a subject again from R on, so its items from R on (and the
 * evolution items of the deploys whose sessions changed) replace the stored ones; `related` links are computed again
 * over the items around them; an item the new judgement no longer makes is marked `retracted` (the store has no
 * delete) and left out by every reader (listDriftItems). Only new items and items whose content changed are
 * published: a run that changes nothing publishes nothing.
 */
import { linkRelated } from '../../core/drift/classify.ts';
import { driftDocId } from '../../core/drift/session/items.ts';
import type { DriftObject } from '../../core/drift/types.ts';
import type { Doc, Store } from '../../ports.ts';
import { DRIFT_DOC } from './service.ts';

/** Stored drift items of a subject with ids in [fromId, toId], without retracted ones. */
export async function listDriftItems(
  store: Store,
  subject: string,
  opts: { fromId?: string; toId?: string } = {},
): Promise<DriftObject[]> {
  return live(await store.listDocs<DriftObject>(DRIFT_DOC, subject, opts));
}

/** A subject's stored item documents from `fromId` on (retracted ones included), read once by a run. */
export interface ItemsRead {
  fromId: string;
  docs: readonly Doc<DriftObject>[];
}

export async function readItems(store: Store, subject: string, fromId: string): Promise<ItemsRead> {
  return { fromId, docs: await store.listDocs<DriftObject>(DRIFT_DOC, subject, { fromId }) };
}

/** The items of `docs` with ids from `fromId` on, without retracted ones. */
const live = (docs: readonly Doc<DriftObject>[], fromId = '') =>
  docs.filter((d) => d.id >= fromId && !d.body.retracted).map((d) => d.body);

const isWindowItem = (d: DriftObject) => !d.id.slice(d.subject.length + 1).includes('#');
const deployOf = (d: DriftObject) => /#deploy:(.+)$/.exec(d.id)?.[1];
const content = ({ related: _r, retracted: _x, ...rest }: DriftObject) => JSON.stringify(rest);

export interface ItemOutcome {
  /** Items new or changed in content (what is published). */
  published: DriftObject[];
  /** Ids of items the new judgement no longer makes. */
  retracted: string[];
  writes: number;
  /** Window-level items stored from `from` on, before this run (their spans bound the next re-judge start). */
  before: DriftObject[];
}

/**
 * Replaces the subject's items judged again: window-level and risky items from `from` on, and the evolution items of
 * `affectedDeploys`, by `fresh`.
 */
export async function replaceItems(
  store: Store,
  subject: string,
  p: {
    from: number;
    fresh: DriftObject[];
    affectedDeploys: readonly string[];
    now: string;
    /** How far before them an item can start and still overlap the re-judged ones (evolution items span days). */
    reachMs: number;
    /** The subject's stored items read earlier in the run (used when they reach back far enough). */
    read?: ItemsRead;
  },
): Promise<ItemOutcome> {
  const affected = new Set(p.affectedDeploys);
  const evolutionFrom = [...p.fresh]
    .filter((d) => deployOf(d))
    .reduce((m, d) => Math.min(m, Date.parse(d.from)), p.from);
  const loadFrom = new Date(Math.min(p.from, evolutionFrom) - p.reachMs).toISOString();
  const stored =
    p.read && p.read.fromId <= loadFrom
      ? live(p.read.docs, loadFrom)
      : await listDriftItems(store, subject, { fromId: loadFrom });
  const replaced = (d: DriftObject) => {
    const deploy = deployOf(d);
    return deploy ? affected.has(deploy) || Date.parse(d.from) >= p.from : Date.parse(d.from) >= p.from;
  };
  const kept = stored.filter((d) => !replaced(d));
  const final = [...kept.map((d) => ({ ...d })), ...p.fresh.map((d) => ({ ...d }))].sort(
    (a, b) => a.from.localeCompare(b.from) || a.id.localeCompare(b.id),
  );
  // Links to items not loaded (earlier, unchanged) stay; links among the loaded ones are computed again.
  const loaded = new Set([...stored, ...p.fresh].map((d) => d.id));
  const outside = new Map(kept.map((d) => [d.id, (d.related ?? []).filter((id) => !loaded.has(id))]));
  relink(final, outside);
  const byId = new Map(stored.map((d) => [d.id, d]));
  const out: ItemOutcome = { published: [], retracted: [], writes: 0, before: stored.filter(isWindowItem) };
  for (const d of final) {
    const old = byId.get(d.id);
    if (old && JSON.stringify(old) === JSON.stringify(d)) continue;
    await store.putDoc(DRIFT_DOC, subject, driftDocId(d), d);
    out.writes++;
    if (!old || content(old) !== content(d)) out.published.push(d);
  }
  const finalIds = new Set(final.map((d) => d.id));
  for (const d of stored) {
    if (finalIds.has(d.id)) continue;
    await store.putDoc(DRIFT_DOC, subject, driftDocId(d), {
      ...d,
      retracted: { at: p.now, reason: 'no longer found when the subject was judged again with later data' },
    });
    out.retracted.push(d.id);
    out.writes++;
  }
  return out;
}

/**
 * `related` as the full judgement sets it (../core/drift/classify.ts linkRelated): session items (risky ones in session
 * order, then evolution items) against window items in time order; `outside` adds each item's links to items not
 * loaded, in the same order.
 */
function relink(items: DriftObject[], outside: ReadonlyMap<string, string[]>): void {
  for (const d of items) delete d.related;
  const windows = items.filter(isWindowItem);
  const risky = items.filter((d) => !isWindowItem(d) && !deployOf(d));
  const evolution = items.filter((d) => deployOf(d));
  linkRelated([...risky, ...evolution], windows);
  const rank = (id: string) => (id.includes('#deploy:') ? 2 : id.slice(id.indexOf('@')).includes('#') ? 1 : 0);
  const order = (a: string, b: string) => rank(a) - rank(b) || a.localeCompare(b);
  for (const d of items) {
    const extra = outside.get(d.id) ?? [];
    if (extra.length === 0) continue;
    d.related = [...new Set([...extra, ...(d.related ?? [])])].sort(order);
  }
}
