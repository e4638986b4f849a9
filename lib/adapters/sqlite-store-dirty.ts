/**
 * Dirty marks of the embedded store (Store.dirty, lib/ports.ts): one row per subject in `dirty`, updated in the same
 * transaction as the batch that wrote the data, so a mark never names data that is not there. A partial index holds
 * the dirty rows only, so listing them reads no clean subject.
 */
import type Database from 'better-sqlite3';
import type { DirtyMark, DirtyMarks } from '../ports.ts';

export const DIRTY_SQL = `
CREATE TABLE IF NOT EXISTS dirty (
  subject TEXT PRIMARY KEY, seq INTEGER NOT NULL, windows TEXT, from_window TEXT) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS dirty_open ON dirty (subject) WHERE windows IS NOT NULL OR from_window IS NOT NULL;
`;

const split = (w: unknown): string[] => (typeof w === 'string' && w.length > 0 ? w.split(',') : []);
const join = (ws: Iterable<string>): string | null => {
  const out = [...new Set(ws)].sort().join(',');
  return out.length > 0 ? out : null;
};

interface DirtyRow {
  subject: string;
  seq: number;
  windows: string | null;
  from_window: string | null;
}

function toMark(r: DirtyRow): DirtyMark {
  return {
    subject: r.subject,
    seq: r.seq,
    windows: split(r.windows),
    ...(r.from_window ? { from: r.from_window } : {}),
  };
}

/** The marks over one database; `transaction` runs a write the way the store runs its batches. */
export class SqliteDirtyMarks implements DirtyMarks {
  private readonly q;

  constructor(
    db: Database.Database,
    private readonly transaction: (fn: () => void) => void,
  ) {
    db.exec(DIRTY_SQL);
    db.function('merge_windows', { deterministic: true }, (a: unknown, b: unknown) => join([...split(a), ...split(b)]));
    this.q = {
      mark: db.prepare(`INSERT INTO dirty VALUES (?, 1, ?, ?) ON CONFLICT (subject) DO UPDATE SET seq = seq + 1,
        windows = merge_windows(windows, excluded.windows),
        from_window = CASE WHEN excluded.from_window IS NULL THEN from_window
          WHEN from_window IS NULL OR excluded.from_window < from_window THEN excluded.from_window ELSE from_window END`),
      list: db.prepare(`SELECT * FROM dirty WHERE (windows IS NOT NULL OR from_window IS NOT NULL) AND subject > ?
        ORDER BY subject LIMIT ?`),
      get: db.prepare('SELECT * FROM dirty WHERE subject = ?'),
      clear: db.prepare('UPDATE dirty SET windows = ?, from_window = NULL WHERE subject = ? AND seq = ?'),
    };
  }

  /** Marks the windows a batch wrote, per subject (inside the batch's transaction). */
  markBatch(windows: ReadonlyMap<string, Set<string>>): void {
    for (const [subject, ws] of windows) this.q.mark.run(subject, join(ws), null);
  }

  async list(opts: { after?: string; limit?: number } = {}): Promise<DirtyMark[]> {
    return (this.q.list.all(opts.after ?? '', opts.limit ?? 100) as DirtyRow[]).map(toMark);
  }

  async get(subject: string): Promise<DirtyMark | undefined> {
    const r = this.q.get.get(subject) as DirtyRow | undefined;
    return r && (r.windows !== null || r.from_window !== null) ? toMark(r) : undefined;
  }

  async mark(subject: string, windows: string[], opts: { from?: string } = {}): Promise<void> {
    if (windows.length === 0 && !opts.from) return;
    this.transaction(() => this.q.mark.run(subject, join(windows), opts.from ?? null));
  }

  async clear(subject: string, seq: number, keep: string[] = []): Promise<boolean> {
    let changed = 0;
    this.transaction(() => {
      changed = this.q.clear.run(join(keep), subject, seq).changes;
    });
    return changed > 0;
  }
}
