/**
 * The typed item codec of the DynamoDB store: every item type of the single table (docs/data-model.md) as a zod
 * schema over what lib-dynamodb unmarshalls, its key builders and its encoder, so no code reads an untyped item.
 * A stored item that does not match its schema is a named error, not a silent `undefined` downstream.
 */
import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import { z } from 'zod';
import { LAYERS, SOURCES } from '../core/observation.ts';
import type { AggregateRow, QuarantineRow, SubjectRecord } from '../ports.ts';

export const SUBJECT_SK = '#META';
export const QUARANTINE_SK = '#Q';
const SUM_PREFIX = 'sum.';

export const itemKeys = {
  subjectPk: (subject: string) => `S#${subject}`,
  aggregateSk: (window: string, key: string) => `A#${window}#${key}`,
  /**
   * The pack of one (subject, hour, source): inside the window's aggregate range (a window's `Query` finds packs and
   * single aggregates alike), before every key (keys start with a lower-case kind; `!` sorts before them).
   */
  packSk: (window: string, family: string) => `A#${window}#!pack:${family}`,
  evidenceSk: (window: string, chunkId: string) => `E#${window}#${chunkId}`,
  /**
   * Registry counters of tables written before the counters moved into packs: per (subject, UTC hour) `R#YYYY-MM-DDTHH`
   * (older still: per UTC day, `R#YYYY-MM-DD`); read and summed, no longer written.
   */
  subjectDaySk: (day: string) => `R#${day}`,
  quarantinePk: (id: string) => `Q#${id}`,
  docPk: (kind: string, scope: string) => `D#${kind}#${scope}`,
} as const;

export interface ItemKey {
  pk: string;
  sk: string;
}

/** A stored item whose attributes do not match its type's schema. */
export class StoreItemError extends Error {
  constructor(what: string, key: unknown, cause: unknown) {
    super(`stored ${what} item ${JSON.stringify(key)} does not match its schema`, { cause });
    this.name = 'StoreItemError';
  }
}

const stringSet = z.set(z.string());
const attrValue = z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.unknown()), z.record(z.unknown())]);

/**
 * A subject's counters kept in the item a write already rewrites (a pack, or a single aggregate of a closed pack): the
 * observations the units applied to this item added, and the earliest/latest time of those units' input. `subjects()`
 * sums them (dynamo-store-registry.ts). Absent on items written while the counters had registry items of their own.
 */
const tallySchema = z.object({ n: z.number(), f: z.string(), l: z.string() }).strict();
export type Tally = z.infer<typeof tallySchema>;

/** `t` with one more unit's observations and times. */
export function addTally(t: Tally | undefined, n: number, first: string, last: string): Tally {
  if (!t) return { n, f: first, l: last };
  return { n: t.n + n, f: first < t.f ? first : t.f, l: last > t.l ? last : t.l };
}

const aggregateSchema = z
  .object({
    pk: z.string(),
    sk: z.string(),
    subject: z.string(),
    key: z.string(),
    window: z.string(),
    layer: z.enum(LAYERS),
    kind: z.string(),
    count: z.number(),
    observations: z.number().default(0),
    firstSeen: z.string(),
    lastSeen: z.string(),
    sources: z.set(z.enum(SOURCES)).default(new Set()),
    attrs: z.record(attrValue).default({}),
    /** Digests of the idempotency units stored into this aggregate. */
    contrib: stringSet.default(new Set()),
    /** Digests of natural event ids counted here (bounded; see MAX_NATURAL_IDS). */
    ids: stringSet.default(new Set()),
    /** Observations a unit actually added, for units some of whose natural ids were already counted. */
    counted: z.record(z.number()).default({}),
    /** Optimistic version; absent on items written before it existed. */
    ver: z.number().optional(),
    expiresAt: z.number().optional(),
    tally: tallySchema.optional(),
  })
  .passthrough();
export type AggregateItem = z.infer<typeof aggregateSchema> & { sums: Record<string, number> };

/** One behavior key of a pack: what an aggregate item holds, without its keys and markers. */
const packEntrySchema = z
  .object({
    key: z.string(),
    layer: z.enum(LAYERS),
    kind: z.string(),
    count: z.number(),
    observations: z.number(),
    firstSeen: z.string(),
    lastSeen: z.string(),
    sources: z.array(z.enum(SOURCES)),
    attrs: z.record(attrValue),
    sums: z.record(z.number()),
    /** Digests of natural event ids counted in this entry (bounded, see dynamo-store-packs.ts). */
    ids: z.array(z.string()).optional(),
  })
  .strict();
export type PackEntry = z.infer<typeof packEntrySchema>;

/** The compressed body of a pack (`data`). */
const packDataSchema = z
  .object({
    entries: z.array(packEntrySchema),
    /** Digests of the idempotency units applied to this pack. */
    contrib: z.array(z.string()),
    /** Unit digest -> observations it actually added, for units some of whose natural ids were already counted. */
    counted: z.record(z.number()),
    tally: tallySchema.optional(),
  })
  .strict();

/** Subject, window and source are in the keys (`S#<subject>`, `A#<window>#!pack:<source>`), not repeated. */
const packSchema = z.object({
  pk: z.string().startsWith('S#'),
  sk: z.string().regex(/^A#[^#]+#!pack:[a-z-]+$/),
  data: z.instanceof(Uint8Array),
  /** No new keys: they go to single aggregate items (the pack reached its size budget). */
  closed: z.boolean().default(false),
  ver: z.number(),
  expiresAt: z.number().optional(),
});

/** A pack as merged in memory. */
export interface PackItem {
  pk: string;
  sk: string;
  subject: string;
  window: string;
  family: string;
  entries: Map<string, PackEntry>;
  contrib: Set<string>;
  counted: Record<string, number>;
  tally?: Tally;
  closed: boolean;
  ver: number;
  expiresAt?: number;
}

const subjectDaySchema = z.object({
  pk: z.string(),
  sk: z.string(),
  subject: z.string(),
  day: z.string(),
  observations: z.number(),
  firstSeen: z.string(),
  lastSeen: z.string(),
  contrib: stringSet.default(new Set()),
  ver: z.number(),
});
export type SubjectDayItem = z.infer<typeof subjectDaySchema>;

const subjectSchema = z.object({
  subject: z.string(),
  labels: z.record(z.string()).default({}),
  /** Counters kept on #META by tables written before the per-day registry items. */
  observations: z.number().optional(),
  firstSeen: z.string().optional(),
  lastSeen: z.string().optional(),
});

const evidenceSchema = z.object({ data: z.instanceof(Uint8Array) });

const quarantineSchema = z.object({
  id: z.string(),
  time: z.string(),
  source: z.string(),
  reason: z.string(),
  detail: z.string(),
  location: z.object({ file: z.string().optional(), line: z.number().optional(), record: z.number().optional() }),
  excerpt: z.string(),
});

const docSchema = z.object({
  kind: z.string(),
  scope: z.string(),
  id: z.string(),
  body: z.union([z.string(), z.instanceof(Uint8Array)]).default('null'),
  updatedAt: z.string(),
  version: z.number().default(1),
});
export type DocItem = z.infer<typeof docSchema>;

function decode<S extends z.ZodTypeAny>(schema: S, what: string, item: Record<string, unknown>): z.infer<S> {
  const r = schema.safeParse(item);
  if (!r.success) throw new StoreItemError(what, { pk: item.pk, sk: item.sk }, r.error);
  return r.data;
}

export const decodeItem = {
  aggregate(item: Record<string, unknown>): AggregateItem {
    const sums: Record<string, number> = {};
    for (const [k, v] of Object.entries(item)) {
      if (k.startsWith(SUM_PREFIX) && typeof v === 'number') sums[k.slice(SUM_PREFIX.length)] = v;
    }
    return { ...decode(aggregateSchema, 'aggregate', item), sums };
  },
  pack(item: Record<string, unknown>): PackItem {
    const { data, ...p } = decode(packSchema, 'aggregate-pack', item);
    let body: z.infer<typeof packDataSchema>;
    try {
      body = packDataSchema.parse(JSON.parse(brotliDecompressSync(data).toString('utf8')));
    } catch (err) {
      throw new StoreItemError('aggregate-pack', { pk: item.pk, sk: item.sk }, err);
    }
    const [, window, family] = /^A#([^#]+)#!pack:(.+)$/.exec(p.sk) as RegExpExecArray;
    return {
      ...p,
      subject: p.pk.slice(2),
      window: window as string,
      family: family as string,
      entries: new Map(body.entries.map((e) => [e.key, e])),
      contrib: new Set(body.contrib),
      counted: body.counted,
      ...(body.tally ? { tally: body.tally } : {}),
    };
  },
  subjectDay: (item: Record<string, unknown>): SubjectDayItem => decode(subjectDaySchema, 'subject-day', item),
  subject: (item: Record<string, unknown>) => decode(subjectSchema, 'subject', item),
  evidence: (item: Record<string, unknown>) => decode(evidenceSchema, 'evidence', item),
  quarantine: (item: Record<string, unknown>): QuarantineRow => {
    const q = decode(quarantineSchema, 'quarantine', item);
    return { ...q, source: q.source as QuarantineRow['source'] };
  },
  doc: (item: Record<string, unknown>): DocItem => decode(docSchema, 'document', item),
};

/** The attributes of an aggregate item (sums flattened to `sum.<name>` attributes, as deployed tables hold them). */
export function encodeAggregate(a: AggregateItem): Record<string, unknown> {
  const { sums, ...rest } = a;
  const out: Record<string, unknown> = { ...rest, type: 'aggregate' };
  for (const k of Object.keys(out)) if (k.startsWith(SUM_PREFIX)) delete out[k];
  for (const [k, v] of Object.entries(sums)) out[`${SUM_PREFIX}${k}`] = v;
  // DynamoDB rejects empty sets: leave them out.
  for (const k of ['contrib', 'ids', 'sources'] as const) if (a[k].size === 0) delete out[k];
  return out;
}

/** The attributes of a pack item: the entries, units and counts as Brotli-compressed JSON in `data`. */
export function encodePack(p: PackItem): Record<string, unknown> {
  const body: z.infer<typeof packDataSchema> = {
    entries: [...p.entries.values()],
    contrib: [...p.contrib],
    counted: p.counted,
    ...(p.tally ? { tally: p.tally } : {}),
  };
  const { pk, sk, closed, ver, expiresAt } = p;
  const rest = { pk, sk, closed, ver, ...(expiresAt === undefined ? {} : { expiresAt }) };
  const json = Buffer.from(JSON.stringify(body));
  const data = brotliCompressSync(json, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 5,
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_SIZE_HINT]: json.length,
    },
  });
  return { ...rest, type: 'aggregate-pack', data };
}

/** The rows of a pack, one per entry. */
export function packRows(p: PackItem): AggregateRow[] {
  return [...p.entries.values()].map((e) => rowOf(p.subject, p.window, e));
}

export function toAggregateRow(a: AggregateItem): AggregateRow {
  return rowOf(a.subject, a.window, a);
}

function rowOf(
  subject: string,
  window: string,
  a: Pick<AggregateItem, 'key' | 'layer' | 'kind' | 'count' | 'firstSeen' | 'lastSeen' | 'attrs' | 'sums'> & {
    sources: Iterable<string>;
  },
): AggregateRow {
  return {
    subject,
    key: a.key,
    window,
    layer: a.layer,
    kind: a.kind,
    count: a.count,
    firstSeen: a.firstSeen,
    lastSeen: a.lastSeen,
    sources: [...a.sources].sort() as AggregateRow['sources'],
    attrs: a.attrs as AggregateRow['attrs'],
    sums: a.sums,
  };
}

/** A subject's record: the counters of #META (oldest tables), of its registry items and of its items' tallies, summed. */
export function toSubjectRecord(meta: z.infer<typeof subjectSchema>, tallies: readonly Tally[]): SubjectRecord {
  let firstSeen = meta.firstSeen ?? '';
  let lastSeen = meta.lastSeen ?? '';
  let observations = meta.observations ?? 0;
  for (const t of tallies) {
    observations += t.n;
    if (!firstSeen || t.f < firstSeen) firstSeen = t.f;
    if (t.l > lastSeen) lastSeen = t.l;
  }
  return { subject: meta.subject, labels: meta.labels, firstSeen, lastSeen, observations };
}

/** A registry item (tables written before the counters moved into packs) as a tally. */
export const dayTally = (d: SubjectDayItem): Tally => ({ n: d.observations, f: d.firstSeen, l: d.lastSeen });
