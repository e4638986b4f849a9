/**
 * Tables and prepared statements of the embedded SQLite store (layouts: docs/data-model.md, "Embedded store").
 * Every table is keyed for the reads the Store port makes: aggregates and evidence by subject then time, documents by
 * kind, scope and id; `WITHOUT ROWID` keeps each small-row table one B-tree (evidence chunks are large rows: rowid).
 */
import type Database from 'better-sqlite3';

export const SCHEMA_VERSION = 3;

/** The database was written by a newer Warden than this one: reading it could misread what it stores. */
export class StoreSchemaError extends Error {
  constructor(store: string, version: number) {
    super(
      `store ${store} was written by a newer warden (schema ${version}; this one reads up to ${SCHEMA_VERSION}): upgrade warden to read it`,
    );
    this.name = 'StoreSchemaError';
  }
}

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO meta VALUES ('schema', '${SCHEMA_VERSION}');
CREATE TABLE IF NOT EXISTS units (digest TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS aggregates (
  subject TEXT NOT NULL, window TEXT NOT NULL, key TEXT NOT NULL, layer TEXT NOT NULL, kind TEXT NOT NULL,
  count INTEGER NOT NULL, observations INTEGER NOT NULL, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,
  sources TEXT NOT NULL, attrs TEXT NOT NULL, sums TEXT, expires INTEGER NOT NULL,
  PRIMARY KEY (subject, window, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS natural_ids (id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS evidence (
  subject TEXT NOT NULL, window TEXT NOT NULL, chunk TEXT NOT NULL, count INTEGER NOT NULL, data BLOB NOT NULL,
  expires INTEGER NOT NULL, last_window TEXT, UNIQUE (subject, window, chunk));
CREATE TABLE IF NOT EXISTS subjects (subject TEXT PRIMARY KEY, labels TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS subject_days (
  subject TEXT NOT NULL, day TEXT NOT NULL, observations INTEGER NOT NULL, first_seen TEXT NOT NULL,
  last_seen TEXT NOT NULL, PRIMARY KEY (subject, day)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS quarantine (
  id TEXT PRIMARY KEY, time TEXT NOT NULL, source TEXT NOT NULL, reason TEXT NOT NULL, detail TEXT NOT NULL,
  location TEXT NOT NULL, excerpt TEXT NOT NULL, expires INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS quarantine_time ON quarantine (time);
CREATE TABLE IF NOT EXISTS docs (
  kind TEXT NOT NULL, scope TEXT NOT NULL, id TEXT NOT NULL, body BLOB NOT NULL, gz INTEGER NOT NULL,
  updated_at TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (kind, scope, id)) WITHOUT ROWID;
`;

/**
 * Brings a database written by an earlier version up to SCHEMA_VERSION, and refuses one written by a later version
 * (StoreSchemaError; `store` names it). 2: an evidence chunk may span the hours of a day, `last_window` its last
 * hour (NULL in rows written before: one hour each). 3: evidence chunks may be compact rows
 * (store-evidence-rows.ts), which a reader of schema 2 would take for observations; chunks written before are read
 * as they are.
 */
export function migrate(db: Database.Database, store: string): void {
  const version = Number(db.prepare("SELECT v FROM meta WHERE k = 'schema'").pluck().get());
  if (version > SCHEMA_VERSION) throw new StoreSchemaError(store, version);
  if (version === SCHEMA_VERSION) return;
  const columns = db.prepare('PRAGMA table_info(evidence)').all() as { name: string }[];
  if (!columns.some((c) => c.name === 'last_window')) db.exec('ALTER TABLE evidence ADD COLUMN last_window TEXT');
  db.prepare("UPDATE meta SET v = ? WHERE k = 'schema'").run(String(SCHEMA_VERSION));
}

/** A chunk spans at most the hours of one day: a read looks this far before its start for chunks reaching into it. */
export const CHUNK_SPAN_MS = 24 * 3_600_000;

/** SQL true when the attrs (JSON) are a failed call's, as fold.ts isFailedCall: a non-empty string errorCode. */
const failedCall = (attrs: string) =>
  `coalesce(json_type(${attrs}, '$.errorCode') = 'text' AND json_extract(${attrs}, '$.errorCode') <> '', 0)`;

/** The prepared statements, compiled once per database. */
export function statements(db: Database.Database) {
  return {
    hasUnit: db.prepare('SELECT 1 FROM units WHERE digest = ?').pluck(),
    addUnit: db.prepare('INSERT OR IGNORE INTO units VALUES (?)'),
    addNaturalId: db.prepare('INSERT OR IGNORE INTO natural_ids VALUES (?)'),
    addEvidence: db.prepare(
      'INSERT OR IGNORE INTO evidence (subject, window, chunk, count, data, expires, last_window) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    // The first write keeps layer, kind and attrs, except that a successful call's attrs replace a failed call's
    // (fold.ts isFailedCall); counts add; first/last seen widen (ISO strings order as times).
    upsertAggregate: db.prepare(`INSERT INTO aggregates VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (subject, window, key) DO UPDATE SET
        attrs = CASE WHEN ${failedCall('attrs')} AND NOT ${failedCall('excluded.attrs')} THEN excluded.attrs ELSE attrs END,
        count = count + excluded.count, observations = observations + excluded.observations,
        first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen),
        sources = CASE WHEN sources = excluded.sources THEN sources ELSE merge_sources(sources, excluded.sources) END,
        sums = CASE WHEN excluded.sums IS NULL THEN sums ELSE merge_sums(sums, excluded.sums) END,
        expires = excluded.expires`),
    addSubjectDay: db.prepare(`INSERT INTO subject_days VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (subject, day) DO UPDATE SET observations = observations + excluded.observations,
        first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen)`),
    ensureSubject: db.prepare('INSERT OR IGNORE INTO subjects (subject) VALUES (?)'),
    labels: db.prepare('SELECT labels FROM subjects WHERE subject = ?'),
    setLabels: db.prepare('UPDATE subjects SET labels = ? WHERE subject = ?'),
    // The registry is derived: per-day counters summed on read, so it cannot disagree with what was written.
    subjects: db.prepare(`SELECT s.subject, s.labels, sum(d.observations) AS observations,
        min(d.first_seen) AS first_seen, max(d.last_seen) AS last_seen
      FROM subjects s LEFT JOIN subject_days d ON d.subject = s.subject GROUP BY s.subject ORDER BY s.subject`),
    aggregates: db.prepare(`SELECT * FROM aggregates
      WHERE subject = ? AND window >= ? AND window <= ? AND expires > ? ORDER BY window, key`),
    // Chunks starting up to a day before the range may reach into it (CHUNK_SPAN_MS).
    evidence: db.prepare(`SELECT data FROM evidence
      WHERE subject = @subject AND window >= @earliest AND window <= @to AND coalesce(last_window, window) >= @from
        AND expires > @now ORDER BY window`),
    addQuarantine: db.prepare(`INSERT OR IGNORE INTO quarantine
      VALUES (@id, @time, @source, @reason, @detail, @location, @excerpt, @expires)`),
    quarantine: db.prepare('SELECT * FROM quarantine WHERE expires > ? ORDER BY time DESC, id DESC LIMIT ?'),
    docVersion: db.prepare('SELECT version FROM docs WHERE kind = ? AND scope = ? AND id = ?'),
    putDoc: db.prepare('INSERT OR REPLACE INTO docs VALUES (?, ?, ?, ?, ?, ?, ?)'),
    getDoc: db.prepare('SELECT * FROM docs WHERE kind = ? AND scope = ? AND id = ?'),
    listDocs: db.prepare(`SELECT * FROM docs WHERE kind = @kind AND scope = @scope AND id >= @from
      AND (@to IS NULL OR id <= @to) ORDER BY id LIMIT @limit`),
  };
}

export type SqliteStatements = ReturnType<typeof statements>;
