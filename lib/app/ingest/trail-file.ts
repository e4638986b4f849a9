/**
 * A whole CloudTrail trail file in memory (`{"Records":[...]}` on one line, as CloudTrail writes it) parsed with one
 * JSON.parse, as a bare reader would, instead of through the record splitter (which parses it a slice at a time and
 * scans the last record character by character). Anything else, or anything that does not parse, is left to the
 * splitter, which finds the bad record and keeps the others.
 */
import type { SplitItem } from '../../core/sources/index.ts';
import { boundedJson } from '../../core/sources/util.ts';

const RECORDS_PREFIX = /^\{\s*"Records"\s*:\s*\[/;

/**
 * The records of a one-line trail file as split items (line 1, record index from 1, `value` parsed and `text`
 * serialized on demand, like the splitter's fast path), or undefined to use the splitter. `maxRecordChars` bounds the
 * whole text, so no record can exceed it.
 */
export function wholeTrailFile(text: string, maxRecordChars: number): SplitItem[] | undefined {
  if (text.length > maxRecordChars || !RECORDS_PREFIX.test(text)) return undefined;
  // Line numbers: every record is on line 1 only when no newline comes before the end.
  const nl = text.indexOf('\n');
  if (nl >= 0 && text.slice(nl).trim() !== '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const records = (parsed as { Records?: unknown }).Records;
  if (!Array.isArray(records) || Object.keys(parsed).length !== 1) return undefined;
  return records.map((value, i) => new ParsedRecord(value, i + 1));
}

/** A record parsed with its file; its text is made only when a reject needs an excerpt. */
class ParsedRecord {
  readonly kind = 'record' as const;
  readonly line = 1;
  private serialized: string | undefined;
  constructor(
    readonly value: unknown,
    readonly record: number,
  ) {}
  get text(): string {
    this.serialized ??= boundedJson(this.value);
    return this.serialized;
  }
}
