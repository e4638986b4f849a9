/**
 * Small helpers shared by the source parsers: JSON access that never throws, time normalization, stable ids and
 * reject construction. Pure (node:crypto only).
 */
import { createHash } from 'node:crypto';
import type { Reject, SourceName } from '../observation.ts';
import type { RecordInput } from './types.ts';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

/** Max characters of raw record kept in a reject (the Reject contract says 2 KiB). */
export const EXCERPT_MAX = 2048;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A non-empty string field, else undefined (wrong types are treated as absent, never coerced). */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/**
 * A finite number within +-Number.MAX_SAFE_INTEGER, or a numeric string (flow logs and some loggers write numbers as
 * strings). Larger magnitudes are treated as absent: the store cannot hold them exactly. Fields with a meaning (bytes,
 * tokens, ports) use {@link boundedNum}, which names the field and the bound when a value is out of range.
 */
export function num(v: unknown): number | undefined {
  let n: number | undefined;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && /^-?\d{1,20}(\.\d{1,20})?$/.test(v.trim())) n = Number(v);
  return n !== undefined && Number.isFinite(n) && Math.abs(n) <= Number.MAX_SAFE_INTEGER ? n : undefined;
}

/**
 * Upper bounds of numeric fields, by meaning. Each is far above what the source can produce, and low enough that the
 * store can add thousands of them in one hourly aggregate without leaving the exact integer range.
 */
export const NUMERIC_BOUNDS = {
  port: 65_535,
  protocol: 255,
  /** Bytes of one flow record or API call: 16 TiB (100 Gbit/s for 10 minutes is 7.5 TB). */
  bytes: 2 ** 44,
  packets: 2 ** 40,
  /** Tokens of one model call. */
  tokens: 2 ** 31,
  /** Events aggregated into one record by an agent in one window. */
  count: 2 ** 40,
  /** A file size: 1 PiB. */
  size: 2 ** 50,
  /** Linux PID_MAX_LIMIT. */
  pid: 2 ** 22,
  /** uid, open flags, cgroup ids given as numbers. */
  u32: 2 ** 32 - 1,
  errno: 4095,
  /** Epoch seconds up to 2100-01-01. */
  epochSeconds: 4_102_444_800,
  /** A step or sequence number inside one trace. */
  step: 1_000_000_000,
} as const;

export type NumericCheck = { ok: true; value: number | undefined } | { ok: false; reason: string; detail: string };

/**
 * A non-negative numeric field (number or digit string) checked against `max`: absent -> `{ok, value: undefined}`;
 * not a number -> `wrong-type:<field>`; above the bound -> `out-of-range:<field>` (the record is quarantined).
 * @example boundedNum(rec.bytes, 'bytes', NUMERIC_BOUNDS.bytes)
 */
export function boundedNum(v: unknown, field: string, max: number): NumericCheck {
  if (v === undefined || v === null) return { ok: true, value: undefined };
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v)) n = Number(v);
  else return { ok: false, reason: `wrong-type:${field}`, detail: `expected a number, got ${preview(v)}` };
  if (!Number.isFinite(n) || n < 0 || n > max)
    return { ok: false, reason: `out-of-range:${field}`, detail: `${preview(v)} is outside 0..${max}` };
  return { ok: true, value: n };
}

function preview(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.slice(0, 40));
  // String() of a hostile array would recurse through every level of it.
  return typeof v === 'number' ? String(v) : typeName(v);
}

/** Nesting depth beyond which content is not walked: real AWS records and model bodies stay far below it. */
export const MAX_WALK_DEPTH = 64;

/** True when a parsed JSON value nests deeper than `max` (iterative: a hostile depth cannot overflow the stack). */
export function deeperThan(value: unknown, max = MAX_WALK_DEPTH): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, d] = stack.pop() as [unknown, number];
    if (d > max) return true;
    const children = Array.isArray(v) ? v : Object.values(v as object);
    for (const c of children) if (typeof c === 'object' && c !== null) stack.push([c, d + 1]);
  }
  return false;
}

/** Stands for a subtree cut by {@link boundedJson}. */
export const TOO_DEEP = '[too-deep]';

/**
 * JSON text of a parsed value, with subtrees below `max` levels replaced by "[too-deep]" (same text as
 * JSON.stringify for every value within the bound). Hashes and ids of hostile records stay computable and
 * deterministic instead of overflowing the stack.
 */
export function boundedJson(value: unknown, max = MAX_WALK_DEPTH): string {
  if (!deeperThan(value, max)) return JSON.stringify(value) ?? 'null';
  const cut = (v: unknown, d: number): unknown => {
    if (typeof v !== 'object' || v === null) return v;
    if (d >= max) return TOO_DEEP;
    if (Array.isArray(v)) return v.map((x) => cut(x, d + 1));
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = cut(x, d + 1);
    return out;
  };
  return JSON.stringify(cut(value, 0));
}

export function obj(v: unknown): JsonObject | undefined {
  return isObject(v) ? v : undefined;
}

/** JSON.parse that returns a value or an error message instead of throwing. */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

export function sha256(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * A few recently seen strings, to share one instance of a value that repeats from record to record. Parsers keep
 * observations until a store batch is written (ParseContext.shareStrings); a record's own copy of a repeated value (an event name, an ARN, a user
 * agent, a key) then dies young instead of being copied by every scavenge until the batch ends. A handful of `===`
 * checks costs less than hashing the string into a table (measured: a Map cost more than the GC it saved).
 */
export class RecentStrings {
  private readonly slots: string[] = [];
  private next = 0;
  constructor(private readonly size = 8) {}
  share(s: string): string {
    const slots = this.slots;
    for (let i = 0; i < slots.length; i++) if (slots[i] === s) return slots[i] as string;
    if (slots.length < this.size) slots.push(s);
    else {
      slots[this.next] = s;
      this.next = (this.next + 1) % this.size;
    }
    return s;
  }
}

/** A short stable id: `<prefix>:<first 32 hex of sha256(text)>`. */
export function hashId(prefix: string, text: string): string {
  return `${prefix}:${sha256(text).slice(0, 32)}`;
}

function twoDigits(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

let lastValidDay = '';
/**
 * True when `s` starts with a valid `YYYY-MM-DDTHH:mm:ss` (hours 00-23). The date is checked with Date.parse once per
 * distinct day (records of a file share a few days), the clock by character codes: the per-record hot path of every
 * parser and of the store's last check. False does not mean invalid, only "not this exact shape".
 */
export function isIsoSecondsPrefix(s: string): boolean {
  if (
    s.length < 19 ||
    s.charCodeAt(4) !== 45 ||
    s.charCodeAt(7) !== 45 ||
    s.charCodeAt(10) !== 84 ||
    s.charCodeAt(13) !== 58 ||
    s.charCodeAt(16) !== 58
  )
    return false;
  const h = twoDigits(s, 11);
  const m = twoDigits(s, 14);
  const sec = twoDigits(s, 17);
  if (h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 59) return false;
  const day = s.slice(0, 10);
  if (day === lastValidDay) return true;
  if (!isPlausibleDay(day)) return false;
  lastValidDay = day;
  return true;
}

/** Times before this year or from this year on are impossible for the sources Warden reads (never stored). */
export const MIN_YEAR = 1970;
export const MAX_YEAR_EXCLUSIVE = 2100;
const MAX_TIME_MS = Date.UTC(MAX_YEAR_EXCLUSIVE, 0, 1);

/**
 * `YYYY-MM-DD` names a real calendar day (2026-02-30 does not; Date.parse would roll it over to March) in
 * [1970, 2100). The core has no clock, so a time in the near future is not judged here.
 */
export function isPlausibleDay(day: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return false;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (y < MIN_YEAR || y >= MAX_YEAR_EXCLUSIVE || mo < 1 || mo > 12 || d < 1) return false;
  return d <= new Date(Date.UTC(y, mo, 0)).getUTCDate();
}

/**
 * Normalizes the timestamp shapes AWS sources write into ISO-8601 UTC with milliseconds:
 * `2024-10-17T20:09:52Z`, `...52.123456Z`, `...52+02:00`, `2025-03-26 16:43:57.000000000` (Bedrock; UTC, no zone),
 * epoch seconds or milliseconds (numbers or digit strings). Returns undefined for anything else.
 */
export function normalizeTime(v: unknown): string | undefined {
  if (typeof v === 'number' || (typeof v === 'string' && /^\d{9,13}(\.\d+)?$/.test(v))) {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) return undefined;
    const ms = n >= 1e12 ? n : n * 1000;
    if (ms >= MAX_TIME_MS) return undefined;
    const d = new Date(ms);
    return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
  }
  if (typeof v !== 'string') return undefined;
  // Fast paths for CloudTrail's usual `2026-03-02T14:05:10Z`.
  if (v.length === 20 && v.charCodeAt(19) === 90 && isIsoSecondsPrefix(v)) return `${v.slice(0, 19)}.000Z`;
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:[.,](\d+))?\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?$/.exec(
    v.trim(),
  );
  if (!m || !isPlausibleDay(m[1]!)) return undefined;
  const frac = (m[3] ?? '').slice(0, 3).padEnd(3, '0');
  let zone = m[4] ?? 'Z';
  if (zone === 'z' || zone === 'UTC') zone = 'Z';
  if (/^[+-]\d{2}$/.test(zone)) zone = `${zone}:00`;
  if (/^[+-]\d{4}$/.test(zone)) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const secs = m[2]!.length === 5 ? `${m[2]}:00` : m[2];
  const d = new Date(`${m[1]}T${secs}.${frac}${zone}`);
  // A zone offset can move a plausible local day past the bound.
  if (Number.isNaN(d.getTime()) || d.getTime() >= MAX_TIME_MS || d.getUTCFullYear() < MIN_YEAR) return undefined;
  return d.toISOString();
}

/** Builds a Reject for one record. */
export function reject(
  source: SourceName | 'unknown',
  reason: string,
  detail: string,
  input: RecordInput,
  file?: string,
): Reject {
  const location: Reject['location'] = {};
  if (file !== undefined) location.file = file;
  if (input.line !== undefined) location.line = input.line;
  if (input.record !== undefined) location.record = input.record;
  return { source, reason, detail: detail.slice(0, 300), location, excerpt: input.text.slice(0, EXCERPT_MAX) };
}

/** Type name used in `wrong-type:<field>` details. */
export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/**
 * `missing-field:<path>`, `out-of-range:<path>` (a number past its bound) or `wrong-type:<path>` for the first schema
 * issue (zod), looked up in the input value.
 */
export function schemaReason(
  issues: readonly { path: (string | number)[]; message: string; code?: string }[],
  value: unknown,
): { reason: string; detail: string } {
  const issue = issues[0];
  if (!issue) return { reason: 'invalid-record', detail: 'schema validation failed' };
  let cur: unknown = value;
  for (const p of issue.path)
    cur = typeof cur === 'object' && cur !== null ? (cur as Record<string, unknown>)[p] : undefined;
  const path = issue.path.join('.');
  if (cur === undefined) return { reason: `missing-field:${path}`, detail: issue.message };
  if (typeof cur === 'number' && (issue.code === 'too_big' || issue.code === 'too_small'))
    return { reason: `out-of-range:${path}`, detail: `${issue.message} (got ${cur})` };
  return { reason: `wrong-type:${path}`, detail: `${issue.message} (got ${typeName(cur)})` };
}
