/**
 * Where incremental drift keeps each subject's state (lib/core/drift/incremental), as documents of the Store:
 * - `drift-state / <subject> / head`: the state but its behaviour model (versioned: two runs cannot both write it);
 * - `drift-state / <subject> / model.<A|B>.<n>`: the judgement checkpoint's model, gzipped and cut into parts, written
 *   to the slot the head does not point at, so a run stopped half-way leaves the previous model whole; it changes
 *   only when the checkpoint moves (about once a day), and a warm process keeps the last ones it read (MODEL_CACHE);
 * - `drift-rec / <subject> / <start>#<session>`: one record per session judged since the checkpoint (a session that
 *   disappears, merged into another, is left as `{ gone: true }`: the store has no delete);
 * - `drift-tl / <subject> / keys | h00..h23 | d0..d7`: the sealed window-level timeline (timeline-state.ts), stored
 *   dense (timeline-codec.ts).
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  DAY_SLOTS,
  emptyTimelineKeys,
  type TimelineDay,
  type TimelineHour,
  type TimelineKeys,
  type TimelineParts,
} from '../../core/drift/incremental/timeline-state.ts';
import type { SessionRecord, SubjectState } from '../../core/drift/incremental/types.ts';
import type { JudgeCheckpoint } from '../../core/drift/session/judge.ts';
import type { Doc, Store } from '../../ports.ts';
import {
  decodeDay,
  decodeHour,
  decodeKeys,
  encodeDay,
  encodeHour,
  encodeKeys,
  type StoredDay,
  type StoredHour,
  type StoredKeys,
} from './timeline-codec.ts';

export const STATE_DOC = 'drift-state';
export const RECORD_DOC = 'drift-rec';
export const TIMELINE_DOC = 'drift-tl';

/** Characters of base64 per model part (well under an item's 400 KB). */
const PART_CHARS = 256 * 1024;

/** The head document: the state with its model kept apart. */
interface Head extends Omit<SubjectState, 'judge'> {
  judge: Omit<JudgeCheckpoint, 'model'> & { model: { slot: 'A' | 'B'; parts: number; hash: string } };
}

/** A subject's state as loaded: the state, the head's version (0: none yet) and the model's slot. */
export interface LoadedState {
  state: SubjectState;
  version: number;
  slot: 'A' | 'B';
  hash: string;
}

/** Most models kept in memory between runs of a warm process. */
const MODEL_CACHE_SIZE = 64;
const MODEL_CACHE = new Map<string, JudgeCheckpoint['model']>();

const recordId = (r: Pick<SessionRecord, 'start' | 'id'>) => `${new Date(r.start).toISOString()}#${r.id}`;

/** Loads a subject's state (undefined when it has none). */
export async function loadState(store: Store, subject: string): Promise<LoadedState | undefined> {
  const head = await store.getDoc<Head>(STATE_DOC, subject, 'head');
  if (!head) return undefined;
  const m = head.body.judge.model;
  const cacheKey = `${store.description}\u0000${subject}\u0000${m.hash}`;
  let model = MODEL_CACHE.get(cacheKey);
  if (!model) {
    const parts = await store.listDocs<{ text: string }>(STATE_DOC, subject, {
      fromId: `model.${m.slot}.`,
      toId: `model.${m.slot}.~`,
    });
    const text = parts
      .filter((p) => Number(p.id.split('.')[2]) < m.parts)
      .sort((a, b) => Number(a.id.split('.')[2]) - Number(b.id.split('.')[2]))
      .map((p) => p.body.text)
      .join('');
    if (hashOf(text) !== m.hash) throw new Error(`drift state of ${subject}: its model parts do not match the head`);
    model = JSON.parse(gunzipSync(Buffer.from(text, 'base64')).toString('utf8')) as JudgeCheckpoint['model'];
    remember(cacheKey, model);
  }
  const { judge, ...rest } = head.body;
  return {
    state: { ...rest, judge: { ...judge, model } },
    version: head.version,
    slot: m.slot,
    hash: m.hash,
  };
}

/**
 * Saves a subject's state: the model (to the other slot) when it changed, then the head, conditioned on the version
 * loaded (a concurrent run makes this throw VersionConflictError; the subject stays dirty and is judged again).
 */
export async function saveState(store: Store, state: SubjectState, prev: LoadedState | undefined): Promise<void> {
  const { judge, ...rest } = state;
  const text = gzipSync(Buffer.from(JSON.stringify(judge.model))).toString('base64');
  const hash = hashOf(text);
  let slot = prev?.slot ?? 'B';
  let parts = Math.ceil(text.length / PART_CHARS);
  if (hash !== prev?.hash) {
    slot = slot === 'A' ? 'B' : 'A';
    for (let i = 0; i < parts; i++)
      await store.putDoc(STATE_DOC, state.subject, `model.${slot}.${i}`, {
        text: text.slice(i * PART_CHARS, (i + 1) * PART_CHARS),
      });
    remember(`${store.description}\u0000${state.subject}\u0000${hash}`, judge.model);
  } else parts = Math.ceil(text.length / PART_CHARS);
  const head: Head = { ...rest, judge: { ...judge, model: { slot, parts, hash } } };
  await store.putDoc(STATE_DOC, state.subject, 'head', head, { expectVersion: prev?.version ?? 0 });
}

function remember(key: string, model: JudgeCheckpoint['model']): void {
  MODEL_CACHE.delete(key);
  MODEL_CACHE.set(key, model);
  while (MODEL_CACHE.size > MODEL_CACHE_SIZE) MODEL_CACHE.delete(MODEL_CACHE.keys().next().value!);
}

const hashOf = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32);

/** The subject's session records from `from` on, in session order. */
export async function loadRecords(store: Store, subject: string, from: number): Promise<SessionRecord[]> {
  const docs = await store.listDocs<SessionRecord | { gone: true }>(RECORD_DOC, subject, {
    fromId: new Date(from).toISOString(),
  });
  return docs
    .map((d) => d.body)
    .filter((b): b is SessionRecord => !('gone' in b))
    .sort((a, b) => a.start - b.start || a.id.localeCompare(b.id));
}

/** Writes the records that changed, and marks the ones that are gone. Returns the number of writes. */
export async function saveRecords(
  store: Store,
  subject: string,
  before: readonly SessionRecord[],
  after: readonly SessionRecord[],
): Promise<number> {
  const old = new Map(before.map((r) => [recordId(r), JSON.stringify(r)]));
  const now = new Set(after.map(recordId));
  let writes = 0;
  for (const r of after) {
    const id = recordId(r);
    if (old.get(id) === JSON.stringify(r)) continue;
    await store.putDoc(RECORD_DOC, subject, id, r);
    writes++;
  }
  for (const id of old.keys()) {
    if (now.has(id)) continue;
    await store.putDoc(RECORD_DOC, subject, id, { gone: true });
    writes++;
  }
  return writes;
}

const hourId = (h: number) => `h${String(h).padStart(2, '0')}`;
const decodeKeysDoc = (d: Doc<StoredKeys> | undefined) => (d ? decodeKeys(d.body) : emptyTimelineKeys());
const dayId = (d: number) => `d${d % DAY_SLOTS}`;

/** Loads the timeline keys and the given hour and day parts into `parts` (a day slot holding another day is left out). */
export async function loadTimeline(
  store: Store,
  subject: string,
  want: { hours: number[]; days: number[] },
  parts?: TimelineParts,
): Promise<TimelineParts> {
  const out: TimelineParts = parts ?? {
    keys: decodeKeysDoc(await store.getDoc<StoredKeys>(TIMELINE_DOC, subject, 'keys')),
    hours: new Map(),
    days: new Map(),
  };
  const hours = want.hours.filter((h) => !out.hours.has(h));
  for (const [a, b] of ranges(hours))
    for (const d of await store.listDocs<StoredHour>(TIMELINE_DOC, subject, { fromId: hourId(a), toId: hourId(b) }))
      out.hours.set(d.body.hour, decodeHour(d.body));
  for (const day of want.days) {
    if (out.days.has(day)) continue;
    const d = await store.getDoc<StoredDay>(TIMELINE_DOC, subject, dayId(day));
    if (d?.body.day === day) out.days.set(day, decodeDay(d.body));
  }
  return out;
}

/** Contiguous ranges of ascending hours (one query each). */
function ranges(hours: number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const h of [...hours].sort((a, b) => a - b)) {
    const last = out[out.length - 1];
    if (last && last[1] === h - 1) last[1] = h;
    else out.push([h, h]);
  }
  return out;
}

/** Stores sealed timeline parts. Returns the number of writes. */
export async function saveTimeline(
  store: Store,
  subject: string,
  sealed: { keys: TimelineKeys; hours: TimelineHour[]; days: TimelineDay[] },
): Promise<number> {
  for (const h of sealed.hours) await store.putDoc(TIMELINE_DOC, subject, hourId(h.hour), encodeHour(h));
  // Only the last day written to each ring slot stays: a bootstrap seals many days.
  const lastPerSlot = new Map(sealed.days.map((d) => [d.day % DAY_SLOTS, d]));
  for (const d of lastPerSlot.values()) await store.putDoc(TIMELINE_DOC, subject, dayId(d.day), encodeDay(d));
  await store.putDoc(TIMELINE_DOC, subject, 'keys', encodeKeys(sealed.keys));
  return sealed.hours.length + lastPerSlot.size + 1;
}
