/**
 * Local audit anchor logs (lib/ports AuditAnchorLog): an append-only NDJSON file beside the embedded store's
 * database, and an in-memory log for `embedded:memory`. Each line is one anchor (seq, hash, audit id, time and the
 * chain record). Lines are only ever appended (and synced to disk before the table is written); a torn or altered
 * line is reported by `all()`, never silently skipped.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import type { AuditAnchor } from '../core/audit/types.ts';
import { AnchorExistsError, type AuditAnchorLog } from '../ports.ts';

function isAnchor(v: unknown): v is AuditAnchor {
  const a = v as AuditAnchor;
  return (
    typeof a === 'object' &&
    a !== null &&
    Number.isInteger(a.seq) &&
    a.seq > 0 &&
    typeof a.hash === 'string' &&
    typeof a.auditId === 'string' &&
    typeof a.time === 'string' &&
    typeof a.record === 'object' &&
    a.record !== null &&
    a.record.seq === a.seq &&
    a.record.hash === a.hash
  );
}

/** Anchors in memory (the anchor log of `embedded:memory`, and tests). */
export class MemoryAnchorLog implements AuditAnchorLog {
  readonly description = 'memory';
  readonly anchors: AuditAnchor[] = [];
  async append(anchor: AuditAnchor): Promise<void> {
    if (this.anchors.some((a) => a.seq === anchor.seq)) throw new AnchorExistsError(anchor.seq);
    this.anchors.push(structuredClone(anchor));
  }
  async latest(): Promise<AuditAnchor | undefined> {
    return this.anchors.reduce<AuditAnchor | undefined>((m, a) => (!m || a.seq > m.seq ? a : m), undefined);
  }
  async all(): Promise<{ anchors: AuditAnchor[]; problems: string[] }> {
    return { anchors: [...this.anchors].sort((a, b) => a.seq - b.seq), problems: [] };
  }
}

/** A local store's anchor file (`<database>.anchors.ndjson`, beside the database). */
export class FileAnchorLog implements AuditAnchorLog {
  readonly description: string;
  /** Parsed content and the file size it was read at: re-read only when the file changed. */
  private cache: { size: number; anchors: AuditAnchor[]; problems: string[] } | undefined;

  constructor(readonly path: string) {
    this.description = `file:${path}`;
  }

  async append(anchor: AuditAnchor): Promise<void> {
    const { anchors } = await this.all();
    if (anchors.some((a) => a.seq >= anchor.seq)) throw new AnchorExistsError(anchor.seq);
    const fd = openSync(this.path, 'a');
    try {
      writeSync(fd, `${JSON.stringify(anchor)}\n`);
      // On disk before the table moves: the anchor is the record's write-ahead copy.
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  async latest(): Promise<AuditAnchor | undefined> {
    const { anchors } = await this.all();
    return anchors[anchors.length - 1];
  }

  async all(): Promise<{ anchors: AuditAnchor[]; problems: string[] }> {
    if (!existsSync(this.path)) return { anchors: [], problems: [] };
    const size = statSync(this.path).size;
    if (this.cache?.size === size) return { anchors: [...this.cache.anchors], problems: [...this.cache.problems] };
    const anchors: AuditAnchor[] = [];
    const problems: string[] = [];
    readFileSync(this.path, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (line === '') return;
        let v: unknown;
        try {
          v = JSON.parse(line);
        } catch {
          v = undefined;
        }
        if (isAnchor(v)) anchors.push(v);
        else problems.push(`line ${i + 1} of ${this.path} is not an anchor`);
      });
    for (let i = 1; i < anchors.length; i++)
      if (anchors[i]!.seq <= anchors[i - 1]!.seq)
        problems.push(`anchors out of order at line ${i + 1} of ${this.path} (seq ${anchors[i]!.seq})`);
    anchors.sort((a, b) => a.seq - b.seq);
    this.cache = { size, anchors, problems };
    return { anchors: [...anchors], problems: [...problems] };
  }
}
