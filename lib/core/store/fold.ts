/**
 * The aggregation fold of one write batch: observations folded per (subject, key, hourly window), each idempotency
 * unit's contribution kept apart, evidence grouped per (subject, window). Pure; every store turns the result into its
 * own writes (docs/data-model.md).
 */
import type { AttrValue, Layer, Observation, SourceName } from '../observation.ts';
import { digest } from './digest.ts';

/**
 * Sources whose observation ids are natural event ids that can reach Warden by two delivery paths (CloudTrail's
 * eventID: EventBridge and the trail file; Bedrock invocation logs' requestId: CloudWatch Logs and S3). Stores count
 * such an id once whatever unit it arrives in; other sources have one delivery path and are idempotent per unit.
 */
export const NATURAL_ID_SOURCES: ReadonlySet<SourceName> = new Set<SourceName>(['cloudtrail', 'bedrock-invocation']);

/** Numeric attributes summed into an aggregate's `sums` (volumes, not identifiers like ports or pids). */
export const SUMMED_ATTR = /bytes|packets|tokens?|records|count$|duration|latency/i;
const summedNames = new Map<string, boolean>();
function isSummed(name: string): boolean {
  let r = summedNames.get(name);
  if (r === undefined) {
    r = SUMMED_ATTR.test(name);
    if (summedNames.size < 10_000) summedNames.set(name, r);
  }
  return r;
}

/** At most this many summed attributes per aggregate, so items stay small whatever a source emits. */
export const MAX_SUMS = 16;
/** The first observation's attrs are kept on the aggregate only up to this serialized size. */
export const MAX_ATTRS_BYTES = 4096;

/** What one idempotency unit (segment) contributes to one aggregate. */
export interface Contribution {
  count: number;
  /** Number of observations folded in (count is the behavior count, which a record may carry > 1). */
  observations: number;
  firstSeen: string;
  lastSeen: string;
  sources: Set<SourceName>;
  sums: Record<string, number>;
  ids: string[];
  /** The observations folded in (references), so a store can re-fold the part without ids it already counted. */
  members: Observation[];
}

export interface PendingAggregate {
  subject: string;
  key: string;
  window: string;
  layer: Layer;
  kind: string;
  /** Contributions by segment; each is stored (or recognised as already stored) as a whole. */
  parts: Map<number, Contribution>;
  attrs: Record<string, AttrValue>;
  attrsFrom: AttrsFrom;
}

/**
 * Time and id of the observation whose attrs an aggregate keeps (earliest successful, else earliest, ties by id, so
 * batching does not matter), and whether its call failed (isFailedCall).
 */
export interface AttrsFrom {
  time: string;
  id: string;
  failed: boolean;
}

export interface BatchAggregation {
  aggregates: PendingAggregate[];
  /**
   * Each segment's unit digest: the digest of the segment's sorted observation ids. A store records, per aggregate
   * (and, in the DynamoDB store, per pack with its subject tally), which units it holds, so a unit is applied once and a replay is told apart from another
   * unit that happens to bring the same events to one aggregate.
   */
  units: Map<number, string>;
  /** Evidence per `${subject}\u0000${window}`: distinct observations, sorted by time then id. */
  evidence: Map<string, { subject: string; window: string; observations: Observation[] }>;
  /** Observations dropped because their id repeated inside the batch. */
  repeated: number;
}

/** Layers kept as individual evidence; kernel events are too many and are kept only as aggregates. */
export const EVIDENCE_LAYERS: ReadonlySet<Layer> = new Set<Layer>(['application', 'tool', 'cloud-api', 'network']);

/**
 * Folds a batch per (subject, key, window), keeping each segment's contribution apart.
 * @param segments `segments[i]` is the idempotency unit of `observations[i]`; absent = one unit for the batch.
 */
export function aggregateBatch(observations: readonly Observation[], segments?: readonly number[]): BatchAggregation {
  // Nested maps (window -> subject -> key) instead of one map on concatenated keys: no key string is built per
  // observation, and a batch repeats few windows and subjects.
  const cursor = new FoldCursor<PendingAggregate>();
  const aggregates: PendingAggregate[] = [];
  const evidenceByWindow = new Map<
    string,
    Map<string, { subject: string; window: string; observations: Observation[] }>
  >();
  const seen = new Set<string>();
  /** Per segment, the ids dropped because an earlier segment of the batch held them. */
  const repeats = new Map<number, string[]>();
  let repeated = 0;
  let lastEvidence: { subject: string; window: string; observations: Observation[] } | undefined;
  for (let i = 0; i < observations.length; i++) {
    let o = observations[i] as Observation;
    // The same id twice in one batch is one event delivered twice (e.g. overlapping S3 and EventBridge copies).
    if (seen.has(o.id)) {
      repeated++;
      // Still part of its segment's digest: a unit is named by what it holds, not by what else shares its batch, so
      // the same segment ingested alone later is recognised as stored.
      const seg = segments?.[i] ?? 0;
      const list = repeats.get(seg);
      if (list) list.push(o.id);
      else repeats.set(seg, [o.id]);
      continue;
    }
    seen.add(o.id);
    o = withIsoTime(o);
    if (cursor.move(o)) lastEvidence = undefined;
    const window = cursor.window;
    let a = cursor.byKey.get(o.key);
    if (!a) {
      a = openAggregate<Contribution>(o, window);
      cursor.byKey.set(o.key, a);
      aggregates.push(a);
    } else keepEarliestAttrs(a, o);
    const seg = segments?.[i] ?? 0;
    let c = a.parts.get(seg);
    if (!c) {
      c = emptyContribution(o.time);
      a.parts.set(seg, c);
    }
    addTo(c, o);
    if (EVIDENCE_LAYERS.has(o.layer)) {
      if (!lastEvidence) {
        const inWindow = nestedMap(evidenceByWindow, window);
        lastEvidence = inWindow.get(o.subject);
        if (!lastEvidence) {
          lastEvidence = { subject: o.subject, window, observations: [] };
          inWindow.set(o.subject, lastEvidence);
        }
      }
      lastEvidence.observations.push(o);
    }
  }
  const unitIds = new Map<number, string[]>();
  for (const a of aggregates)
    for (const [seg, c] of a.parts) {
      const list = unitIds.get(seg);
      if (list) for (const id of c.ids) list.push(id);
      else unitIds.set(seg, [...c.ids, ...(repeats.get(seg) ?? [])]);
    }
  const units = new Map([...unitIds].map(([seg, ids]) => [seg, contributionDigest({ ids })]));
  const evidence: BatchAggregation['evidence'] = new Map();
  for (const inWindow of evidenceByWindow.values())
    for (const e of inWindow.values()) {
      e.observations.sort(byTimeThenId);
      evidence.set(`${e.subject}\u0000${e.window}`, e);
    }
  return { aggregates, units, evidence, repeated };
}

function emptyContribution(time: string): Contribution {
  return {
    count: 0,
    observations: 0,
    firstSeen: time,
    lastSeen: time,
    sources: new Set(),
    sums: {},
    ids: [],
    members: [],
  };
}

function addTo(c: Contribution, o: Observation): void {
  c.count += o.count;
  c.observations++;
  if (o.time < c.firstSeen) c.firstSeen = o.time;
  if (o.time > c.lastSeen) c.lastSeen = o.time;
  c.sources.add(o.source);
  addSums(c.sums, o);
  c.ids.push(o.id);
  c.members.push(o);
}

/** Adds the observation's summed attributes (at most MAX_SUMS names) to `sums`. */
export function addSums(sums: Record<string, number>, o: Observation): void {
  for (const name in o.attrs) {
    const v = o.attrs[name];
    if (typeof v !== 'number' || !Number.isFinite(v) || !isSummed(name)) continue;
    if (!(name in sums) && Object.keys(sums).length >= MAX_SUMS) continue;
    sums[name] = (sums[name] ?? 0) + v;
  }
}

/** The observation with its time as `YYYY-MM-DDTHH:mm:ss.sssZ` (the pipeline validated it). */
export function withIsoTime(o: Observation): Observation {
  // First/last seen are compared as strings, which needs one ISO format.
  return o.time.length !== 24 || o.time[23] !== 'Z' ? { ...o, time: new Date(o.time).toISOString() } : o;
}

/**
 * Whether attrs record a call that failed (`errorCode`, as CloudTrail and Bedrock invocation logs name it). An
 * aggregate's attrs stand for its key in the hour, and readers judge a key by them (a failed call is an attempt, not
 * exercised scope: lib/core/reconcile/iam-rules.ts), so a failed call stands for the key only while no call of it
 * succeeded: one NoSuchKey before a thousand reads must not make s3:GetObject look unused.
 */
export function isFailedCall(attrs: Readonly<Record<string, unknown>>): boolean {
  return typeof attrs.errorCode === 'string' && attrs.errorCode !== '';
}

/**
 * Whether a store that holds `current` as an aggregate's attrs takes `incoming` instead: only a successful call's in
 * place of a failed one's (otherwise the first write keeps its attrs).
 */
export function takesAttrs(current: Readonly<Record<string, unknown>>, incoming: Readonly<Record<string, unknown>>) {
  return isFailedCall(current) && !isFailedCall(incoming);
}

/**
 * An aggregate keeps the attrs of its earliest successful observation, else of its earliest one (ties by id), so
 * batching does not matter within a batch; see isFailedCall.
 */
export function keepEarliestAttrs(a: { attrs: Record<string, AttrValue>; attrsFrom: AttrsFrom }, o: Observation): void {
  const failed = isFailedCall(o.attrs);
  const earlier = o.time < a.attrsFrom.time || (o.time === a.attrsFrom.time && o.id < a.attrsFrom.id);
  if (failed === a.attrsFrom.failed ? earlier : a.attrsFrom.failed) {
    a.attrs = boundedAttrs(o.attrs);
    a.attrsFrom = { time: o.time, id: o.id, failed };
  }
}

/**
 * Where consecutive observations of a batch fold to: their hour window (times are normalized ISO here, so the hour is
 * a string prefix) and the (window, subject) map of aggregates by key. Consecutive observations mostly share hour,
 * window and subject, so the previous lookups are reused (hot path). Shared by aggregateBatch and BatchFolder.
 */
export class FoldCursor<A> {
  /** window -> subject -> key */
  readonly byWindow = new Map<string, Map<string, Map<string, A>>>();
  window = '';
  byKey = new Map<string, A>();
  private hourPrefix = '';
  private lastWindow = '';
  private lastSubject = '';

  /** Moves to `o`'s window and subject; true when they differ from the previous observation's. */
  move(o: Observation): boolean {
    if (this.hourPrefix === '' || !o.time.startsWith(this.hourPrefix)) {
      this.hourPrefix = o.time.slice(0, 14);
      this.window = `${o.time.slice(0, 13)}:00:00.000Z`;
    }
    if (this.window === this.lastWindow && o.subject === this.lastSubject) return false;
    this.byKey = nestedMap(nestedMap(this.byWindow, this.window), o.subject);
    this.lastWindow = this.window;
    this.lastSubject = o.subject;
    return true;
  }
}

/** The aggregate `o` opens in `window`, with no parts yet. */
export function openAggregate<P>(o: Observation, window: string) {
  return {
    subject: o.subject,
    key: o.key,
    window,
    layer: o.layer,
    kind: o.kind,
    attrs: boundedAttrs(o.attrs),
    attrsFrom: { time: o.time, id: o.id, failed: isFailedCall(o.attrs) },
    parts: new Map<number, P>(),
  };
}

/** The inner map of `m` at `k`, created when missing. */
export function nestedMap<V>(m: Map<string, Map<string, V>>, k: string): Map<string, V> {
  let inner = m.get(k);
  if (!inner) {
    inner = new Map();
    m.set(k, inner);
  }
  return inner;
}

/** A contribution folded from `members` (e.g. a part without the natural ids a store already counted). */
export function refold(members: readonly Observation[]): Contribution | undefined {
  const first = members[0];
  if (!first) return undefined;
  const c = emptyContribution(first.time);
  for (const o of members) addTo(c, o);
  return c;
}

/** The numeric attributes of one observation that aggregates sum (undefined when none). */
export function summedAttrs(o: Observation): Record<string, number> | undefined {
  let out: Record<string, number> | undefined;
  for (const name in o.attrs) {
    const v = o.attrs[name];
    if (typeof v !== 'number' || !Number.isFinite(v) || !isSummed(name)) continue;
    out ??= {};
    out[name] = v;
  }
  return out;
}

/** True when the observation's id is a natural event id (see NATURAL_ID_SOURCES). */
export function hasNaturalId(o: Pick<Observation, 'source'>): boolean {
  return NATURAL_ID_SOURCES.has(o.source);
}

export function byTimeThenId(x: Observation, y: Observation): number {
  return x.time < y.time ? -1 : x.time > y.time ? 1 : x.id < y.id ? -1 : 1;
}

/**
 * The digest of a set of observation ids (a unit's): the same set always gives the same digest, so a replayed
 * segment is recognised whatever the order of its records and whatever else shares its batch.
 */
export function contributionDigest(c: Pick<Contribution, 'ids'>): string {
  return digest([...c.ids].sort());
}

/** Sum of several contributions (for one UpdateItem). */
export function combine(parts: readonly Contribution[]): Contribution {
  const out: Contribution = {
    count: 0,
    observations: 0,
    firstSeen: '\uffff',
    lastSeen: '',
    sources: new Set(),
    sums: {},
    ids: [],
    members: [],
  };
  for (const c of parts) {
    out.count += c.count;
    out.observations += c.observations;
    if (c.firstSeen < out.firstSeen) out.firstSeen = c.firstSeen;
    if (c.lastSeen > out.lastSeen) out.lastSeen = c.lastSeen;
    for (const s of c.sources) out.sources.add(s);
    for (const [k, v] of Object.entries(c.sums)) {
      if (!(k in out.sums) && Object.keys(out.sums).length >= MAX_SUMS) continue;
      out.sums[k] = (out.sums[k] ?? 0) + v;
    }
  }
  return out;
}

/** Keeps attrs whole when small; otherwise only the scalar ones that fit, so one odd record cannot bloat an item. */
export function boundedAttrs(attrs: Record<string, AttrValue>): Record<string, AttrValue> {
  if (JSON.stringify(attrs).length <= MAX_ATTRS_BYTES) return attrs;
  const out: Record<string, AttrValue> = {};
  let size = 2;
  for (const [k, v] of Object.entries(attrs)) {
    if (v !== null && typeof v === 'object') continue;
    const s = JSON.stringify(v).length + k.length + 4;
    if (size + s > MAX_ATTRS_BYTES) continue;
    out[k] = v;
    size += s;
  }
  return out;
}
