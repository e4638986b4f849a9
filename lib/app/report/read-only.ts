/**
 * A view of a Store that reads through and keeps its own writes in memory, so code that saves as it computes
 * (artifact generation refreshes the stored reconciliation) can run for a report without changing the store.
 */
import type { Doc, Store } from '../../ports.ts';

export function readOnlyView(store: Store): Store {
  const docs = new Map<string, Doc<unknown>>();
  const k = (kind: string, scope: string, id: string) => `${kind}\u0000${scope}\u0000${id}`;
  return {
    description: `${store.description} (read-only view)`,
    write: async () => {
      throw new Error('read-only view: observations cannot be written while building a report');
    },
    aggregates: (s, q) => store.aggregates(s, q),
    evidence: (s, f, t) => store.evidence(s, f, t),
    subjects: () => store.subjects(),
    setLabels: async () => undefined,
    quarantine: (l) => store.quarantine(l),
    async putDoc<T>(kind: string, scope: string, id: string, body: T): Promise<Doc<T>> {
      const prev = docs.get(k(kind, scope, id)) ?? (await store.getDoc(kind, scope, id));
      const doc: Doc<T> = {
        kind,
        scope,
        id,
        body,
        updatedAt: new Date().toISOString(),
        version: (prev?.version ?? 0) + 1,
      };
      docs.set(k(kind, scope, id), doc as Doc<unknown>);
      return doc;
    },
    async getDoc<T>(kind: string, scope: string, id: string): Promise<Doc<T> | undefined> {
      return (docs.get(k(kind, scope, id)) as Doc<T> | undefined) ?? store.getDoc<T>(kind, scope, id);
    },
    async listDocs<T>(kind: string, scope: string, opts?: { fromId?: string; toId?: string; limit?: number }) {
      const base = await store.listDocs<T>(kind, scope, opts);
      const mine = [...docs.values()].filter((d) => d.kind === kind && d.scope === scope) as Doc<T>[];
      const merged = new Map(base.map((d) => [d.id, d]));
      for (const d of mine)
        if ((!opts?.fromId || d.id >= opts.fromId) && (!opts?.toId || d.id <= opts.toId)) merged.set(d.id, d);
      return [...merged.values()]
        .sort((a, b) => a.id.localeCompare(b.id))
        .slice(0, opts?.limit ?? Number.MAX_SAFE_INTEGER);
    },
    close: async () => undefined,
  };
}
