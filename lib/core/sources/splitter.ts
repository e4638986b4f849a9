/**
 * Bounded-memory record splitter: feed decoded text chunks, get record texts with their locations.
 *
 * Usage (lib/app/ingest):
 * ```ts
 * const splitter = new RecordSplitter({ maxRecordChars: 5 * 1024 * 1024 });
 * for await (const chunk of decodedTextStream) for (const item of splitter.push(chunk)) handle(item);
 * for (const item of splitter.end()) handle(item);
 * // item.kind === 'record'    -> item.text is one record (JSON value text or one text line)
 * // item.kind === 'too-large' -> turn into a reject with splitItemReject(item, source, file)
 * ```
 *
 * Formats, recognized from the first non-blank character and the shape of what follows:
 * - `{"Records":[ ... ]}` CloudTrail trail files: each element of `Records` is a record; the wrapper is never
 *   parsed as a whole. (CloudTrail writes `Records` as the first key; a wrapper whose first key is not `Records`
 *   is handled as a single JSON object record.) Fast path: a one-line trail file is parsed a slice of records at a
 *   time (trail-fast-path.ts); those items carry the parsed `value`, and their `text` is made on demand.
 * - `[ ... ]` bare JSON arrays: each element is a record.
 * - one or more JSON values (a single object, pretty-printed or concatenated objects): each top-level value.
 * - NDJSON / JSONL: when the first top-level object fits on one line and the next starts on a later line, the
 *   rest of the input is split on newlines, so a malformed line cannot swallow the lines after it.
 * - anything else (VPC flow logs, header lines): one record per non-blank line.
 *
 * Memory: at most one record (up to `maxRecordChars`, measured in UTF-16 characters of decoded text, which equals
 * bytes for ASCII JSON) plus the current chunk is held. A longer record is scanned to its end without being kept
 * and reported as a `too-large` item. A truncated input yields its partial last record as text (the parser rejects
 * it as invalid JSON).
 */
import {
  backslashesBefore,
  countNewlines,
  DEFAULT_MAX_RECORD_CHARS,
  ParsedRecord,
  type SplitFormat,
  type SplitItem,
  type SplitterOptions,
} from './split-items.ts';
import { TrailFastPath } from './trail-fast-path.ts';
import { EXCERPT_MAX } from './util.ts';

export {
  DEFAULT_MAX_RECORD_CHARS,
  type SplitFormat,
  type SplitItem,
  type SplitterOptions,
  splitItemReject,
} from './split-items.ts';

const RECORDS_PREFIX = /^\{\s*"Records"\s*:\s*\[/;
const VALUE_START = /[^\s,:]/g;
/** Blank characters looked past after a newline when deciding whether the next line starts a record. */
const LOOKAHEAD = 64;
const SCALAR_END = /[\s,\]}]/g;

export class RecordSplitter {
  private readonly max: number;
  private buf = '';
  private pos = 0;
  private mode: 'detect' | 'json' | 'lines' = 'detect';
  private fmt: SplitFormat = 'unknown';
  private line = 1;
  /** Lines mode: buffer index up to which no newline was found (relative to the current buffer). */
  private lineScanned = 0;
  private records = 0;
  // JSON scanning state
  private depth = 0;
  private elementDepth = 0;
  private inString = false;
  private recStart = -1;
  private recLine = 1;
  private recNewline = false;
  private recKind: 'container' | 'string' | 'scalar' | 'junk' = 'container';
  private lastSingleLine = false;
  private newlineSince = false;
  // oversize state: the current record is being scanned but not kept
  private oversize = false;
  private oversizeChars = 0;
  private oversizeExcerpt = '';
  /** Trail-file fast path (trail-fast-path.ts). */
  private readonly fast = new TrailFastPath();
  // newlineIn's memo: the first newline at or after nlFrom (-1: none before nlTo). Reset when the buffer shifts.
  private nlFrom = 0;
  private nlAt = -1;
  private nlTo = 0;

  constructor(opts: SplitterOptions = {}) {
    this.max = opts.maxRecordChars ?? DEFAULT_MAX_RECORD_CHARS;
  }

  /** The input format recognized so far. */
  get format(): SplitFormat {
    return this.fmt;
  }

  push(chunk: string): SplitItem[] {
    this.buf += chunk;
    this.fast.resume();
    const out: SplitItem[] = [];
    this.scan(out, false);
    this.compact();
    return out;
  }

  end(): SplitItem[] {
    const out: SplitItem[] = [];
    this.scan(out, true);
    if (this.mode === 'lines') {
      if (this.oversize) this.emitTooLarge(out, this.oversizeChars + (this.buf.length - this.pos));
      else {
        const rest = this.buf.slice(this.pos).replace(/\r$/, '');
        if (rest.trim() !== '') this.emitRecord(out, rest, this.line);
      }
    } else if (this.mode === 'json' && this.recStart >= 0) {
      if (this.oversize) this.emitTooLarge(out, this.oversizeChars + (this.buf.length - this.recStart));
      else {
        const rest = this.buf.slice(this.recStart);
        if (rest.trim() !== '') this.emitRecord(out, rest, this.recLine);
      }
      this.recStart = -1;
    }
    this.buf = '';
    this.pos = 0;
    return out;
  }

  private emitRecord(out: SplitItem[], text: string, line: number): void {
    this.records++;
    out.push({ kind: 'record', text, line, record: this.records });
  }

  private emitTooLarge(out: SplitItem[], size: number): void {
    this.records++;
    out.push({ kind: 'too-large', size, line: this.recLine, record: this.records, excerpt: this.oversizeExcerpt });
    this.oversize = false;
    this.oversizeChars = 0;
    this.oversizeExcerpt = '';
  }

  /** Drops consumed text; while a record is open keeps it, unless it is already too large. */
  private compact(): void {
    this.nlFrom = 0;
    this.nlAt = -1;
    this.nlTo = 0;
    if (this.mode === 'lines') {
      if (!this.oversize && this.buf.length - this.pos > this.max) {
        this.oversize = true;
        this.recLine = this.line;
        this.oversizeExcerpt = this.buf.slice(this.pos, this.pos + EXCERPT_MAX);
      }
      if (this.oversize) {
        this.oversizeChars += this.buf.length - this.pos;
        this.buf = '';
        this.pos = 0;
        this.lineScanned = 0;
        return;
      }
      this.lineScanned = Math.max(0, this.lineScanned - this.pos);
      this.buf = this.buf.slice(this.pos);
      this.pos = 0;
      return;
    }
    if (this.mode !== 'json') return;
    if (this.recStart < 0) {
      this.buf = this.buf.slice(this.pos);
      this.pos = 0;
      return;
    }
    if (!this.oversize && this.pos - this.recStart > this.max) {
      this.oversize = true;
      this.oversizeExcerpt = this.buf.slice(this.recStart, this.recStart + EXCERPT_MAX);
    }
    if (this.oversize) {
      this.oversizeChars += this.pos - this.recStart;
      this.buf = this.buf.slice(this.pos);
      this.recStart = 0;
      this.pos = 0;
      return;
    }
    this.buf = this.buf.slice(this.recStart);
    this.pos -= this.recStart;
    this.recStart = 0;
  }

  private scan(out: SplitItem[], ended: boolean): void {
    if (this.mode === 'detect') {
      const m = /[^\s\uFEFF]/.exec(this.buf.slice(this.pos));
      if (!m) return;
      this.line += countNewlines(this.buf, this.pos, this.pos + m.index);
      this.pos += m.index;
      const c = m[0];
      this.mode = c === '{' || c === '[' ? 'json' : 'lines';
      if (this.mode === 'lines') this.fmt = 'lines';
    }
    if (this.mode === 'json') this.scanJson(out, ended);
    if (this.mode === 'lines') this.scanLines(out);
  }

  private scanLines(out: SplitItem[]): void {
    const buf = this.buf;
    for (;;) {
      // Resume the newline search where the previous chunk ended, not at the line start (long lines, small chunks).
      const nl = buf.indexOf('\n', Math.max(this.pos, this.lineScanned));
      if (nl < 0) {
        this.lineScanned = buf.length;
        return;
      }
      this.lineScanned = 0;
      if (this.oversize) {
        this.emitTooLarge(out, this.oversizeChars + (nl - this.pos));
      } else if (nl - this.pos > this.max) {
        this.recLine = this.line;
        this.oversizeExcerpt = buf.slice(this.pos, this.pos + EXCERPT_MAX);
        this.emitTooLarge(out, nl - this.pos);
      } else {
        const text = buf.slice(this.pos, nl).replace(/\r$/, '');
        if (text.trim() !== '') this.emitRecord(out, text, this.line);
      }
      this.line++;
      this.pos = nl + 1;
    }
  }

  private scanJson(out: SplitItem[], ended: boolean): void {
    const buf = this.buf;
    while (this.pos < buf.length) {
      if (this.inString) {
        // indexOf is far faster than a regex here; an escaped quote has an odd run of backslashes before it.
        let q = buf.indexOf('"', this.pos);
        while (q >= 0 && backslashesBefore(buf, q) % 2 === 1) q = buf.indexOf('"', q + 1);
        if (this.recStart >= 0 && this.recKind === 'container') {
          // JSON strings hold no raw newline: one here means the record's line was cut inside a string.
          const nl = this.newlineIn(this.pos, q < 0 ? buf.length : q);
          const opens = nl >= 0 ? this.nextLineOpensObject(nl) : false;
          if (opens === undefined && !ended) {
            this.pos = nl; // whether the next line starts a record is known with the next chunk
            return;
          }
          if (opens) {
            this.inString = false;
            this.pos = nl;
            this.depth = this.elementDepth;
            this.closeRecord(out, nl);
            continue;
          }
        }
        if (q < 0) {
          // Keep a trailing backslash run in the buffer: the next chunk's first quote may be the one it escapes.
          this.pos = buf.length - backslashesBefore(buf, buf.length);
          if (ended) this.pos = buf.length;
          return;
        }
        this.inString = false;
        this.pos = q + 1;
        if (this.recStart >= 0 && this.recKind === 'string') this.closeRecord(out, this.pos);
        continue;
      }
      if (this.recStart >= 0 && this.recKind === 'junk') {
        const nl = buf.indexOf('\n', this.pos);
        if (nl < 0) {
          this.pos = buf.length;
          return;
        }
        this.pos = nl;
        this.closeRecord(out, nl);
        continue;
      }
      if (this.recStart >= 0 && this.recKind === 'scalar') {
        SCALAR_END.lastIndex = this.pos;
        const m = SCALAR_END.exec(buf);
        if (!m) {
          this.pos = buf.length;
          return;
        }
        this.pos = m.index;
        this.closeRecord(out, this.pos);
        continue;
      }
      if (this.recStart < 0 && this.depth === this.elementDepth) {
        // Between records: find where the next value starts.
        VALUE_START.lastIndex = this.pos;
        const m = VALUE_START.exec(buf);
        const stop = m ? m.index : buf.length;
        const nls = countNewlines(buf, this.pos, stop);
        if (nls > 0) {
          this.line += nls;
          this.newlineSince = true;
        }
        this.pos = stop;
        if (!m) return;
        const c = m[0];
        if (
          this.elementDepth === 0 &&
          this.fmt === 'json-values' &&
          this.records > 0 &&
          this.lastSingleLine &&
          this.newlineSince
        ) {
          this.mode = 'lines';
          this.fmt = 'ndjson';
          this.scanLines(out);
          return;
        }
        if (c === '{' && this.elementDepth === 2 && this.fast.ready) {
          const slice = this.fast.take(buf, this.pos, this.max);
          if (slice) {
            for (const value of slice.values) {
              this.records++;
              out.push(new ParsedRecord(value, this.line, this.records));
            }
            this.pos = slice.end;
            continue;
          }
        }
        if (c === '{' && this.elementDepth === 0) {
          if (buf.length - this.pos < 64 && !ended) return; // wait for enough text to see a Records wrapper
          const w = RECORDS_PREFIX.exec(buf.slice(this.pos, this.pos + 256));
          if (w) {
            this.fmt = 'cloudtrail-records';
            this.line += countNewlines(w[0], 0, w[0].length);
            this.depth = 2;
            this.elementDepth = 2;
            this.pos += w[0].length;
            continue;
          }
        }
        if (c === '[' && this.elementDepth === 0 && this.fmt === 'unknown') {
          this.fmt = 'json-array';
          this.depth = 1;
          this.elementDepth = 1;
          this.pos++;
          continue;
        }
        if ((c === ']' || c === '}') && this.elementDepth > 0) {
          // The wrapper array closes; skip the rest of the wrapper (depth > elementDepth below) until depth 0.
          this.depth--;
          this.elementDepth = 0;
          this.pos++;
          continue;
        }
        if (this.fmt === 'unknown') this.fmt = 'json-values';
        this.recStart = this.pos;
        this.recLine = this.line;
        this.recNewline = false;
        if (c === '{' || c === '[') {
          this.recKind = 'container';
          this.depth++;
          this.pos++;
        } else if (c === '"') {
          this.recKind = 'string';
          this.inString = true;
          this.pos++;
        } else if (c === '}' || c === ']') {
          // A stray closer at top level: the rest of the line is junk for the parser to reject.
          this.recKind = 'junk';
          this.pos++;
        } else {
          this.recKind = 'scalar';
        }
        continue;
      }
      // Inside a record, or in the tail of a wrapper being skipped.
      // A charCodeAt loop beats a regex exec here: the gaps between structural characters are short.
      let i = this.pos;
      const n = buf.length;
      let c = 0;
      for (; i < n; i++) {
        c = buf.charCodeAt(i);
        if (c === 34 || c === 123 || c === 125 || c === 91 || c === 93 || c === 10) break;
      }
      if (i >= n) {
        this.pos = n;
        return;
      }
      if (c === 10 && this.brokenAtNewline(i)) {
        // The open record is a malformed line: it ends here, and the line after it starts a record of its own.
        this.pos = i;
        this.depth = this.elementDepth;
        this.closeRecord(out, i);
        continue;
      }
      if (c === 10 && this.recStart >= 0 && !ended && this.nextLineOpensObject(i) === undefined) {
        this.pos = i; // whether the next line starts a record is known with the next chunk
        return;
      }
      this.pos = i + 1;
      switch (c) {
        case 10:
          this.line++;
          this.recNewline = true;
          break;
        case 34:
          this.inString = true;
          break;
        case 123:
        case 91:
          this.depth++;
          break;
        default:
          this.depth--;
          if (this.recStart >= 0 && this.depth <= this.elementDepth) {
            this.depth = this.elementDepth;
            this.closeRecord(out, this.pos);
          } else if (this.depth < 0) this.depth = 0;
      }
    }
  }

  /**
   * True when the newline at `nl` ends a malformed record rather than continuing a multi-line one. The next line must
   * start at column 0 with `{`, and either the record is the file's first top-level value (an NDJSON file whose first
   * line is cut: pretty-printed JSON does not put a `{` at column 0 of its second line), or the open record is an
   * object with no nested container open and the last token is not a `:`, where valid JSON needs a key next.
   */
  private brokenAtNewline(nl: number): boolean {
    const buf = this.buf;
    if (this.recStart < 0 || this.recKind !== 'container' || buf.charCodeAt(this.recStart) !== 123) return false;
    if (this.nextLineOpensObject(nl) !== true) return false;
    if (this.elementDepth === 0 && this.records === 0 && !this.recNewline) return true;
    if (this.depth !== this.elementDepth + 1) return false;
    let prev = nl - 1;
    while (prev > this.recStart && /\s/.test(buf[prev] as string)) prev--;
    return buf.charCodeAt(prev) !== 58;
  }

  /**
   * The next non-blank line after the newline at `nl` starts at column 0 with `{` (blank lines between are skipped,
   * up to a short lookahead). Undefined when the buffer ends before that is known.
   */
  private nextLineOpensObject(nl: number): boolean | undefined {
    const buf = this.buf;
    const end = Math.min(buf.length, nl + 1 + LOOKAHEAD);
    let lineStart = nl + 1;
    for (let j = nl + 1; j < end; j++) {
      const c = buf.charCodeAt(j);
      if (c === 10) lineStart = j + 1;
      else if (c !== 13 && c !== 32 && c !== 9) return c === 123 && /^\r?$/.test(buf.slice(lineStart, j));
    }
    return end < nl + 1 + LOOKAHEAD ? undefined : false;
  }

  /**
   * The first newline in buf[from, to), or -1. Remembers the last answer, so asking once per string of a long
   * single-line record scans the line once, not once per string.
   */
  private newlineIn(from: number, to: number): number {
    if (from < this.nlFrom || (this.nlAt < 0 && to > this.nlTo) || (this.nlAt >= 0 && from > this.nlAt)) {
      const start = this.nlAt < 0 && from >= this.nlFrom ? Math.max(from, this.nlTo) : from;
      this.nlFrom = from;
      this.nlAt = this.buf.indexOf('\n', start);
      this.nlTo = this.buf.length;
    }
    return this.nlAt >= 0 && this.nlAt < to ? this.nlAt : -1;
  }

  private closeRecord(out: SplitItem[], end: number): void {
    if (this.oversize) this.emitTooLarge(out, this.oversizeChars + (end - this.recStart));
    else if (end - this.recStart > this.max) {
      this.oversizeExcerpt = this.buf.slice(this.recStart, Math.min(end, this.recStart + EXCERPT_MAX));
      this.emitTooLarge(out, end - this.recStart);
    } else {
      const text = this.buf.slice(this.recStart, end);
      if (!this.fast.learned) this.fast.learn(text, this.fmt === 'cloudtrail-records');
      this.emitRecord(out, text, this.recLine);
    }
    this.lastSingleLine = !this.recNewline;
    this.newlineSince = false;
    this.recStart = -1;
  }
}

/** Splits a whole text in memory (small inputs, tests). */
export function splitText(text: string, opts?: SplitterOptions): { items: SplitItem[]; format: SplitFormat } {
  const s = new RecordSplitter(opts);
  const items = [...s.push(text), ...s.end()];
  return { items, format: s.format };
}
