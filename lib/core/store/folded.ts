/**
 * A write batch folded into plain, transferable data: what a single-process store needs to apply it without the
 * observations themselves. Parse workers build it (lib/app/ingest/parse-worker.ts) and post it to the thread that owns
 * the store, evidence already packed into chunks (their buffers move between threads without a copy).
 *
 * Units: each segment of the batch is one idempotency unit, named by the digest of its sorted observation ids.
 * Natural ids (fold.ts) are listed per part with what each observation added, so a store that finds one already
 * counted subtracts it exactly: its time and source are in the aggregate already (same subject, key and hour).
 */
import type { AttrValue, Layer, Observation, SourceName } from '../observation.ts';
import { ID_DIGEST_CHARS, idDigest } from './digest.ts';
import { aggregateBatch, type Contribution, hasNaturalId, summedAttrs } from './fold.ts';

/** One natural-id observation of a part: its id digest and what it added. */
export interface NaturalMember {
  id: string;
  count: number;
  sums?: Record<string, number>;
}

export interface FoldedPart {
  /** Digest of the unit (segment) the part belongs to. */
  unit: string;
  count: number;
  observations: number;
  firstSeen: string;
  lastSeen: string;
  sources: SourceName[];
  sums: Record<string, number>;
  /**
   * Id digests (`idDigest`, ID_DIGEST_CHARS each, concatenated) of the part's natural-id observations that added a
   * count of 1 and no sums: most of them, and one string crosses threads far faster than an object each.
   */
  naturalIds: string;
  /** The part's other natural-id observations, with what each added. */
  natural: NaturalMember[];
}

export interface FoldedAggregate {
  subject: string;
  key: string;
  window: string;
  layer: Layer;
  kind: string;
  attrs: Record<string, AttrValue>;
  parts: FoldedPart[];
}

export interface PackedChunk {
  id: string;
  data: Uint8Array;
  count: number;
  firstTime: string;
  lastTime: string;
}

export interface FoldedBatch {
  observations: number;
  aggregates: FoldedAggregate[];
  /** Evidence per (subject, window), packed by the store's codec. */
  evidence: { subject: string; window: string; chunks: PackedChunk[] }[];
}

/** Packs time-sorted observations of one (subject, window) into chunks (the store's evidence codec). */
export type EvidencePacker = (observations: readonly Observation[]) => PackedChunk[];

/** Folds a batch (see aggregateBatch) into transferable data. */
export function foldBatch(
  observations: readonly Observation[],
  segments: readonly number[] | undefined,
  pack: EvidencePacker,
): FoldedBatch {
  const b = aggregateBatch(observations, segments);
  const units = b.units;
  return {
    observations: observations.length,
    aggregates: b.aggregates.map((a) => ({
      subject: a.subject,
      key: a.key,
      window: a.window,
      layer: a.layer,
      kind: a.kind,
      attrs: a.attrs,
      parts: [...a.parts].map(([seg, c]) => foldedPart(units.get(seg) as string, c)),
    })),
    evidence: [...b.evidence.values()].map((e) => ({
      subject: e.subject,
      window: e.window,
      chunks: pack(e.observations),
    })),
  };
}

function foldedPart(unit: string, c: Contribution): FoldedPart {
  const plain: string[] = [];
  const natural: NaturalMember[] = [];
  for (const o of c.members) {
    if (!hasNaturalId(o)) continue;
    const sums = summedAttrs(o);
    if (sums) natural.push({ id: idDigest(o.id), count: o.count, sums });
    else if (o.count !== 1) natural.push({ id: idDigest(o.id), count: o.count });
    else plain.push(idDigest(o.id));
  }
  return {
    unit,
    count: c.count,
    observations: c.observations,
    firstSeen: c.firstSeen,
    lastSeen: c.lastSeen,
    sources: [...c.sources],
    sums: c.sums,
    naturalIds: plain.join(''),
    natural,
  };
}

/** Every natural id digest of a part. */
export function naturalIdsOf(p: FoldedPart): string[] {
  const out: string[] = [];
  for (let i = 0; i < p.naturalIds.length; i += ID_DIGEST_CHARS) out.push(p.naturalIds.slice(i, i + ID_DIGEST_CHARS));
  for (const m of p.natural) out.push(m.id);
  return out;
}

/** The part without the natural members a store found already counted (`undefined` when none are left). */
export function withoutCounted(p: FoldedPart, counted: ReadonlySet<string>): FoldedPart | undefined {
  const out: FoldedPart = { ...p, sums: { ...p.sums }, naturalIds: '', natural: [] };
  const kept: string[] = [];
  for (let i = 0; i < p.naturalIds.length; i += ID_DIGEST_CHARS) {
    const id = p.naturalIds.slice(i, i + ID_DIGEST_CHARS);
    if (!counted.has(id)) kept.push(id);
    else {
      out.count--;
      out.observations--;
    }
  }
  out.naturalIds = kept.join('');
  for (const m of p.natural) {
    if (!counted.has(m.id)) {
      out.natural.push(m);
      continue;
    }
    out.count -= m.count;
    out.observations--;
    for (const [k, v] of Object.entries(m.sums ?? {})) if (k in out.sums) out.sums[k] = (out.sums[k] ?? 0) - v;
  }
  return out.observations > 0 ? out : undefined;
}
