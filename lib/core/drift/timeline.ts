/**
 * The hourly timeline of one subject, built from the store's aggregates: per key, the count in each window. Drift
 * detection walks it window by window; each window's baseline is the lookback before it (an aging envelope), so
 * a 30-day retrospective classifies every change against what was normal at that time, not against today's
 * baseline that already contains the change.
 */

import {
  bounds,
  emptySketch,
  hourOfWeek,
  type RateEnvelopeSet,
  type Sketch,
  sketchAdd,
} from '../baseline/rate-envelope.ts';
import { DEFAULT_BASELINE_CONFIG } from '../baseline/types.ts';
import type { Layer, Observation } from '../observation.ts';
import { keyKind, WINDOW_MS, windowStart } from '../observation.ts';
import type { AggregateRow } from '../store/aggregate-row.ts';
import type { RateBound } from './types.ts';

/** Key kinds that are bookkeeping or content, not behavior: never window-level drift (tool results are read per session). */
export const IGNORED_KINDS: ReadonlySet<string> = new Set(['lease', 'drops', 'result']);

export interface KeySeries {
  key: string;
  layer: Layer;
  /** Window start (ms) -> count. */
  counts: Map<number, number>;
  /** Sorted window starts (ms) where the key was seen. */
  windows: number[];
}

export interface Timeline {
  subject: string;
  series: Map<string, KeySeries>;
  /** Earliest window with any activity (ms), Infinity when empty. */
  firstWindow: number;
  /** Window start (ms) -> keys seen in it. */
  byWindow: Map<number, string[]>;
}

/** Builds a timeline from aggregate rows of one subject. */
export function timelineFromAggregates(subject: string, rows: readonly AggregateRow[]): Timeline {
  const tl: Timeline = { subject, series: new Map(), firstWindow: Number.POSITIVE_INFINITY, byWindow: new Map() };
  addRows(tl, rows);
  return tl;
}

const plainSeries = (key: string, layer: Layer): KeySeries => ({ key, layer, counts: new Map(), windows: [] });

/**
 * Adds aggregate rows of the timeline's subject to it (counts of one key and window add up); `newSeries` makes the
 * series of a key it does not have yet.
 */
export function addRows(tl: Timeline, rows: readonly AggregateRow[], newSeries = plainSeries): void {
  for (const r of rows) {
    if (r.subject !== tl.subject || IGNORED_KINDS.has(r.kind)) continue;
    const w = Date.parse(r.window);
    let s = tl.series.get(r.key);
    if (!s) {
      s = newSeries(r.key, r.layer);
      tl.series.set(r.key, s);
    }
    const prev = s.counts.get(w);
    s.counts.set(w, (prev ?? 0) + r.count);
    if (prev === undefined) {
      s.windows.push(w);
      const list = tl.byWindow.get(w) ?? [];
      list.push(r.key);
      tl.byWindow.set(w, list);
    }
    if (w < tl.firstWindow) tl.firstWindow = w;
  }
  for (const s of tl.series.values()) s.windows.sort((a, b) => a - b);
}

/**
 * Aggregates observations into rows the way the store does (subject, key, hourly window), for callers that hold
 * observations in memory (on-ingest classification of a batch, tests, the evaluation set).
 */
export function aggregateObservations(observations: Observation[]): AggregateRow[] {
  const rows = new Map<string, AggregateRow>();
  for (const o of observations) {
    const window = windowStart(o.time);
    const id = `${o.subject}\u0000${o.key}\u0000${window}`;
    const r = rows.get(id);
    if (r) {
      r.count += o.count;
      if (o.time < r.firstSeen) r.firstSeen = o.time;
      if (o.time > r.lastSeen) r.lastSeen = o.time;
      if (!r.sources.includes(o.source)) r.sources.push(o.source);
    } else {
      rows.set(id, {
        subject: o.subject,
        key: o.key,
        window,
        layer: o.layer,
        kind: keyKind(o.key),
        count: o.count,
        firstSeen: o.time,
        lastSeen: o.time,
        sources: [o.source],
        attrs: {},
        sums: {},
      });
    }
  }
  return [...rows.values()];
}

/** True when the key was seen in [from, to) (ms). */
export function seenBetween(s: KeySeries, from: number, to: number): boolean {
  // Binary search for the first window >= from.
  let lo = 0;
  let hi = s.windows.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (s.windows[mid]! < from) lo = mid + 1;
    else hi = mid;
  }
  return lo < s.windows.length && s.windows[lo]! < to;
}

/** Minimum same-hour samples before a bound is trusted; 2 so a weekly job is known after two weeks. */
export const MIN_BOUND_SAMPLES = 2;

const DAY_MS = 86_400_000;

/** How long after a deploy the post-deploy regime takes over the envelope: two days, so hour-of-day has 2 samples. */
export const REGIME_SETTLE_MS = 2 * DAY_MS;

/** The bound is at least this multiple of the largest sample of its basis. */
export const SMALL_SAMPLE_HEADROOM = 1.5;

/**
 * Hour-of-week bounds of `key` at window `w` from the lookback [w - lookbackMs, w), computed with the baselines'
 * rate-envelope rules (lib/core/baseline/rate-envelope.ts): hour-of-week sketch when it has enough samples, else
 * hour-of-day, else all hours; hours without the key count as 0 from its first appearance in the lookback.
 * Undefined when the key is new (not seen in the lookback) or the kind carries no rate envelope. `regimeStart` is the
 * time of the last deploy before `w`, if any.
 */
export function boundAt(
  tl: Timeline,
  key: string,
  w: number,
  lookbackMs: number,
  regimeStart?: number,
): RateBound | undefined {
  const s = tl.series.get(key);
  if (!s || !DEFAULT_BASELINE_CONFIG.rateKinds.includes(keyKind(key))) return undefined;
  const full = boundFrom(s, w, w - lookbackMs);
  // Once a deploy has settled (REGIME_SETTLE_MS), the post-deploy regime is accepted too: an intended change moves
  // the envelope, and the old one alone would flag the new normal for weeks. The union keeps weekly patterns (the
  // post-deploy regime is too short to know them) and the new level.
  if (regimeStart === undefined || w - regimeStart < REGIME_SETTLE_MS || regimeStart <= w - lookbackMs) return full;
  const regime = boundFrom(s, w, regimeStart);
  if (!full || !regime) return full ?? regime;
  return regime.upper > full.upper ? regime : full;
}

function boundFrom(s: KeySeries, w: number, from: number): RateBound | undefined {
  const key = s.key;
  const firstIdx = s.windows.findIndex((x) => x >= from && x < w);
  if (firstIdx < 0) return undefined;
  const since = s.windows[firstIdx]!;
  const how = emptySketch();
  const hod = emptySketch();
  const all = emptySketch();
  let maxHow = 0;
  let maxHod = 0;
  let maxAll = 0;
  // Same hour of day: step back in days from w; every 7th day is the same hour of week.
  for (let t = w - DAY_MS, d = 1; t >= since; t -= DAY_MS, d++) {
    const v = s.counts.get(t) ?? 0;
    sketchAdd(hod, v);
    maxHod = Math.max(maxHod, v);
    if (d % 7 === 0) {
      sketchAdd(how, v);
      maxHow = Math.max(maxHow, v);
    }
  }
  // Two envelopes, and the wider wins: hour-of-week knows weekly jobs after two weeks but is noisy on two or
  // three samples; hour-of-day (>= 4 days) is robust to noise but blind to weekly rhythm. Hours-of-any-kind only
  // when neither has enough samples.
  const candidates: { basis: 'hour-of-week' | 'hour-of-day' | 'all'; sketch: typeof how; max: number; min: number }[] =
    [
      { basis: 'hour-of-week', sketch: how, max: maxHow, min: MIN_BOUND_SAMPLES },
      { basis: 'hour-of-day', sketch: hod, max: maxHod, min: 4 },
    ];
  let best: RateBound | undefined;
  for (const c of candidates) {
    const b = boundOf(key, since, w, c.basis, c.sketch, c.min, c.max);
    if (b && (!best || b.upper > best.upper)) best = b;
  }
  if (best) return best;
  if (all.n === 0)
    for (let t = since; t < w; t += WINDOW_MS) {
      const v = s.counts.get(t) ?? 0;
      sketchAdd(all, v);
      maxAll = Math.max(maxAll, v);
    }
  return boundOf(key, since, w, 'all', all, MIN_BOUND_SAMPLES, maxAll);
}

function boundOf(
  key: string,
  since: number,
  w: number,
  basis: 'hour-of-week' | 'hour-of-day' | 'all',
  sketch: Sketch,
  minSamples: number,
  max: number,
): RateBound | undefined {
  if (sketch.n < minSamples) return undefined;
  const empty = emptySketch();
  const set: RateEnvelopeSet = {
    alpha: 0.02,
    series: {
      [key]: {
        key,
        field: 'count',
        since: new Date(since).toISOString(),
        hours: sketch.n,
        all: basis === 'all' ? sketch : empty,
        hod: basis === 'hour-of-day' ? { [String(new Date(w).getUTCHours())]: sketch } : {},
        how: basis === 'hour-of-week' ? { [String(hourOfWeek(w))]: sketch } : {},
      },
    },
  };
  const b = bounds(set, key, w, { minSamples });
  if (!b) return undefined;
  // Quartiles of two or three samples are the samples themselves, so the IQR fence alone is too tight there.
  // Agent traffic is clumpy (a ticket makes several calls to one destination, two sources report one connection),
  // so the bound is never below 1.5x the largest count of the same basis, nor 3 Poisson deviations or 3x the
  // typical count above zero.
  const upper = Math.max(
    b.high,
    SMALL_SAMPLE_HEADROOM * max,
    b.expected + 3 * Math.sqrt(Math.max(b.expected, 1)),
    3 * b.expected,
  );
  return { upper, typical: b.expected, samples: b.samples };
}
