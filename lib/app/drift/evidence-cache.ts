/**
 * Evidence read once per run: a subject's dirty windows are read to index them (deploys, audit keys) and read again
 * to judge the subject; the cache serves the second read from the first, per hourly window, and reads only the
 * windows it does not hold (whole windows, what lies past `now` only noted, see ahead()). It lives for one page of
 * subjects (lib/app/drift/incremental.ts), so its size is bounded by the data of the subjects the page touches.
 */

import { mapLimit } from '../../core/map-limit.ts';
import type { Observation } from '../../core/observation.ts';
import { byTimeThenId } from '../../core/store/fold.ts';
import type { Store } from '../../ports.ts';

const HOUR_MS = 3_600_000;
const iso = (t: number) => new Date(t).toISOString();

export class EvidenceCache {
  /** subject -> window start (ms) -> its observations up to `now`. */
  private readonly held = new Map<string, Map<number, Observation[]>>();

  constructor(
    private readonly store: Store,
    private readonly now: number,
  ) {}

  /** The observations of whole windows (ms starts), up to now. */
  async windows(subject: string, windows: readonly number[], now = this.now): Promise<Observation[]> {
    const sorted = [...new Set(windows)].filter((w) => w < now).sort((a, b) => a - b);
    const got = await this.fill(subject, sorted, true);
    const hi = iso(now);
    return sorted.flatMap((w) => (got.get(w) ?? []).filter((o) => o.time <= hi)).sort(byTimeThenId);
  }

  /**
   * Reads the windows of several subjects, `limit` subjects at a time: independent reads, so a run's wall time (what
   * a Lambda is billed) follows the slowest of them, not their sum.
   */
  async prefetch(wanted: readonly { subject: string; windows: readonly number[] }[], limit = 8): Promise<void> {
    await mapLimit(wanted, limit, (w) => this.windows(w.subject, w.windows));
  }

  /**
   * Windows read for the subject that hold observations after now (dated ahead of this run's clock): judged only
   * up to now, they must stay dirty.
   */
  ahead(subject: string): number[] {
    const hi = iso(this.now);
    return [...(this.held.get(subject) ?? new Map<number, Observation[]>())]
      .filter(([, list]) => list.some((o) => o.time > hi))
      .map(([w]) => w);
  }

  /** The observations with from <= time <= to (to at most now); `keep: false` reads without holding them. */
  async range(subject: string, from: number, to: number, opts: { keep?: boolean } = {}): Promise<Observation[]> {
    const end = Math.min(to, this.now);
    const windows: number[] = [];
    for (let w = Math.floor(from / HOUR_MS) * HOUR_MS; w <= end; w += HOUR_MS) windows.push(w);
    const got = await this.fill(subject, windows, opts.keep !== false);
    const lo = iso(from);
    const hi = iso(end);
    return windows.flatMap((w) => got.get(w) ?? []).filter((o) => o.time >= lo && o.time <= hi);
  }

  /** Forgets everything held. */
  clear(): void {
    this.held.clear();
  }

  /** The windows' observations: those held, and the others read (and held when `keep`). */
  private async fill(subject: string, windows: readonly number[], keep: boolean): Promise<Map<number, Observation[]>> {
    const mine = this.held.get(subject) ?? new Map<number, Observation[]>();
    if (keep) this.held.set(subject, mine);
    const out = new Map<number, Observation[]>();
    for (const w of windows) if (mine.has(w)) out.set(w, mine.get(w)!);
    const missing = windows.filter((w) => !mine.has(w));
    // Contiguous missing windows are one read.
    for (let i = 0; i < missing.length; ) {
      let j = i;
      while (j + 1 < missing.length && missing[j + 1] === missing[j]! + HOUR_MS) j++;
      const a = missing[i]!;
      // Whole windows, also past now: whether a window holds data dated ahead of now is known (see ahead()).
      const b = missing[j]! + HOUR_MS - 1;
      const got = await this.store.evidence(subject, iso(a), iso(b));
      const by = new Map<number, Observation[]>();
      for (let w = a; w <= missing[j]!; w += HOUR_MS) by.set(w, []);
      for (const o of got) by.get(Math.floor(Date.parse(o.time) / HOUR_MS) * HOUR_MS)?.push(o);
      for (const [w, list] of by) {
        out.set(w, list);
        if (keep) mine.set(w, list);
      }
      i = j + 1;
    }
    return out;
  }
}
