/**
 * A last check on parser output before it reaches the store: the store keys items by subject, key and window and
 * compares times as ISO strings, so an observation without them would corrupt aggregates. Parsers should never
 * produce one; if they do, it is quarantined like any other bad record instead of failing the batch.
 */
import type { Observation, Reject } from '../core/observation.ts';

/** DynamoDB limits the sort key (`A#<window>#<key>`) to 1024 bytes and the partition key to 2048. */
const MAX_KEY_BYTES = 960;
const MAX_SUBJECT_BYTES = 1024;

/** Undefined when the observation is storable; otherwise a reject (without location) saying why. */
export function checkObservation(o: Observation): Omit<Reject, 'location'> | undefined {
  let why: string | undefined;
  if (typeof o.id !== 'string' || o.id === '') why = 'empty id';
  else if (typeof o.subject !== 'string' || o.subject === '') why = 'empty subject';
  else if (typeof o.key !== 'string' || o.key === '') why = 'empty key';
  else if (Buffer.byteLength(o.key) > MAX_KEY_BYTES) why = `key longer than ${MAX_KEY_BYTES} bytes`;
  else if (Buffer.byteLength(o.subject) > MAX_SUBJECT_BYTES) why = `subject longer than ${MAX_SUBJECT_BYTES} bytes`;
  else if (typeof o.time !== 'string' || Number.isNaN(Date.parse(o.time))) why = `unparseable time ${String(o.time)}`;
  else if (!Number.isFinite(o.count) || o.count < 0) why = `invalid count ${String(o.count)}`;
  if (!why) return undefined;
  return {
    source: o.source,
    reason: 'invalid-observation',
    detail: `parser produced an unstorable observation: ${why}`,
    excerpt: JSON.stringify({ id: o.id, subject: o.subject, key: o.key, time: o.time }).slice(0, 2048),
  };
}
