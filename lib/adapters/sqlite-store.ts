/**
 * The embedded default store: the Store port implemented natively on SQLite (better-sqlite3) for one machine, on
 * disk under `.warden/` or in memory. Chosen by measurement over LevelDB (classic-level) and dynalite
 * (docs/data-model.md, "Embedded store"): real indexes, one transaction per write batch, no wire protocol to emulate.
 *
 * Semantics are the DynamoDB store's (the store contract suite runs on both): aggregates per (subject, key, hour)
 * counted once per idempotency unit, natural event ids (CloudTrail eventID, Bedrock requestId) counted once whatever
 * unit or delivery path they come by, evidence kept per observation, documents with optimistic versions, quarantine,
 * retention by filtering on read. A write batch is one SQLite transaction, so a crash leaves either all of a batch or
 * none of it, and the subject registry (per-day counter rows) moves in the same transaction as the aggregates.
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type { Observation, Reject } from '../core/observation.ts';
import { byTimeThenId } from '../core/store/fold.ts';
import {
  type FoldedAggregate,
  type FoldedBatch,
  type FoldedPart,
  foldBatch,
  naturalIdsOf,
  withoutCounted,
} from '../core/store/folded.ts';
import type {
  AggregateQuery,
  AggregateRow,
  AuditAnchorLog,
  Doc,
  FoldedStore,
  QuarantineRow,
  Store,
  SubjectRecord,
  WriteOptions,
  WriteReport,
} from '../ports.ts';
import { SqliteDirtyMarks } from './sqlite-store-dirty.ts';
import { CHUNK_SPAN_MS, migrate, SCHEMA_SQL, type SqliteStatements, statements } from './sqlite-store-schema.ts';
import { brotliEvidence, unpackEvidenceBrotli } from './store-evidence.ts';
import {
  decodeDoc,
  encodeDocBody,
  expiryAfter,
  quarantineId,
  StoreBusyError,
  VersionConflictError,
  windowOf,
} from './store-util.ts';

// better-sqlite3 is CommonJS: required, not imported, so Node does not scan its sources for their export names first
// (an import of a CommonJS package from an ES module does; about 4 ms of every `warden ingest` start-up).
const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;

export interface SqliteStoreOptions {
  /** Database file; undefined keeps everything in memory. */
  path?: string;
  retentionDays?: number;
  quarantineDays?: number;
  now?: () => Date;
  description?: string;
  /**
   * Called after every statement a write runs and after each commit (tests inject crashes here: a throw inside a
   * transaction rolls it back, as a killed process's uncommitted transaction is on reopening).
   */
  onStep?: (step: string) => void;
  /** Where the audit chain kept in this database is anchored (see Store.auditAnchors). */
  auditAnchors?: AuditAnchorLog;
}

export class SqliteStore implements Store, FoldedStore {
  readonly description: string;
  readonly evidenceCodec = 'brotli' as const;
  readonly evidenceWriters = brotliEvidence;
  readonly auditAnchors?: AuditAnchorLog;
  readonly dirty: SqliteDirtyMarks;
  private readonly db: BetterSqlite3.Database;
  private readonly q: SqliteStatements;
  private readonly retentionDays: number;
  private readonly quarantineDays: number;
  private readonly now: () => Date;
  private readonly onStep: ((step: string) => void) | undefined;

  constructor(opts: SqliteStoreOptions = {}) {
    if (opts.path) mkdirSync(dirname(opts.path), { recursive: true });
    this.db = new Database(opts.path ?? ':memory:', { timeout: 10_000 });
    // WAL: readers never block the writer; NORMAL: a committed batch survives a crash of the process.
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA_SQL);
    this.description = opts.description ?? (opts.path ? `embedded:${opts.path}` : 'embedded:memory');
    try {
      migrate(this.db, this.description);
    } catch (err) {
      this.db.close();
      throw err;
    }
    this.db.function('merge_sources', { deterministic: true }, (a: unknown, b: unknown) =>
      [...new Set(`${a},${b}`.split(',').filter(Boolean))].sort().join(','),
    );
    this.db.function('merge_sums', { deterministic: true }, (a: unknown, b: unknown) => mergeSums(a, b));
    this.q = opts.onStep ? instrument(statements(this.db), opts.onStep) : statements(this.db);
    this.onStep = opts.onStep;
    if (opts.auditAnchors) this.auditAnchors = opts.auditAnchors;
    this.retentionDays = opts.retentionDays ?? 400;
    this.quarantineDays = opts.quarantineDays ?? 90;
    this.now = opts.now ?? (() => new Date());
    this.dirty = new SqliteDirtyMarks(this.db, (fn) => this.transaction(fn));
  }

  async write(observations: Observation[], rejects: Reject[], opts: WriteOptions = {}): Promise<WriteReport> {
    return this.writeFolded(foldBatch(observations, opts.segments, brotliEvidence()), rejects);
  }

  /** Applies a folded batch (see core/store/folded.ts) and rejects in one transaction. */
  async writeFolded(batch: FoldedBatch, rejects: Reject[]): Promise<WriteReport> {
    const report: WriteReport = {
      observations: batch.observations,
      stored: 0,
      duplicates: 0,
      quarantined: 0,
      writeRequests: 0,
    };
    const nowIso = this.now().toISOString();
    this.transaction(() => {
      const fresh = new Map<string, boolean>();
      const isFresh = (unit: string) => {
        let f = fresh.get(unit);
        if (f === undefined) {
          f = !this.q.hasUnit.get(unit);
          fresh.set(unit, f);
        }
        return f;
      };
      const days = new Map<string, { subject: string; day: string; n: number; fs: string; ls: string }>();
      const touched = new Map<string, Set<string>>();
      for (const a of batch.aggregates) {
        touched.set(a.subject, (touched.get(a.subject) ?? new Set<string>()).add(a.window));
        report.writeRequests++;
        let changed = false;
        // The aggregate's fresh parts, added up: one upsert instead of one per part.
        let sum: FoldedPart | undefined;
        for (const p of a.parts) {
          if (!isFresh(p.unit)) continue;
          changed = true;
          const counted = new Set<string>();
          for (const id of naturalIdsOf(p)) if (this.q.addNaturalId.run(id).changes === 0) counted.add(id);
          const c = counted.size > 0 ? withoutCounted(p, counted) : p;
          // Times bound the subject's activity even when every observation was counted before (by another unit).
          addDay(days, a.subject, a.window.slice(0, 10), c?.observations ?? 0, p.firstSeen, p.lastSeen);
          if (c) sum = sum ? addParts(sum, c) : c;
        }
        if (sum) this.upsert(a, sum);
        if (changed) report.stored++;
        else report.duplicates++;
      }
      for (const d of days.values()) {
        this.q.addSubjectDay.run(d.subject, d.day, d.n, d.fs, d.ls);
        this.q.ensureSubject.run(d.subject);
      }
      for (const [unit, f] of fresh) if (f) this.q.addUnit.run(unit);
      for (const e of batch.evidence)
        for (const c of e.chunks) {
          // A chunk is kept until its last hour expires; a read drops its earlier hours' observations by then.
          const first = hourOf(c.firstTime);
          const last = hourOf(c.lastTime);
          const expires = expiryAfter(last, this.retentionDays);
          this.q.addEvidence.run(e.subject, first, c.id, c.count, c.data, expires, last === first ? null : last);
        }
      // One dirty mark per subject per batch, after its data (lib/ports.ts DirtyMarks).
      this.dirty.markBatch(touched);
      for (const r of rejects) {
        report.writeRequests++;
        report.quarantined += this.q.addQuarantine.run(quarantineRow(r, nowIso, this.quarantineDays)).changes;
      }
    });
    return report;
  }

  private upsert(a: FoldedAggregate, c: FoldedPart): void {
    this.q.upsertAggregate.run(
      a.subject,
      a.window,
      a.key,
      a.layer,
      a.kind,
      c.count,
      c.observations,
      c.firstSeen,
      c.lastSeen,
      [...c.sources].sort().join(','),
      JSON.stringify(a.attrs),
      Object.keys(c.sums).length > 0 ? JSON.stringify(c.sums) : null,
      expiryAfter(a.window, this.retentionDays),
    );
  }

  /** Runs `fn` in one immediate transaction; maps a lock held by another process to a named error. */
  private transaction(fn: () => void): void {
    try {
      this.db.transaction(fn).immediate();
      this.onStep?.('commit');
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_BUSY') throw new StoreBusyError(this.description, err);
      throw err;
    }
  }

  private nowSeconds(): number {
    return Math.floor(this.now().getTime() / 1000);
  }

  async aggregates(subject: string, query: AggregateQuery = {}): Promise<AggregateRow[]> {
    const rows = this.q.aggregates.all(
      subject,
      query.from ? windowOf(query.from) : '',
      query.to ?? '9999',
      this.nowSeconds(),
    ) as AggregateSqlRow[];
    const kinds = query.kinds && new Set(query.kinds);
    const layers = query.layers && new Set<string>(query.layers);
    return rows.filter((r) => (!kinds || kinds.has(r.kind)) && (!layers || layers.has(r.layer))).map(toAggregateRow);
  }

  async evidence(subject: string, from: string, to: string): Promise<Observation[]> {
    const now = this.nowSeconds();
    const start = windowOf(from);
    const rows = this.q.evidence.all({
      subject,
      earliest: new Date(Date.parse(start) - CHUNK_SPAN_MS).toISOString(),
      from: start,
      to,
      now,
    }) as { data: Buffer }[];
    // Retention per observation, as for an hour's row: kept while its hour is younger than retentionDays.
    const kept = new Date((now - this.retentionDays * 86_400) * 1000).toISOString();
    // Re-deliveries batched differently land in different chunks: keep each observation id once.
    const byId = new Map<string, Observation>();
    for (const r of rows)
      for (const o of unpackEvidenceBrotli(r.data)) {
        if (o.time >= from && o.time <= to && hourOf(o.time) > kept && !byId.has(o.id)) byId.set(o.id, o);
      }
    return [...byId.values()].sort(byTimeThenId);
  }

  async subjects(): Promise<SubjectRecord[]> {
    const rows = this.q.subjects.all() as SubjectSqlRow[];
    return rows.map((r) => ({
      subject: r.subject,
      firstSeen: r.first_seen ?? '',
      lastSeen: r.last_seen ?? '',
      observations: r.observations ?? 0,
      labels: r.labels ? (JSON.parse(r.labels) as Record<string, string>) : {},
    }));
  }

  async setLabels(subject: string, labels: Record<string, string>): Promise<void> {
    this.transaction(() => {
      this.q.ensureSubject.run(subject);
      const cur = this.q.labels.get(subject) as { labels: string | null } | undefined;
      const merged = { ...(cur?.labels ? (JSON.parse(cur.labels) as Record<string, string>) : {}), ...labels };
      this.q.setLabels.run(JSON.stringify(merged), subject);
    });
  }

  async quarantine(limit = 100): Promise<QuarantineRow[]> {
    const rows = this.q.quarantine.all(this.nowSeconds(), limit) as QuarantineSqlRow[];
    return rows.map((r) => ({
      id: r.id,
      time: r.time,
      source: r.source as QuarantineRow['source'],
      reason: r.reason,
      detail: r.detail,
      location: JSON.parse(r.location) as QuarantineRow['location'],
      excerpt: r.excerpt,
    }));
  }

  async putDoc<T>(kind: string, scope: string, id: string, body: T, opts: { expectVersion?: number } = {}) {
    const { json, stored } = encodeDocBody(body);
    const gz = typeof stored !== 'string';
    const updatedAt = this.now().toISOString();
    let version = 0;
    this.transaction(() => {
      const cur = this.q.docVersion.get(kind, scope, id) as { version: number } | undefined;
      if (opts.expectVersion !== undefined && (cur?.version ?? 0) !== opts.expectVersion) {
        throw new VersionConflictError(kind, scope, id, opts.expectVersion);
      }
      version = (cur?.version ?? 0) + 1;
      this.q.putDoc.run(kind, scope, id, stored, gz ? 1 : 0, updatedAt, version);
    });
    return { kind, scope, id, body: JSON.parse(json) as T, updatedAt, version };
  }

  async getDoc<T>(kind: string, scope: string, id: string): Promise<Doc<T> | undefined> {
    const r = this.q.getDoc.get(kind, scope, id) as DocSqlRow | undefined;
    return r ? toDoc<T>(r) : undefined;
  }

  async listDocs<T>(
    kind: string,
    scope: string,
    opts: { fromId?: string; toId?: string; limit?: number } = {},
  ): Promise<Doc<T>[]> {
    const rows = this.q.listDocs.all({
      kind,
      scope,
      from: opts.fromId ?? '',
      to: opts.toId ?? null,
      limit: opts.limit ?? -1,
    }) as DocSqlRow[];
    return rows.map((r) => toDoc<T>(r));
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

interface AggregateSqlRow {
  subject: string;
  window: string;
  key: string;
  layer: AggregateRow['layer'];
  kind: string;
  count: number;
  first_seen: string;
  last_seen: string;
  sources: string;
  attrs: string;
  sums: string | null;
}

interface SubjectSqlRow {
  subject: string;
  observations: number | null;
  first_seen: string | null;
  last_seen: string | null;
  labels: string | null;
}

interface QuarantineSqlRow {
  id: string;
  time: string;
  source: string;
  reason: string;
  detail: string;
  location: string;
  excerpt: string;
}

interface DocSqlRow {
  kind: string;
  scope: string;
  id: string;
  body: string | Buffer;
  gz: number;
  updated_at: string;
  version: number;
}

function toAggregateRow(r: AggregateSqlRow): AggregateRow {
  return {
    subject: r.subject,
    key: r.key,
    window: r.window,
    layer: r.layer,
    kind: r.kind,
    count: r.count,
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    sources: r.sources.split(',') as AggregateRow['sources'],
    attrs: JSON.parse(r.attrs) as AggregateRow['attrs'],
    sums: r.sums ? (JSON.parse(r.sums) as Record<string, number>) : {},
  };
}

function toDoc<T>(r: DocSqlRow): Doc<T> {
  const body = r.gz ? (r.body as Buffer) : String(r.body);
  return decodeDoc<T>({ kind: r.kind, scope: r.scope, id: r.id, body, updatedAt: r.updated_at, version: r.version });
}

/** The statements with `onStep` called after each run. */
function instrument(q: SqliteStatements, onStep: (step: string) => void): SqliteStatements {
  for (const [name, st] of Object.entries(q)) {
    const run = st.run.bind(st);
    Object.assign(st, {
      run: (...args: unknown[]) => {
        const r = run(...args);
        onStep(name);
        return r;
      },
    });
  }
  return q;
}

/** The hour window of a normalized time (`YYYY-MM-DDTHH:mm:ss.sssZ`, as the fold writes them). */
function hourOf(time: string): string {
  return `${time.slice(0, 13)}:00:00.000Z`;
}

function addDay(
  days: Map<string, { subject: string; day: string; n: number; fs: string; ls: string }>,
  subject: string,
  day: string,
  n: number,
  fs: string,
  ls: string,
): void {
  const k = `${subject}\u0000${day}`;
  const d = days.get(k);
  if (!d) days.set(k, { subject, day, n, fs, ls });
  else {
    d.n += n;
    if (fs < d.fs) d.fs = fs;
    if (ls > d.ls) d.ls = ls;
  }
}

/** Two parts of one aggregate as one, as applying them one after the other would store them. */
function addParts(a: FoldedPart, b: FoldedPart): FoldedPart {
  const sums = { ...a.sums };
  for (const [k, v] of Object.entries(b.sums)) sums[k] = (sums[k] ?? 0) + v;
  return {
    ...a,
    count: a.count + b.count,
    observations: a.observations + b.observations,
    firstSeen: b.firstSeen < a.firstSeen ? b.firstSeen : a.firstSeen,
    lastSeen: b.lastSeen > a.lastSeen ? b.lastSeen : a.lastSeen,
    sources: [...new Set([...a.sources, ...b.sources])],
    sums,
  };
}

function mergeSums(a: unknown, b: unknown): string | null {
  if (typeof a !== 'string') return typeof b === 'string' ? b : null;
  if (typeof b !== 'string') return a;
  const out = JSON.parse(a) as Record<string, number>;
  for (const [k, v] of Object.entries(JSON.parse(b) as Record<string, number>)) out[k] = (out[k] ?? 0) + v;
  return JSON.stringify(out);
}

function quarantineRow(r: Reject, nowIso: string, days: number) {
  return {
    id: quarantineId(r),
    time: nowIso,
    source: r.source,
    reason: r.reason,
    detail: r.detail.slice(0, 1024),
    location: JSON.stringify(r.location),
    excerpt: r.excerpt.slice(0, 2048),
    expires: expiryAfter(nowIso, days),
  };
}
