/**
 * A last check on parser output before it reaches the store: the store keys items by subject, key and window and
 * compares times as ISO strings, so an observation without them would corrupt aggregates. Parsers should never
 * produce one; if they do, it is quarantined like any other bad record instead of failing the batch.
 */
import type { Observation, Reject } from '../../core/observation.ts';
import { isIsoSecondsPrefix, NUMERIC_BOUNDS } from '../../core/sources/util.ts';

/**
 * `YYYY-MM-DDTHH:mm:ss.sssZ` on a real calendar day in [1970, 2100), as parsers write it (checked without
 * Date.parse: this runs per observation).
 */
function isNormalizedTime(t: string): boolean {
  return t.length === 24 && t.charCodeAt(19) === 46 && t.charCodeAt(23) === 90 && isIsoSecondsPrefix(t);
}

/** DynamoDB limits the sort key (`A#<window>#<key>`) to 1024 bytes and the partition key to 2048. */
const MAX_KEY_BYTES = 960;
const MAX_SUBJECT_BYTES = 1024;

/**
 * The first numeric attribute the store cannot hold exactly (lib-dynamodb refuses numbers past
 * Number.MAX_SAFE_INTEGER, and one such number would fail the whole write batch), else undefined.
 */
function unsafeNumber(attrs: Observation['attrs']): string | undefined {
  // No array per attribute: this runs for every attribute of every observation.
  for (const k in attrs) {
    const v = attrs[k];
    if (typeof v === 'number') {
      if (!isSafe(v)) return `attribute ${k} = ${v} is not a safe number`;
    } else if (Array.isArray(v))
      for (const x of v) if (typeof x === 'number' && !isSafe(x)) return `attribute ${k} = ${x} is not a safe number`;
  }
  return undefined;
}

const isSafe = (x: number) => Number.isFinite(x) && Math.abs(x) <= Number.MAX_SAFE_INTEGER;

/** Undefined when the observation is storable; otherwise a reject (without location) saying why. */
export function checkObservation(o: Observation): Omit<Reject, 'location'> | undefined {
  let why: string | undefined;
  if (typeof o.id !== 'string' || o.id === '') why = 'empty id';
  else if (typeof o.subject !== 'string' || o.subject === '') why = 'empty subject';
  else if (typeof o.key !== 'string' || o.key === '') why = 'empty key';
  // A UTF-16 unit is at most 3 UTF-8 bytes, so short strings need no byte count (the common case).
  else if (o.key.length * 3 > MAX_KEY_BYTES && Buffer.byteLength(o.key) > MAX_KEY_BYTES)
    why = `key longer than ${MAX_KEY_BYTES} bytes`;
  else if (o.subject.length * 3 > MAX_SUBJECT_BYTES && Buffer.byteLength(o.subject) > MAX_SUBJECT_BYTES)
    why = `subject longer than ${MAX_SUBJECT_BYTES} bytes`;
  else if (typeof o.time !== 'string' || !isNormalizedTime(o.time)) why = `impossible time ${String(o.time)}`;
  else if (!Number.isFinite(o.count) || o.count < 0 || o.count > NUMERIC_BOUNDS.count)
    why = `invalid count ${String(o.count)}`;
  else why = unsafeNumber(o.attrs);
  if (!why) return undefined;
  return {
    source: o.source,
    reason: 'invalid-observation',
    detail: `parser produced an unstorable observation: ${why}`,
    excerpt: JSON.stringify({ id: o.id, subject: o.subject, key: o.key, time: o.time }).slice(0, 2048),
  };
}
