/**
 * The rows of an embedded evidence chunk (format 2): `["warden-evidence/2", {shared fields}, ...rows]`. A chunk holds
 * one subject's observations of a day, mostly from one source, so the fields they all repeat (v, subject, source,
 * layer, kind) are written once, and each observation as a row `[id, time, key, count, correlation, attrs]`: the id
 * 0 when it is `<source>:<correlation.eventId>` (CloudTrail's), the key 0 when it is the previous row's. A CloudTrail
 * observation is then about 880 bytes of JSON instead of 1,140, to stringify, copy and compress.
 *
 * An observation that does not share the header's fields (or is not of the plain shape above) is written whole, and
 * the row after it names its key again. The reader rebuilds exactly what JSON.parse(JSON.stringify(o)) gives.
 *
 * (Writing correlation and attrs as changes from the previous row cut the JSON to about 430 bytes, but the diff cost
 * as much CPU as the shorter JSON saved: stringify's cost is per property more than per byte.)
 */
import type { AttrValue, Correlation, Observation } from '../core/observation.ts';

/** First element of a format-2 chunk: no chunk written before starts with a string (theirs are observations). */
export const COMPACT_ROWS = 'warden-evidence/2';

/** The fields a chunk's observations share, taken from its first one. */
type Shared = Pick<Observation, 'v' | 'subject' | 'source' | 'layer' | 'kind'>;
type Fields = Record<string, unknown>;

/** Encodes one chunk's rows in order, each against the one before. */
export class RowEncoder {
  /** `["warden-evidence/2",{shared fields}`: the chunk's text up to its first row. */
  readonly head: string;
  private readonly shared: Shared;
  /** The previous row's key (a caller that drops rows it encoded puts back the key from before them). */
  lastKey: string | undefined;

  constructor(first: Observation) {
    this.shared = { v: first.v, subject: first.subject, source: first.source, layer: first.layer, kind: first.kind };
    this.head = `[${JSON.stringify(COMPACT_ROWS)},${JSON.stringify(this.shared)}`;
  }

  /** The row of `o` (the value to stringify), given every row before it in this chunk. */
  row(o: Observation): unknown {
    const h = this.shared;
    const c = o.correlation as unknown;
    const a = o.attrs as unknown;
    if (
      o.v !== h.v ||
      o.subject !== h.subject ||
      o.source !== h.source ||
      o.layer !== h.layer ||
      o.kind !== h.kind ||
      typeof o.id !== 'string' ||
      typeof o.time !== 'string' ||
      typeof o.key !== 'string' ||
      typeof o.count !== 'number' ||
      !isPlainObject(c) ||
      !isPlainObject(a)
    ) {
      this.lastKey = undefined;
      return o;
    }
    const e = (c as Correlation).eventId;
    const derived =
      typeof e === 'string' &&
      o.id.length === o.source.length + 1 + e.length &&
      o.id.charCodeAt(o.source.length) === 58 &&
      o.id.startsWith(o.source) &&
      o.id.endsWith(e);
    const key = o.key === this.lastKey ? 0 : o.key;
    this.lastKey = o.key;
    return [derived ? 0 : o.id, o.time, key, o.count, c, a];
  }
}

function isPlainObject(x: unknown): x is Fields {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The observations of a parsed format-2 chunk. */
export function fromCompactRows(chunk: unknown[]): Observation[] {
  const h = chunk[1] as Shared;
  const out: Observation[] = [];
  let key: string | undefined;
  for (let i = 2; i < chunk.length; i++) {
    const r = chunk[i];
    if (!Array.isArray(r)) {
      out.push(r as Observation);
      key = undefined;
      continue;
    }
    key = r[2] === 0 ? key : (r[2] as string);
    const correlation = r[4] as Correlation;
    out.push({
      v: h.v,
      id: r[0] === 0 ? `${h.source}:${correlation.eventId}` : (r[0] as string),
      time: r[1] as string,
      source: h.source,
      subject: h.subject,
      layer: h.layer,
      kind: h.kind,
      key: key as string,
      count: r[3] as number,
      correlation,
      attrs: r[5] as Record<string, AttrValue>,
    });
  }
  return out;
}
