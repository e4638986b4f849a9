/**
 * What a ClusterApplier applied, per subject, kept in the store: a rollback runs in another Lambda invocation (or
 * after a restart) than the apply it undoes, so the set to restore cannot live in memory. Entries are documents
 * `applied-manifests/<subject>/<time>#<seq>`; a rollback marks the last live entry rolled back (the store has no
 * delete) and hands back the one before it.
 */
import type { EnforcementMode, Manifest, Store } from '../ports.ts';

export const APPLIED_KIND = 'applied-manifests';

export interface AppliedEntry {
  mode: EnforcementMode;
  manifests: Manifest[];
  at: string;
  rolledBack?: string;
}

const sameSet = (a: Manifest[], b: Manifest[]) =>
  a.length === b.length && a.every((m, i) => m.path === b[i]?.path && m.content === b[i]?.content);

let seq = 0;

export class AppliedHistory {
  constructor(
    private readonly store: Store,
    private readonly now: () => string = () => new Date().toISOString(),
  ) {}

  private async live(subject: string) {
    const docs = await this.store.listDocs<AppliedEntry>(APPLIED_KIND, subject);
    return docs.filter((d) => !d.body.rolledBack);
  }

  /** The set applied last (what is in force now), if any. */
  async current(subject: string): Promise<AppliedEntry | undefined> {
    return (await this.live(subject)).at(-1)?.body;
  }

  /**
   * Records an apply. The same set applied again (a step retried by Step Functions) adds no entry, so a later
   * rollback still restores the set before it.
   */
  async record(subject: string, mode: EnforcementMode, manifests: Manifest[]): Promise<void> {
    const cur = await this.current(subject);
    if (cur && cur.mode === mode && sameSet(cur.manifests, manifests)) return;
    const at = this.now();
    seq = (seq + 1) % 1_000_000;
    await this.store.putDoc(APPLIED_KIND, subject, `${at}#${String(seq).padStart(6, '0')}`, { mode, manifests, at });
  }

  /** Marks the last live apply rolled back; returns it and the set now in force again (undefined: none). */
  async rollBack(subject: string): Promise<{ undone?: AppliedEntry; restored?: AppliedEntry }> {
    const live = await this.live(subject);
    const last = live.at(-1);
    if (!last) return {};
    await this.store.putDoc(
      APPLIED_KIND,
      subject,
      last.id,
      { ...last.body, rolledBack: this.now() },
      { expectVersion: last.version },
    );
    return { undone: last.body, restored: live.at(-2)?.body };
  }
}
