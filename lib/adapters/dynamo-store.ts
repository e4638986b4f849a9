/**
 * The Store port over one DynamoDB table (single-table design, docs/data-model.md), via @aws-sdk/lib-dynamodb.
 * Runs unchanged against AWS, moto_server and the embedded dynalite: no transactions, no reliance on TTL deletion
 * (readers drop items whose `expiresAt` has passed), only UpdateItem / PutItem / GetItem / Query.
 *
 * Idempotency: a write's observations are grouped into idempotency units (`WriteOptions.segments`; the ingest
 * pipeline uses one per slice of an input file, cut independently of how inputs are batched together). Every
 * aggregate item keeps a string set `contrib` with the digest of each unit's contribution (the sorted observation
 * ids the unit folds into it), and the update is conditional on those digests being absent; when some are present
 * the store reads the item and adds only the missing units. So replaying an input, alone or batched with other
 * inputs, changes nothing. Limit: the same event arriving in two *different* units (e.g. one CloudTrail event in two
 * trail files, or via both EventBridge and S3) is counted twice in aggregates; evidence readers drop repeated ids.
 */

import { gunzipSync, gzipSync } from 'node:zlib';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type DynamoDBClientConfig,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type Observation, type Reject, type SourceName, WINDOW_MS } from '../core/observation.ts';
import type {
  AggregateQuery,
  AggregateRow,
  Doc,
  QuarantineRow,
  Store,
  SubjectRecord,
  WriteOptions,
  WriteReport,
} from '../ports.ts';
import {
  aggregateBatch,
  type Contribution,
  combine,
  contributionDigest,
  type PendingAggregate,
} from './store-aggregate.ts';
import { packEvidence, unpackEvidence } from './store-evidence.ts';
import { digest, expiryAfter, isConditionalCheckFailed, isResourceNotFound, mapLimit } from './store-util.ts';
import { createTableInput, GSI1 } from './table-schema.ts';

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
  /** Parallel write requests; default 16. */
  concurrency?: number;
  now?: () => Date;
  /** Called on close (e.g. to stop the embedded endpoint). */
  onClose?: () => Promise<void>;
  /**
   * This process is the only writer (the embedded store): aggregates are read in batches, merged in memory with the
   * same idempotency rule, and written back with BatchWriteItem. Avoids one expression-heavy UpdateItem per
   * aggregate, which dynalite parses slowly. Never set it for a table other processes write to.
   */
  singleWriter?: boolean;
}

/** Raised by putDoc when `expectVersion` does not match the stored version. */
export class VersionConflictError extends Error {
  constructor(
    readonly kind: string,
    readonly scope: string,
    readonly id: string,
    readonly expected: number,
    options?: { cause?: unknown },
  ) {
    super(`document ${kind}/${scope}/${id} is not at version ${expected}`, options);
    this.name = 'VersionConflictError';
  }
}

const SUBJECT_SK = '#META';
const QUARANTINE_SK = '#Q';
/** Documents larger than this are stored gzipped. */
const DOC_INLINE_MAX = 300 * 1024;
const MAX_OPTIMISTIC_RETRIES = 8;
/** Contributions per UpdateItem: keeps the condition expression well under DynamoDB's 4 KB limit. */
const MAX_DIGESTS_PER_UPDATE = 20;

/** What a stored contribution adds to its subject's registry item. */
interface StoredPart {
  observations: number;
  firstSeen: string;
  lastSeen: string;
}

export const itemKeys = {
  subjectPk: (subject: string) => `S#${subject}`,
  aggregateSk: (window: string, key: string) => `A#${window}#${key}`,
  evidenceSk: (window: string, chunkId: string) => `E#${window}#${chunkId}`,
  quarantinePk: (id: string) => `Q#${id}`,
  docPk: (kind: string, scope: string) => `D#${kind}#${scope}`,
} as const;

type Item = Record<string, unknown>;

export class DynamoStore implements Store {
  readonly description: string;
  private readonly doc: DynamoDBDocumentClient;
  private readonly raw: DynamoDBClient;
  private readonly table: string;
  private readonly retentionDays: number;
  private readonly quarantineDays: number;
  private readonly concurrency: number;
  private readonly now: () => Date;
  private ready: Promise<void> | undefined;

  constructor(private readonly opts: DynamoStoreOptions) {
    this.table = opts.tableName;
    this.raw = opts.client ?? new DynamoDBClient(opts.clientConfig ?? {});
    this.doc = DynamoDBDocumentClient.from(this.raw, {
      marshallOptions: { removeUndefinedValues: true },
      unmarshallOptions: { wrapNumbers: false },
    });
    this.description = opts.description ?? `dynamodb://${opts.tableName}`;
    this.retentionDays = opts.retentionDays ?? 400;
    this.quarantineDays = opts.quarantineDays ?? 90;
    this.concurrency = opts.concurrency ?? 16;
    this.now = opts.now ?? (() => new Date());
  }

  /** Makes sure the table exists (creating it when allowed); called lazily by every operation. */
  init(): Promise<void> {
    this.ready ??= this.ensureTable();
    return this.ready;
  }

  private async ensureTable(): Promise<void> {
    try {
      const d = await this.raw.send(new DescribeTableCommand({ TableName: this.table }));
      if (d.Table?.TableStatus === 'ACTIVE') return;
    } catch (err) {
      if (!isResourceNotFound(err)) throw err;
      if (!this.opts.createTable) {
        throw new Error(`table ${this.table} does not exist (deploy the stack, or pass create=1 to create it)`, {
          cause: err,
        });
      }
      try {
        await this.raw.send(new CreateTableCommand(createTableInput(this.table)));
      } catch (e) {
        // Another process created it first.
        if ((e as { name?: string }).name !== 'ResourceInUseException') throw e;
      }
    }
    for (let i = 0; i < 600; i++) {
      const d = await this.raw.send(new DescribeTableCommand({ TableName: this.table }));
      if (d.Table?.TableStatus === 'ACTIVE') return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`table ${this.table} did not become ACTIVE`);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Writes

  async write(observations: Observation[], rejects: Reject[], opts: WriteOptions = {}): Promise<WriteReport> {
    await this.init();
    const report: WriteReport = {
      observations: observations.length,
      stored: 0,
      duplicates: 0,
      quarantined: 0,
      writeRequests: 0,
    };
    const batch = aggregateBatch(observations, opts.segments);
    const perSubject = new Map<string, { observations: number; firstSeen: string; lastSeen: string }>();

    const results = this.opts.singleWriter
      ? await this.serialized(() => this.writeAggregatesSingleWriter(batch.aggregates))
      : await mapLimit(batch.aggregates, this.concurrency, (a) => this.writeAggregate(a));
    batch.aggregates.forEach((a, i) => {
      const r = results[i]!;
      report.writeRequests += r.requests;
      if (!r.stored) {
        report.duplicates++;
        return;
      }
      report.stored++;
      const s = perSubject.get(a.subject);
      if (!s) perSubject.set(a.subject, { ...r.stored });
      else {
        s.observations += r.stored.observations;
        s.firstSeen = minStr(s.firstSeen, r.stored.firstSeen);
        s.lastSeen = maxStr(s.lastSeen, r.stored.lastSeen);
      }
    });

    const chunks = [...batch.evidence.values()].flatMap((e) =>
      packEvidence(e.observations).map((c) => ({ subject: e.subject, window: e.window, chunk: c })),
    );
    await mapLimit(chunks, this.concurrency, async ({ subject, window, chunk }) => {
      report.writeRequests++;
      await this.putIfAbsent({
        pk: itemKeys.subjectPk(subject),
        sk: itemKeys.evidenceSk(window, chunk.id),
        type: 'evidence',
        subject,
        window,
        count: chunk.count,
        firstTime: chunk.firstTime,
        lastTime: chunk.lastTime,
        data: chunk.data,
        expiresAt: expiryAfter(window, this.retentionDays),
      });
    });

    // Subject counters move only with contributions that were actually stored, so a replay leaves them unchanged.
    await mapLimit([...perSubject], this.concurrency, async ([subject, s]) => {
      report.writeRequests += await this.touchSubject(subject, s);
    });

    const nowIso = this.now().toISOString();
    await mapLimit(rejects, this.concurrency, async (r) => {
      report.writeRequests++;
      if (await this.putQuarantine(r, nowIso)) report.quarantined++;
    });
    return report;
  }

  private writeChain: Promise<unknown> = Promise.resolve();

  /** Runs `fn` after every earlier single-writer merge finished, so read-merge-write cycles never interleave. */
  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.writeChain.then(fn, fn);
    this.writeChain = run.catch(() => undefined);
    return run;
  }

  /**
   * Single-writer merge (see {@link DynamoStoreOptions.singleWriter}): the same item shape and idempotency rule as
   * the UpdateItem path (contributions whose digest is already in `contrib` are skipped; counts and sums added;
   * first/last seen as min/max; layer, kind and attrs kept from the first write).
   */
  private async writeAggregatesSingleWriter(
    aggs: PendingAggregate[],
  ): Promise<{ requests: number; stored?: StoredPart }[]> {
    const keyOf = (a: PendingAggregate) => ({
      pk: itemKeys.subjectPk(a.subject),
      sk: itemKeys.aggregateSk(a.window, a.key),
    });
    const existing = new Map<string, Item>();
    const keys = aggs.map(keyOf);
    for (let i = 0; i < keys.length; i += 100) {
      let request: Record<string, { Keys: Record<string, unknown>[]; ConsistentRead: boolean }> | undefined = {
        [this.table]: { Keys: keys.slice(i, i + 100), ConsistentRead: true },
      };
      while (request && Object.keys(request).length > 0) {
        const got = await this.doc.send(new BatchGetCommand({ RequestItems: request }));
        for (const item of got.Responses?.[this.table] ?? []) existing.set(`${item.pk}\u0000${item.sk}`, item);
        request = got.UnprocessedKeys as typeof request;
      }
    }
    const out: { requests: number; stored?: StoredPart }[] = [];
    const puts: Item[] = [];
    for (const a of aggs) {
      const k = keyOf(a);
      const cur = existing.get(`${k.pk}\u0000${k.sk}`);
      const contrib = new Set<string>((cur?.contrib as Set<string> | undefined) ?? []);
      const todo = [...a.parts.values()].map((c) => ({ c, d: contributionDigest(c) })).filter((p) => !contrib.has(p.d));
      if (todo.length === 0) {
        out.push({ requests: 0 });
        continue;
      }
      const c = combine(todo.map((p) => p.c));
      for (const p of todo) contrib.add(p.d);
      const item: Item = {
        ...(cur ?? {}),
        ...k,
        type: 'aggregate',
        subject: a.subject,
        key: a.key,
        window: a.window,
        layer: cur?.layer ?? a.layer,
        kind: cur?.kind ?? a.kind,
        attrs: cur?.attrs ?? a.attrs,
        expiresAt: expiryAfter(a.window, this.retentionDays),
        firstSeen: cur?.firstSeen ? minStr(cur.firstSeen as string, c.firstSeen) : c.firstSeen,
        lastSeen: cur?.lastSeen ? maxStr(cur.lastSeen as string, c.lastSeen) : c.lastSeen,
        count: ((cur?.count as number | undefined) ?? 0) + c.count,
        observations: ((cur?.observations as number | undefined) ?? 0) + c.observations,
        contrib,
        sources: new Set<string>([...((cur?.sources as Set<string> | undefined) ?? []), ...c.sources]),
      };
      for (const [name, v] of Object.entries(c.sums))
        item[`sum.${name}`] = ((cur?.[`sum.${name}`] as number | undefined) ?? 0) + v;
      existing.set(`${k.pk}\u0000${k.sk}`, item);
      puts.push(item);
      out.push({ requests: 1, stored: { observations: c.observations, firstSeen: c.firstSeen, lastSeen: c.lastSeen } });
    }
    // Later puts of the same key (not possible within one batch today) would win, as the merged item already does.
    for (let i = 0; i < puts.length; i += 25) {
      let request: Record<string, { PutRequest: { Item: Item } }[]> | undefined = {
        [this.table]: puts.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })),
      };
      while (request && Object.keys(request).length > 0) {
        const r = await this.doc.send(new BatchWriteCommand({ RequestItems: request }));
        request = r.UnprocessedItems as typeof request;
      }
    }
    return out;
  }

  /**
   * Stores the contributions of one aggregate not stored before: one UpdateItem in the common case (new aggregate,
   * or contributions not earlier than what is stored); otherwise a read, then an exact conditional update.
   */
  private async writeAggregate(a: PendingAggregate): Promise<{ requests: number; stored?: StoredPart }> {
    const parts = [...a.parts.values()].map((c) => ({ c, d: contributionDigest(c) }));
    let requests = 0;
    let stored: StoredPart | undefined;
    for (let i = 0; i < parts.length; i += MAX_DIGESTS_PER_UPDATE) {
      const r = await this.writeParts(a, parts.slice(i, i + MAX_DIGESTS_PER_UPDATE));
      requests += r.requests;
      if (r.stored) {
        stored = stored
          ? {
              observations: stored.observations + r.stored.observations,
              firstSeen: minStr(stored.firstSeen, r.stored.firstSeen),
              lastSeen: maxStr(stored.lastSeen, r.stored.lastSeen),
            }
          : r.stored;
      }
    }
    return { requests, stored };
  }

  private async writeParts(
    a: PendingAggregate,
    parts: { c: Contribution; d: string }[],
  ): Promise<{ requests: number; stored?: StoredPart }> {
    const key = { pk: itemKeys.subjectPk(a.subject), sk: itemKeys.aggregateSk(a.window, a.key) };
    const update = (todo: { c: Contribution; d: string }[], exact?: { oldFs?: string; oldLs?: string }) => {
      const c = combine(todo.map((p) => p.c));
      const names: Record<string, string> = {
        '#count': 'count',
        '#obs': 'observations',
        '#layer': 'layer',
        '#kind': 'kind',
        '#subject': 'subject',
        '#key': 'key',
        '#window': 'window',
        '#type': 'type',
      };
      const values: Record<string, unknown> = {
        ':c': c.count,
        ':n': c.observations,
        ':dset': new Set(todo.map((p) => p.d)),
        ':src': new Set<string>(c.sources),
        ':layer': a.layer,
        ':kind': a.kind,
        ':subject': a.subject,
        ':key': a.key,
        ':window': a.window,
        ':type': 'aggregate',
        ':attrs': a.attrs,
        ':exp': expiryAfter(a.window, this.retentionDays),
      };
      const adds = ['#count :c', '#obs :n', 'contrib :dset', 'sources :src'];
      Object.entries(c.sums).forEach(([name, v], i) => {
        names[`#s${i}`] = `sum.${name}`;
        values[`:s${i}`] = v;
        adds.push(`#s${i} :s${i}`);
      });
      const conds = todo.map((p, i) => {
        values[`:d${i}`] = p.d;
        return `NOT contains(contrib, :d${i})`;
      });
      const sets = [
        '#type = :type',
        '#subject = :subject',
        '#key = :key',
        '#window = :window',
        '#layer = if_not_exists(#layer, :layer)',
        '#kind = if_not_exists(#kind, :kind)',
        'attrs = if_not_exists(attrs, :attrs)',
        'expiresAt = :exp',
      ];
      let cond = `(attribute_not_exists(contrib) OR (${conds.join(' AND ')}))`;
      if (!exact) {
        sets.push('firstSeen = if_not_exists(firstSeen, :fs)', 'lastSeen = :ls');
        values[':fs'] = c.firstSeen;
        values[':ls'] = c.lastSeen;
        cond +=
          ' AND (attribute_not_exists(firstSeen) OR firstSeen <= :fs) AND (attribute_not_exists(lastSeen) OR lastSeen <= :ls)';
      } else {
        sets.push('firstSeen = :nfs', 'lastSeen = :nls');
        values[':nfs'] = exact.oldFs ? minStr(exact.oldFs, c.firstSeen) : c.firstSeen;
        values[':nls'] = exact.oldLs ? maxStr(exact.oldLs, c.lastSeen) : c.lastSeen;
        if (exact.oldFs !== undefined && exact.oldLs !== undefined) {
          values[':ofs'] = exact.oldFs;
          values[':ols'] = exact.oldLs;
          cond += ' AND firstSeen = :ofs AND lastSeen = :ols';
        } else cond += ' AND attribute_not_exists(firstSeen)';
      }
      const stored: StoredPart = { observations: c.observations, firstSeen: c.firstSeen, lastSeen: c.lastSeen };
      return {
        stored,
        cmd: new UpdateCommand({
          TableName: this.table,
          Key: key,
          UpdateExpression: `SET ${sets.join(', ')} ADD ${adds.join(', ')}`,
          ConditionExpression: cond,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      };
    };

    let requests = 1;
    const fast = update(parts);
    try {
      await this.doc.send(fast.cmd);
      return { requests, stored: fast.stored };
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
    }
    // Slow path: some contributions may be stored already, or times arrived out of order.
    for (let attempt = 0; attempt < MAX_OPTIMISTIC_RETRIES; attempt++) {
      const cur = (await this.doc.send(new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true }))).Item;
      const contrib = (cur?.contrib as Set<string> | undefined) ?? new Set<string>();
      const todo = parts.filter((p) => !contrib.has(p.d));
      if (todo.length === 0) return { requests };
      const u = update(todo, {
        oldFs: cur?.firstSeen as string | undefined,
        oldLs: cur?.lastSeen as string | undefined,
      });
      requests++;
      try {
        await this.doc.send(u.cmd);
        return { requests, stored: u.stored };
      } catch (err) {
        if (!isConditionalCheckFailed(err)) throw err;
      }
    }
    throw new Error(`aggregate ${a.subject} ${a.key} ${a.window}: too much concurrent contention`);
  }

  /** Adds to the subject registry item with min/max first/last seen; returns the write requests used. */
  private async touchSubject(
    subject: string,
    s: { observations: number; firstSeen: string; lastSeen: string },
  ): Promise<number> {
    const key = { pk: itemKeys.subjectPk(subject), sk: SUBJECT_SK };
    const base = {
      ':subject': subject,
      ':g': 'SUBJECT',
      ':n': s.observations,
      ':empty': {},
      ':type': 'subject',
    };
    const sets =
      '#type = :type, subject = :subject, gsi1pk = :g, gsi1sk = :subject, labels = if_not_exists(labels, :empty)';
    let requests = 1;
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: key,
          UpdateExpression: `SET ${sets}, firstSeen = if_not_exists(firstSeen, :fs), lastSeen = :ls ADD observations :n`,
          ConditionExpression:
            '(attribute_not_exists(firstSeen) OR firstSeen <= :fs) AND (attribute_not_exists(lastSeen) OR lastSeen <= :ls)',
          ExpressionAttributeNames: { '#type': 'type' },
          ExpressionAttributeValues: { ...base, ':fs': s.firstSeen, ':ls': s.lastSeen },
        }),
      );
      return requests;
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
    }
    for (let attempt = 0; attempt < MAX_OPTIMISTIC_RETRIES; attempt++) {
      const cur = (await this.doc.send(new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true })))
        .Item as Item | undefined;
      const oldFs = cur?.firstSeen as string;
      const oldLs = cur?.lastSeen as string;
      requests++;
      try {
        await this.doc.send(
          new UpdateCommand({
            TableName: this.table,
            Key: key,
            UpdateExpression: `SET ${sets}, firstSeen = :nfs, lastSeen = :nls ADD observations :n`,
            ConditionExpression: 'firstSeen = :ofs AND lastSeen = :ols',
            ExpressionAttributeNames: { '#type': 'type' },
            ExpressionAttributeValues: {
              ...base,
              ':nfs': minStr(oldFs, s.firstSeen),
              ':nls': maxStr(oldLs, s.lastSeen),
              ':ofs': oldFs,
              ':ols': oldLs,
            },
          }),
        );
        return requests;
      } catch (err) {
        if (!isConditionalCheckFailed(err)) throw err;
      }
    }
    throw new Error(`subject ${subject}: too much concurrent contention`);
  }

  /** Stores a reject once (its id is a digest of where and what it was); returns false when already stored. */
  private async putQuarantine(r: Reject, nowIso: string): Promise<boolean> {
    const id = digest([
      r.source,
      r.reason,
      r.location.file ?? '',
      String(r.location.line ?? ''),
      String(r.location.record ?? ''),
      r.excerpt,
    ]);
    return this.putIfAbsent({
      pk: itemKeys.quarantinePk(id),
      sk: QUARANTINE_SK,
      type: 'quarantine',
      gsi1pk: 'QUARANTINE',
      gsi1sk: `${nowIso}#${id}`,
      id,
      time: nowIso,
      source: r.source,
      reason: r.reason,
      detail: r.detail.slice(0, 1024),
      location: r.location,
      excerpt: r.excerpt.slice(0, 2048),
      expiresAt: expiryAfter(nowIso, this.quarantineDays),
    });
  }

  private async putIfAbsent(item: Item): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({ TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
      );
      return true;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return false;
      throw err;
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Reads

  private async queryAll(input: Omit<QueryCommandInput, 'TableName'>, limit = Number.POSITIVE_INFINITY) {
    await this.init();
    const items: Item[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const res = await this.doc.send(new QueryCommand({ TableName: this.table, ...input, ExclusiveStartKey: start }));
      for (const it of res.Items ?? []) {
        if (this.expired(it)) continue;
        items.push(it);
        if (items.length >= limit) return items;
      }
      start = res.LastEvaluatedKey;
    } while (start);
    return items;
  }

  private expired(item: Item): boolean {
    const e = item.expiresAt;
    return typeof e === 'number' && e * 1000 <= this.now().getTime();
  }

  async aggregates(subject: string, query: AggregateQuery = {}): Promise<AggregateRow[]> {
    const from = query.from ? windowOf(query.from) : '';
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :a AND :b',
      ExpressionAttributeValues: {
        ':pk': itemKeys.subjectPk(subject),
        ':a': `A#${from}`,
        ':b': `A#${query.to ?? '9999'}~`,
      },
    });
    const kinds = query.kinds && new Set(query.kinds);
    const layers = query.layers && new Set<string>(query.layers);
    return items
      .filter((it) => (!kinds || kinds.has(it.kind as string)) && (!layers || layers.has(it.layer as string)))
      .filter((it) => !query.to || (it.window as string) <= query.to)
      .map(toAggregateRow);
  }

  async evidence(subject: string, from: string, to: string): Promise<Observation[]> {
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :a AND :b',
      ExpressionAttributeValues: { ':pk': itemKeys.subjectPk(subject), ':a': `E#${windowOf(from)}`, ':b': `E#${to}~` },
    });
    const byId = new Map<string, Observation>();
    for (const it of items) {
      for (const o of unpackEvidence(it.data as Uint8Array)) {
        if (o.time >= from && o.time <= to && !byId.has(o.id)) byId.set(o.id, o);
      }
    }
    return [...byId.values()].sort((x, y) => (x.time < y.time ? -1 : x.time > y.time ? 1 : x.id < y.id ? -1 : 1));
  }

  async subjects(): Promise<SubjectRecord[]> {
    const items = await this.queryAll({
      IndexName: GSI1.indexName,
      KeyConditionExpression: 'gsi1pk = :g',
      ExpressionAttributeValues: { ':g': 'SUBJECT' },
    });
    return items.map((it) => ({
      subject: it.subject as string,
      firstSeen: (it.firstSeen as string | undefined) ?? '',
      lastSeen: (it.lastSeen as string | undefined) ?? '',
      observations: (it.observations as number | undefined) ?? 0,
      labels: (it.labels as Record<string, string> | undefined) ?? {},
    }));
  }

  async setLabels(subject: string, labels: Record<string, string>): Promise<void> {
    await this.init();
    const key = { pk: itemKeys.subjectPk(subject), sk: SUBJECT_SK };
    // Make sure the item and its labels map exist first: a nested SET on a missing map fails.
    await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: key,
        UpdateExpression:
          'SET #type = :type, subject = :subject, gsi1pk = :g, gsi1sk = :subject, labels = if_not_exists(labels, :empty)',
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: { ':subject': subject, ':g': 'SUBJECT', ':type': 'subject', ':empty': {} },
      }),
    );
    const entries = Object.entries(labels);
    if (entries.length === 0) return;
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    entries.forEach(([k, v], i) => {
      names[`#l${i}`] = k;
      values[`:l${i}`] = v;
    });
    await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: key,
        UpdateExpression: `SET ${entries.map((_, i) => `labels.#l${i} = :l${i}`).join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  async quarantine(limit = 100): Promise<QuarantineRow[]> {
    const items = await this.queryAll(
      {
        IndexName: GSI1.indexName,
        KeyConditionExpression: 'gsi1pk = :g',
        ExpressionAttributeValues: { ':g': 'QUARANTINE' },
        ScanIndexForward: false,
      },
      limit,
    );
    return items.map((it) => ({
      id: it.id as string,
      time: it.time as string,
      source: it.source as QuarantineRow['source'],
      reason: it.reason as string,
      detail: it.detail as string,
      location: (it.location as QuarantineRow['location']) ?? {},
      excerpt: it.excerpt as string,
    }));
  }

  // -------------------------------------------------------------------------------------------------------------
  // Documents

  async putDoc<T>(kind: string, scope: string, id: string, body: T, opts: { expectVersion?: number } = {}) {
    await this.init();
    const json = JSON.stringify(body ?? null);
    // Bodies are stored as JSON text (exact round trip, no DynamoDB type quirks), gzipped when large.
    const stored = json.length > DOC_INLINE_MAX ? gzipSync(Buffer.from(json)) : json;
    const names = { '#kind': 'kind', '#scope': 'scope', '#id': 'id', '#body': 'body' };
    const values: Record<string, unknown> = {
      ':kind': kind,
      ':scope': scope,
      ':id': id,
      ':u': this.now().toISOString(),
      ':b': stored,
    };
    const set = 'SET #kind = :kind, #scope = :scope, #id = :id, updatedAt = :u, #body = :b';
    let update: string;
    let condition: string | undefined;
    if (opts.expectVersion === undefined) {
      update = `${set} ADD version :one`;
      values[':one'] = 1;
    } else {
      update = `${set}, version = :next`;
      values[':next'] = opts.expectVersion + 1;
      if (opts.expectVersion === 0) condition = 'attribute_not_exists(pk)';
      else {
        condition = 'version = :expected';
        values[':expected'] = opts.expectVersion;
      }
    }
    try {
      const res = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: itemKeys.docPk(kind, scope), sk: id },
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toDoc<T>(res.Attributes as Item);
    } catch (err) {
      if (isConditionalCheckFailed(err) && opts.expectVersion !== undefined) {
        throw new VersionConflictError(kind, scope, id, opts.expectVersion, { cause: err });
      }
      throw err;
    }
  }

  async getDoc<T>(kind: string, scope: string, id: string): Promise<Doc<T> | undefined> {
    await this.init();
    const res = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: { pk: itemKeys.docPk(kind, scope), sk: id }, ConsistentRead: true }),
    );
    return res.Item ? toDoc<T>(res.Item) : undefined;
  }

  async listDocs<T>(
    kind: string,
    scope: string,
    opts: { fromId?: string; toId?: string; limit?: number } = {},
  ): Promise<Doc<T>[]> {
    const values: Record<string, unknown> = { ':pk': itemKeys.docPk(kind, scope) };
    let cond = 'pk = :pk';
    if (opts.fromId !== undefined && opts.toId !== undefined) {
      cond += ' AND sk BETWEEN :a AND :b';
      values[':a'] = opts.fromId;
      values[':b'] = opts.toId;
    } else if (opts.fromId !== undefined) {
      cond += ' AND sk >= :a';
      values[':a'] = opts.fromId;
    } else if (opts.toId !== undefined) {
      cond += ' AND sk <= :b';
      values[':b'] = opts.toId;
    }
    const items = await this.queryAll(
      { KeyConditionExpression: cond, ExpressionAttributeValues: values },
      opts.limit ?? Number.POSITIVE_INFINITY,
    );
    return items.map((it) => toDoc<T>(it));
  }

  async close(): Promise<void> {
    this.doc.destroy();
    this.raw.destroy();
    await this.opts.onClose?.();
  }
}

/** ISO-8601 UTC strings of one format order like their times. */
function minStr(a: string, b: string): string {
  return a <= b ? a : b;
}

function maxStr(a: string, b: string): string {
  return a >= b ? a : b;
}

function toDoc<T>(it: Item): Doc<T> {
  const text = it.body instanceof Uint8Array ? gunzipSync(it.body).toString('utf8') : ((it.body as string) ?? 'null');
  return {
    kind: it.kind as string,
    scope: it.scope as string,
    id: it.id as string,
    body: JSON.parse(text) as T,
    updatedAt: it.updatedAt as string,
    version: (it.version as number | undefined) ?? 1,
  };
}

function toAggregateRow(it: Item): AggregateRow {
  const sums: Record<string, number> = {};
  for (const [k, v] of Object.entries(it)) {
    if (k.startsWith('sum.') && typeof v === 'number') sums[k.slice(4)] = v;
  }
  return {
    subject: it.subject as string,
    key: it.key as string,
    window: it.window as string,
    layer: it.layer as AggregateRow['layer'],
    kind: it.kind as string,
    count: it.count as number,
    firstSeen: it.firstSeen as string,
    lastSeen: it.lastSeen as string,
    sources: [...((it.sources as Set<SourceName> | undefined) ?? [])].sort(),
    attrs: (it.attrs as AggregateRow['attrs']) ?? {},
    sums,
  };
}

/** The window an ISO time falls in, for range queries over window-prefixed sort keys. */
function windowOf(iso: string): string {
  const t = new Date(iso).getTime();
  return Number.isNaN(t) ? iso : new Date(Math.floor(t / WINDOW_MS) * WINDOW_MS).toISOString();
}
