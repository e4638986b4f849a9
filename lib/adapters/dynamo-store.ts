/**
 * The Store port over one DynamoDB table (single-table design, docs/data-model.md), via @aws-sdk/lib-dynamodb.
 * Runs unchanged against AWS, moto_server and dynalite: no transactions, no reliance on TTL deletion (readers drop
 * items whose `expiresAt` has passed). The parts, one concern each: table (dynamo-store-table.ts), item codec
 * (-items), aggregate packs (-packs) and single aggregates (-aggregates), subject registry (-registry), documents
 * (-docs), quarantine (-quarantine).
 *
 * A write stores, in this order, each step idempotent on its own so that replaying an input after a crash at any
 * point converges to the state of one clean run: subject #META items (idempotent SETs), aggregates (packs, then the
 * single items of keys a closed pack does not hold; once per unit and per natural id, each with the subject's counters
 * for the units it holds: dynamo-store-registry.ts), evidence chunks (conditional puts keyed by content), dirty marks,
 * quarantine (conditional puts keyed by content).
 */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mapLimit } from '../core/map-limit.ts';
import type { Observation, Reject } from '../core/observation.ts';
import { aggregateBatch } from '../core/store/fold.ts';
import type {
  AggregateQuery,
  AggregateRow,
  AuditAnchorLog,
  Doc,
  QuarantineRow,
  Store,
  SubjectRecord,
  WriteOptions,
  WriteReport,
} from '../ports.ts';
import { mergeRows } from './dynamo-store-aggregates.ts';
import { type DynamoContext, queryAll, sendWrite, type WriteTally } from './dynamo-store-client.ts';
import { DynamoDirtyMarks, markBatch } from './dynamo-store-dirty.ts';
import { getDoc, listDocs, putDoc } from './dynamo-store-docs.ts';
import { decodeItem, itemKeys, packRows, toAggregateRow } from './dynamo-store-items.ts';
import { writePacked } from './dynamo-store-packs.ts';
import { putQuarantine, readQuarantine } from './dynamo-store-quarantine.ts';
import { ensureSubjects, readSubjects, setLabels } from './dynamo-store-registry.ts';
import { resetSeals } from './dynamo-store-seal.ts';
import { ensureTable } from './dynamo-store-table.ts';
import { packEvidence, unpackEvidence } from './store-evidence.ts';
import { expiryAfter, windowOf } from './store-util.ts';

export { VersionConflictError } from './store-util.ts';

export interface DynamoStoreOptions {
  tableName: string;
  /** SDK client config (endpoint, region, credentials); ignored when `client` is given. */
  clientConfig?: DynamoDBClientConfig;
  client?: DynamoDBClient;
  /** Create the table when it does not exist (local endpoints, or `create=1`). */
  createTable?: boolean;
  description?: string;
  /** Days aggregates and evidence are kept (TTL and read filter); default 400, so a year can be reconstructed. */
  retentionDays?: number;
  quarantineDays?: number;
  /** Parallel requests per operation; default 16. */
  concurrency?: number;
  now?: () => Date;
  /** Called on close (e.g. to stop the embedded endpoint). */
  onClose?: () => Promise<void>;
  /** Where the audit chain kept in this table is anchored (see Store.auditAnchors). */
  auditAnchors?: AuditAnchorLog;
}

export class DynamoStore implements Store {
  readonly description: string;
  readonly auditAnchors?: AuditAnchorLog;
  readonly dirty: DynamoDirtyMarks;
  private readonly raw: DynamoDBClient;
  private readonly ctx: DynamoContext;
  private ready: Promise<void> | undefined;
  /** Subjects whose #META item this process has written (saves one request per subject per batch). */
  private readonly knownSubjects = new Set<string>();

  constructor(private readonly opts: DynamoStoreOptions) {
    this.raw = opts.client ?? new DynamoDBClient(opts.clientConfig ?? {});
    this.ctx = {
      doc: DynamoDBDocumentClient.from(this.raw, {
        marshallOptions: { removeUndefinedValues: true },
        unmarshallOptions: { wrapNumbers: false },
      }),
      table: opts.tableName,
      now: opts.now ?? (() => new Date()),
      retentionDays: opts.retentionDays ?? 400,
      quarantineDays: opts.quarantineDays ?? 90,
      concurrency: opts.concurrency ?? 16,
    };
    this.description = opts.description ?? `dynamodb://${opts.tableName}`;
    if (opts.auditAnchors) this.auditAnchors = opts.auditAnchors;
    this.dirty = new DynamoDirtyMarks(this.ctx, () => this.init());
  }

  /** The SDK client (tests add fault-injection middleware to it). */
  get client(): DynamoDBClient {
    return this.raw;
  }

  /** Makes sure the table exists (creating it when allowed); called lazily by every operation. */
  init(): Promise<void> {
    this.ready ??= ensureTable(this.raw, this.ctx.table, this.opts.createTable ?? false);
    return this.ready;
  }

  async write(observations: Observation[], rejects: Reject[], opts: WriteOptions = {}): Promise<WriteReport> {
    await this.init();
    const tally: WriteTally = { requests: 0, units: 0 };
    const batch = aggregateBatch(observations, opts.segments);
    await ensureSubjects(
      this.ctx,
      tally,
      batch.aggregates.map((a) => a.subject),
      this.knownSubjects,
    );
    const touched = new Map<string, Set<string>>();
    for (const a of batch.aggregates)
      touched.set(a.subject, (touched.get(a.subject) ?? new Set<string>()).add(a.window));
    const outcomes = await writePacked(this.ctx, tally, batch.aggregates, batch.units);
    // Seals of the subjects' counters that a late window falls under, after the aggregates (dynamo-store-seal.ts).
    // Unchanged aggregates too: a replay is how a crash between the aggregates and the reset is repaired.
    await resetSeals(this.ctx, tally, touched);
    await this.writeEvidence(tally, batch.evidence.values());
    // One dirty mark per subject per batch, after its data (lib/ports.ts DirtyMarks). Unchanged aggregates too: a
    // replay of a unit already stored is how a crash between the data and the mark is repaired.
    await markBatch(this.ctx, tally, touched);
    const nowIso = this.ctx.now().toISOString();
    const quarantined = await mapLimit(rejects, this.ctx.concurrency, (r) => putQuarantine(this.ctx, tally, r, nowIso));
    const stored = outcomes.filter((o) => o.changed).length;
    return {
      observations: observations.length,
      stored,
      duplicates: outcomes.length - stored,
      quarantined: quarantined.filter(Boolean).length,
      writeRequests: tally.requests,
      writeUnits: tally.units,
    };
  }

  private async writeEvidence(
    tally: WriteTally,
    groups: Iterable<{ subject: string; window: string; observations: Observation[] }>,
  ): Promise<void> {
    const chunks = [...groups].flatMap((e) =>
      packEvidence(e.observations).map((chunk) => ({ subject: e.subject, window: e.window, chunk })),
    );
    await mapLimit(chunks, this.ctx.concurrency, ({ subject, window, chunk }) =>
      sendWrite(this.ctx, tally, {
        // Subject, window and times are in the keys or the data; a write is billed by the started KB, and most chunks
        // are a subject's few observations of one batch.
        Item: {
          pk: itemKeys.subjectPk(subject),
          sk: itemKeys.evidenceSk(window, chunk.id),
          type: 'evidence',
          count: chunk.count,
          data: chunk.data,
          expiresAt: expiryAfter(window, this.ctx.retentionDays),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async aggregates(subject: string, query: AggregateQuery = {}): Promise<AggregateRow[]> {
    await this.init();
    const items = await queryAll(this.ctx, {
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :a AND :b',
      ExpressionAttributeValues: {
        ':pk': itemKeys.subjectPk(subject),
        ':a': `A#${query.from ? windowOf(query.from) : ''}`,
        ':b': `A#${query.to ?? '9999'}~`,
      },
    });
    const kinds = query.kinds && new Set(query.kinds);
    const layers = query.layers && new Set<string>(query.layers);
    const rows = items.flatMap((it) =>
      it.type === 'aggregate-pack' ? packRows(decodeItem.pack(it)) : [toAggregateRow(decodeItem.aggregate(it))],
    );
    return mergeRows(rows)
      .filter((a) => (!kinds || kinds.has(a.kind)) && (!layers || layers.has(a.layer)))
      .filter((a) => !query.to || a.window <= query.to);
  }

  async evidence(subject: string, from: string, to: string): Promise<Observation[]> {
    await this.init();
    const items = await queryAll(this.ctx, {
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :a AND :b',
      ExpressionAttributeValues: { ':pk': itemKeys.subjectPk(subject), ':a': `E#${windowOf(from)}`, ':b': `E#${to}~` },
    });
    // Re-deliveries batched differently land in different chunks: keep each observation id once.
    const byId = new Map<string, Observation>();
    for (const it of items) {
      for (const o of unpackEvidence(decodeItem.evidence(it).data)) {
        if (o.time >= from && o.time <= to && !byId.has(o.id)) byId.set(o.id, o);
      }
    }
    return [...byId.values()].sort((x, y) => (x.time < y.time ? -1 : x.time > y.time ? 1 : x.id < y.id ? -1 : 1));
  }

  async subjects(): Promise<SubjectRecord[]> {
    await this.init();
    return readSubjects(this.ctx);
  }

  async setLabels(subject: string, labels: Record<string, string>): Promise<void> {
    await this.init();
    await setLabels(this.ctx, subject, labels);
  }

  async quarantine(limit = 100): Promise<QuarantineRow[]> {
    await this.init();
    return readQuarantine(this.ctx, limit);
  }

  async putDoc<T>(kind: string, scope: string, id: string, body: T, opts: { expectVersion?: number } = {}) {
    await this.init();
    return putDoc(this.ctx, kind, scope, id, body, opts);
  }

  async getDoc<T>(kind: string, scope: string, id: string): Promise<Doc<T> | undefined> {
    await this.init();
    return getDoc<T>(this.ctx, kind, scope, id);
  }

  async listDocs<T>(kind: string, scope: string, opts: { fromId?: string; toId?: string; limit?: number } = {}) {
    await this.init();
    return listDocs<T>(this.ctx, kind, scope, opts);
  }

  async close(): Promise<void> {
    this.ctx.doc.destroy();
    this.raw.destroy();
    await this.opts.onClose?.();
  }
}
