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
import {
  type AttrsFrom,
  addSums,
  contributionDigest,
  EVIDENCE_LAYERS,
  FoldCursor,
  hasNaturalId,
  keepEarliestAttrs,
  nestedMap,
  openAggregate,
  summedAttrs,
  withIsoTime,
} from './fold.ts';

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
   * Id digests (`idDigest`, ID_DIGEST_CHARS each, concatenated) of every natural-id observation of the part: one
   * string crosses threads far faster than an object each.
   */
  naturalIds: string;
  /**
   * JSON of the NaturalMember[] among them that added more than a count of 1 (a count, sums), '' when none: read
   * only when a store finds one of them already counted, so a fresh batch costs no object per observation.
   */
  natural: string;
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
  /**
   * Evidence per (subject, day), packed by the store's codec: a chunk may hold several hours of the day (its first
   * and last times say which), so a subject seen a few times an hour is not one chunk per hour. `window` is the
   * first hour seen.
   */
  evidence: { subject: string; window: string; chunks: PackedChunk[] }[];
}

/**
 * Packs one (subject, day)'s observations into chunks as they are added (the store's evidence codec): an
 * observation can be serialized and dropped at once instead of being held until its batch is written.
 */
export interface EvidenceWriter {
  add(o: Observation): void;
  finish(): PackedChunk[];
}
export type EvidenceCodec = () => EvidenceWriter;

/** A batch of rejects only. */
export const EMPTY_FOLDED: FoldedBatch = Object.freeze({ observations: 0, aggregates: [], evidence: [] });

/** Folds a whole batch (see BatchFolder). */
export function foldBatch(
  observations: readonly Observation[],
  segments: readonly number[] | undefined,
  codec: EvidenceCodec,
): FoldedBatch {
  const f = new BatchFolder(codec);
  for (let i = 0; i < observations.length; i++) f.add(observations[i] as Observation, segments?.[i] ?? 0);
  return f.take();
}

/** A part while it is folded: ids and natural members as arrays, joined when the batch is taken. */
interface PartAcc extends Omit<FoldedPart, 'unit' | 'naturalIds' | 'natural'> {
  naturalIds: string[];
  natural: NaturalMember[];
}

interface AggAcc extends Omit<FoldedAggregate, 'parts'> {
  attrsFrom: AttrsFrom;
  parts: Map<number, PartAcc>;
}

/**
 * The fold of aggregateBatch (fold.ts) done one observation at a time, into transferable data: per (subject, key,
 * hour) each segment's contribution, natural ids as digests, evidence handed to the codec's writers. The folder keeps
 * no reference to an observation once it is added (the embedded codec's writers hold a run of at most 16 to
 * stringify together), so a batch holds its aggregates and packed evidence, not its observations (a parse worker's
 * garbage collection stays in the young generation). Same results as
 * aggregateBatch: an id repeated in the batch counts once, a segment's unit is the digest of its sorted ids,
 * aggregates keep the earliest observation's attrs; evidence is in arrival order (readers sort), per subject and day.
 */
export class BatchFolder {
  private seen = new Set<string>();
  private aggregates: AggAcc[] = [];
  /** window -> subject -> key */
  private cursor = new FoldCursor<AggAcc>();
  /** day -> subject */
  private evidence = new Map<string, Map<string, { subject: string; window: string; writer: EvidenceWriter }>>();
  private unitIds = new Map<number, string[]>();
  private added = 0;
  // The previous observation's evidence writer: consecutive observations mostly share day and subject.
  private lastEvidence: EvidenceWriter | undefined;

  constructor(private readonly codec: EvidenceCodec) {}

  /** Observations added since the last `take` (repeats included, as a batch's length counts them). */
  get size(): number {
    return this.added;
  }

  add(input: Observation, segment: number): void {
    this.added++;
    if (this.seen.has(input.id)) {
      // Still part of its segment's unit (as in aggregateBatch): a unit is named by what it holds, not by what else
      // shares its batch, so the same segment ingested alone later is recognised as stored.
      this.unitId(segment, input.id);
      return;
    }
    this.seen.add(input.id);
    const o = withIsoTime(input);
    if (this.cursor.move(o)) this.lastEvidence = undefined;
    const window = this.cursor.window;
    let a = this.cursor.byKey.get(o.key);
    if (!a) {
      a = openAggregate<PartAcc>(o, window);
      this.cursor.byKey.set(o.key, a);
      this.aggregates.push(a);
    } else keepEarliestAttrs(a, o);
    let p = a.parts.get(segment);
    if (!p) {
      p = {
        count: 0,
        observations: 0,
        firstSeen: o.time,
        lastSeen: o.time,
        sources: [],
        sums: {},
        naturalIds: [],
        natural: [],
      };
      a.parts.set(segment, p);
    }
    addToPart(p, o);
    this.unitId(segment, o.id);
    if (EVIDENCE_LAYERS.has(o.layer)) {
      if (!this.lastEvidence) {
        const inDay = nestedMap(this.evidence, window.slice(0, 10));
        let e = inDay.get(o.subject);
        if (!e) {
          e = { subject: o.subject, window, writer: this.codec() };
          inDay.set(o.subject, e);
        }
        this.lastEvidence = e.writer;
      }
      this.lastEvidence.add(o);
    }
  }

  private unitId(segment: number, id: string): void {
    const ids = this.unitIds.get(segment);
    if (ids) ids.push(id);
    else this.unitIds.set(segment, [id]);
  }

  /** The folded batch of everything added since the last `take`; the folder starts empty again. */
  take(): FoldedBatch {
    const units = new Map([...this.unitIds].map(([seg, ids]) => [seg, contributionDigest({ ids })]));
    const out: FoldedBatch = {
      observations: this.added,
      aggregates: this.aggregates.map((a) => ({
        subject: a.subject,
        key: a.key,
        window: a.window,
        layer: a.layer,
        kind: a.kind,
        attrs: a.attrs,
        parts: [...a.parts].map(([seg, p]) => ({
          unit: units.get(seg) as string,
          count: p.count,
          observations: p.observations,
          firstSeen: p.firstSeen,
          lastSeen: p.lastSeen,
          sources: p.sources,
          sums: p.sums,
          naturalIds: p.naturalIds.join(''),
          natural: p.natural.length > 0 ? JSON.stringify(p.natural) : '',
        })),
      })),
      evidence: [...this.evidence.values()].flatMap((inDay) =>
        [...inDay.values()].map((e) => ({ subject: e.subject, window: e.window, chunks: e.writer.finish() })),
      ),
    };
    this.seen = new Set();
    this.aggregates = [];
    this.cursor = new FoldCursor();
    this.evidence = new Map();
    this.unitIds = new Map();
    this.added = 0;
    this.lastEvidence = undefined;
    return out;
  }
}

/** What aggregateBatch's addTo and foldBatch's natural-id split do, for one observation. */
function addToPart(p: PartAcc, o: Observation): void {
  p.count += o.count;
  p.observations++;
  if (o.time < p.firstSeen) p.firstSeen = o.time;
  if (o.time > p.lastSeen) p.lastSeen = o.time;
  if (!p.sources.includes(o.source)) p.sources.push(o.source);
  addSums(p.sums, o);
  if (!hasNaturalId(o)) return;
  const id = idDigest(o.id);
  p.naturalIds.push(id);
  const sums = summedAttrs(o);
  if (sums) p.natural.push({ id, count: o.count, sums });
  else if (o.count !== 1) p.natural.push({ id, count: o.count });
}

/** Every natural id digest of a part. */
export function naturalIdsOf(p: FoldedPart): string[] {
  const out: string[] = [];
  for (let i = 0; i < p.naturalIds.length; i += ID_DIGEST_CHARS) out.push(p.naturalIds.slice(i, i + ID_DIGEST_CHARS));
  return out;
}

/** The part without the natural members a store found already counted (`undefined` when none are left). */
export function withoutCounted(p: FoldedPart, counted: ReadonlySet<string>): FoldedPart | undefined {
  const members = new Map((p.natural ? (JSON.parse(p.natural) as NaturalMember[]) : []).map((m) => [m.id, m]));
  const out: FoldedPart = { ...p, sums: { ...p.sums } };
  const kept: string[] = [];
  for (const id of naturalIdsOf(p)) {
    if (!counted.has(id)) {
      kept.push(id);
      continue;
    }
    const m = members.get(id);
    members.delete(id);
    out.count -= m?.count ?? 1;
    out.observations--;
    for (const [k, v] of Object.entries(m?.sums ?? {})) if (k in out.sums) out.sums[k] = (out.sums[k] ?? 0) - v;
  }
  out.naturalIds = kept.join('');
  out.natural = members.size > 0 ? JSON.stringify([...members.values()]) : '';
  return out.observations > 0 ? out : undefined;
}
