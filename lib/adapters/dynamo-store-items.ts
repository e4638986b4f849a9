/**
 * The typed item codec of the DynamoDB store: every item type of the single table (docs/data-model.md) as a zod
 * schema over what lib-dynamodb unmarshalls, its key builders and its encoder, so no code reads an untyped item.
 * A stored item that does not match its schema is a named error, not a silent `undefined` downstream.
 */
import { z } from 'zod';
import { LAYERS, SOURCES } from '../core/observation.ts';
import type { AggregateRow, QuarantineRow, SubjectRecord } from '../ports.ts';

export const SUBJECT_SK = '#META';
export const QUARANTINE_SK = '#Q';
const SUM_PREFIX = 'sum.';

export const itemKeys = {
  subjectPk: (subject: string) => `S#${subject}`,
  aggregateSk: (window: string, key: string) => `A#${window}#${key}`,
  evidenceSk: (window: string, chunkId: string) => `E#${window}#${chunkId}`,
  /** Per-(subject, UTC day) registry counter (see core/store/registry.ts). */
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
  })
  .passthrough();
export type AggregateItem = z.infer<typeof aggregateSchema> & { sums: Record<string, number> };

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

export function toAggregateRow(a: AggregateItem): AggregateRow {
  return {
    subject: a.subject,
    key: a.key,
    window: a.window,
    layer: a.layer,
    kind: a.kind,
    count: a.count,
    firstSeen: a.firstSeen,
    lastSeen: a.lastSeen,
    sources: [...a.sources].sort(),
    attrs: a.attrs as AggregateRow['attrs'],
    sums: a.sums,
  };
}

export function toSubjectRecord(meta: z.infer<typeof subjectSchema>, days: readonly SubjectDayItem[]): SubjectRecord {
  let firstSeen = meta.firstSeen ?? '';
  let lastSeen = meta.lastSeen ?? '';
  let observations = meta.observations ?? 0;
  for (const d of days) {
    observations += d.observations;
    if (!firstSeen || d.firstSeen < firstSeen) firstSeen = d.firstSeen;
    if (d.lastSeen > lastSeen) lastSeen = d.lastSeen;
  }
  return { subject: meta.subject, labels: meta.labels, firstSeen, lastSeen, observations };
}
