/**
 * The correlation-key index the audit trail finds a triggering input by, instead of scanning every subject's
 * evidence: `audit-key / <t|s>:<id> / <subject>` = the time span over which the subject's evidence names the ticket
 * (`t:`) or agent session id (`s:`). Incremental drift writes it for the data it reads (lib/app/drift/incremental.ts),
 * so it covers everything but the windows still marked dirty, which a lookup reads as well (Store.dirty); a store
 * whose data predates the index (no `audit-key-meta`) is searched the old way.
 * Role sessions and pod IPs need no index: the entry follows them inside the trigger subjects' evidence of the
 * session's interval (lib/core/audit/correlate.ts), a bounded read.
 */
import { correlationIds } from '../../core/drift/incremental/types.ts';
import type { Observation } from '../../core/observation.ts';
import type { Store } from '../../ports.ts';

export const KEY_DOC = 'audit-key';
/** `audit-key-meta / global / index`: present once every subject's data has been indexed (or marked dirty). */
export const KEY_META_DOC = 'audit-key-meta';

export interface KeySpan {
  from: string;
  to: string;
}

/** The correlation ids of observations with the span of each, per subject. */
export function keySpans(observations: readonly Observation[]): Map<string, Map<string, KeySpan>> {
  const out = new Map<string, Map<string, KeySpan>>();
  for (const o of observations)
    for (const id of correlationIds(o)) {
      const bySubject = out.get(id) ?? new Map<string, KeySpan>();
      out.set(id, bySubject);
      const s = bySubject.get(o.subject);
      if (!s) bySubject.set(o.subject, { from: o.time, to: o.time });
      else {
        if (o.time < s.from) s.from = o.time;
        if (o.time > s.to) s.to = o.time;
      }
    }
  return out;
}

const minIso = (a: string, b: string) => (a <= b ? a : b);
const maxIso = (a: string, b: string) => (a >= b ? a : b);

/** Widens the index with the spans of `observations`; returns the number of writes. */
export async function indexKeys(store: Store, observations: readonly Observation[]): Promise<number> {
  let writes = 0;
  for (const [id, bySubject] of keySpans(observations))
    for (const [subject, span] of bySubject) {
      const cur = await store.getDoc<KeySpan>(KEY_DOC, id, subject);
      const next = cur ? { from: minIso(span.from, cur.body.from), to: maxIso(span.to, cur.body.to) } : span;
      if (cur && next.from === cur.body.from && next.to === cur.body.to) continue;
      await store.putDoc(KEY_DOC, id, subject, next);
      writes++;
    }
  return writes;
}

/** Subjects whose evidence names the input as a ticket (`t`) or agent session id (`s`), with the spans. */
export async function lookupKey(
  store: Store,
  input: string,
  as: readonly ('t' | 's')[] = ['t', 's'],
): Promise<{ subject: string; span: KeySpan }[]> {
  const out: { subject: string; span: KeySpan }[] = [];
  for (const id of as.map((k) => `${k}:${input}`))
    for (const d of await store.listDocs<KeySpan>(KEY_DOC, id)) out.push({ subject: d.id, span: d.body });
  return out;
}

/** True once the index covers the store (see the module comment). */
export async function keyIndexComplete(store: Store): Promise<boolean> {
  return (await store.getDoc(KEY_META_DOC, 'global', 'index')) !== undefined;
}

/** Records that every subject's data is indexed or marked dirty (the first incremental run does this). */
export async function markKeyIndexComplete(store: Store, at: string): Promise<void> {
  await store.putDoc(KEY_META_DOC, 'global', 'index', { since: at });
}
