/**
 * Trail-file fast path of the record splitter. CloudTrail writes `{"Records":[{"eventVersion":...},
 * {"eventVersion":...},...]}` on one line; instead of scanning every character, take the text from the current record
 * start up to the last `},{"eventVersion":` in the buffer and parse it as one array. A prefix of records that parses
 * as `[` + slice + `]` can only end at a record boundary (a cut inside a record leaves a string or a brace open), so a
 * successful parse is exactly the records of the slice; a failure (a cut inside a string that happens to contain the
 * separator, or a malformed record) hands the buffer to the exact scanner, which rejects the bad record alone. Slices
 * with a newline are left to the exact scanner too, so line numbers stay exact.
 */

/** The fast path gives up on a file after this many slices that did not parse (malformed records in it). */
const FAST_MAX_FAILURES = 3;

export class TrailFastPath {
  /** The separator between two records, learned from the first record. */
  private separator: string | undefined;
  private paused = false;
  private failures = 0;
  /** Whether the first record was seen (the separator is learned once, or not at all). */
  learned = false;

  /** A separator is known and the current chunk has not refused a slice. */
  get ready(): boolean {
    return this.separator !== undefined && !this.paused;
  }

  /** A new chunk arrived: try again. */
  resume(): void {
    this.paused = false;
  }

  /** Learns the record separator from the first record of a trail file (`},{"eventVersion":`). */
  learn(text: string, trailFile: boolean): void {
    this.learned = true;
    if (!trailFile || !text.startsWith('{"')) return;
    const colon = text.indexOf('":', 2);
    if (colon < 3 || colon > 64 || /["\\\s]/.test(text.slice(2, colon))) return;
    this.separator = `},${text.slice(0, colon + 2)}`;
  }

  /**
   * The records of `buf` from `from` (a record start) up to the last separator within `max` characters, parsed, and
   * the index after the last one; undefined when the exact scanner must take over (until the next chunk).
   */
  take(buf: string, from: number, max: number): { values: unknown[]; end: number } | undefined {
    const sep = this.separator as string;
    const last = buf.lastIndexOf(sep, Math.min(buf.length, from + max) - sep.length);
    const nl = last > from ? buf.indexOf('\n', from) : -1;
    if (last <= from || (nl >= 0 && nl < last)) {
      this.paused = true; // until the next chunk
      return undefined;
    }
    try {
      return { values: JSON.parse(`[${buf.slice(from, last + 1)}]`) as unknown[], end: last + 1 };
    } catch {
      this.paused = true;
      if (++this.failures >= FAST_MAX_FAILURES) this.separator = undefined;
      return undefined;
    }
  }
}
