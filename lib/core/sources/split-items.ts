/**
 * What the record splitter (splitter.ts) hands out: record texts with their locations, records it already parsed
 * (the trail-file fast path), `too-large` items and their rejects; and the text scanning helpers it shares.
 */
import type { Reject, SourceName } from '../observation.ts';
import { boundedJson } from './util.ts';

export const DEFAULT_MAX_RECORD_CHARS = 5 * 1024 * 1024;

export type SplitItem =
  | { kind: 'record'; text: string; line: number; record: number; value?: unknown }
  | { kind: 'too-large'; size: number; line: number; record: number; excerpt: string };

/**
 * A record the splitter already parsed (the CloudTrail trail-file fast path below): `value` is the record, and
 * `text` is its JSON re-serialization, made only when asked (rejects' excerpts). Compact trail files serialize the
 * same way, but not byte for byte in every case (escapes, number forms), so parsers must not derive ids from `text`
 * when `value` is present.
 */
export class ParsedRecord {
  readonly kind = 'record' as const;
  private serialized: string | undefined;
  constructor(
    readonly value: unknown,
    readonly line: number,
    readonly record: number,
  ) {}
  get text(): string {
    this.serialized ??= boundedJson(this.value);
    return this.serialized;
  }
}

export type SplitFormat = 'unknown' | 'json-values' | 'json-array' | 'cloudtrail-records' | 'ndjson' | 'lines';

export interface SplitterOptions {
  /** Records longer than this (characters) become `too-large` items. Default 5 MiB. */
  maxRecordChars?: number;
}

/** The reject for a `too-large` split item. */
export function splitItemReject(
  item: Extract<SplitItem, { kind: 'too-large' }>,
  source: SourceName | 'unknown',
  file?: string,
): Reject {
  const location: Reject['location'] = { line: item.line, record: item.record };
  if (file !== undefined) location.file = file;
  return {
    source,
    reason: 'record-too-large',
    detail: `record of ${item.size} characters exceeds the limit`,
    location,
    excerpt: item.excerpt,
  };
}

/** Backslashes right before `at`: a quote after an odd run of them is escaped. */
export function backslashesBefore(s: string, at: number): number {
  let n = 0;
  for (let i = at - 1; i >= 0 && s.charCodeAt(i) === 92; i--) n++;
  return n;
}

/** Newlines in s[from, to); a bounded loop, since indexOf would scan past `to` on a long single-line input. */
export function countNewlines(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (s.charCodeAt(i) === 10) n++;
  return n;
}
