/**
 * The hourly timeline of one subject, built from the store's aggregates: per key, the count in each window. Drift
 * detection walks it window by window; each window's baseline is the lookback before it (an aging envelope), so
 * a 30-day retrospective classifies every change against what was normal at that time, not against today's
 * baseline that already contains the change.
 */
import type { AggregateRow } from '../../ports.ts';
import { bounds, emptySketch, hourOfWeek, type RateEnvelopeSet, sketchAdd } from '../baseline/rate-envelope.ts';
import { DEFAULT_BASELINE_CONFIG } from '../baseline/types.ts';
import type { Layer, Observation } from '../observation.ts';
import { keyKind, WINDOW_MS, windowStart } from '../observation.ts';
import type { RateBound } from './types.ts';

/** Key kinds that are bookkeeping, not behavior: never drift. */
export const IGNORED_KINDS: ReadonlySet<string> = new Set(['lease', 'drops']);

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
export function timelineFromAggregates(subject: string, rows: AggregateRow[]): Timeline {
  const series = new Map<string, KeySeries>();
  const byWindow = new Map<number, string[]>();
  let firstWindow = Number.POSITIVE_INFINITY;
  for (const r of rows) {
    if (r.subject !== subject || IGNORED_KINDS.has(r.kind)) continue;
    const w = Date.parse(r.window);
    let s = series.get(r.key);
    if (!s) {
      s = { key: r.key, layer: r.layer, counts: new Map(), windows: [] };
      series.set(r.key, s);
    }
    const prev = s.counts.get(w);
    s.counts.set(w, (prev ?? 0) + r.count);
    if (prev === undefined) {
      s.windows.push(w);
      const list = byWindow.get(w) ?? [];
      list.push(r.key);
      byWindow.set(w, list);
    }
    if (w < firstWindow) firstWindow = w;
  }
  for (const s of series.values()) s.windows.sort((a, b) => a - b);
  return { subject, series, firstWindow, byWindow };
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

/**
 * Hour-of-week bounds of `key` at window `w` from the lookback [w - lookbackMs, w), computed with the baselines'
 * rate-envelope rules (lib/core/baseline/rate-envelope.ts): hour-of-week sketch when it has enough samples, else
 * hour-of-day, else all hours; hours without the key count as 0 from its first appearance in the lookback.
 * Undefined when the key is new (not seen in the lookback) or the kind carries no rate envelope.
 */
export function boundAt(tl: Timeline, key: string, w: number, lookbackMs: number): RateBound | undefined {
  const s = tl.series.get(key);
  if (!s || !DEFAULT_BASELINE_CONFIG.rateKinds.includes(keyKind(key))) return undefined;
  const from = w - lookbackMs;
  const firstIdx = s.windows.findIndex((x) => x >= from && x < w);
  if (firstIdx < 0) return undefined;
  const since = s.windows[firstIdx]!;
  const targetHow = hourOfWeek(w);
  const targetHod = new Date(w).getUTCHours();
  const how = emptySketch();
  const hod = emptySketch();
  const all = emptySketch();
  // Same hour of day: step back in days from w; every 7th day is the same hour of week.
  for (let t = w - DAY_MS, d = 1; t >= since; t -= DAY_MS, d++) {
    const v = s.counts.get(t) ?? 0;
    sketchAdd(hod, v);
    if (d % 7 === 0) sketchAdd(how, v);
  }
  // All hours only matter when the same-hour sketches are too thin.
  if (hod.n < MIN_BOUND_SAMPLES) for (let t = since; t < w; t += WINDOW_MS) sketchAdd(all, s.counts.get(t) ?? 0);
  const set: RateEnvelopeSet = {
    alpha: 0.02,
    series: {
      [key]: {
        key,
        field: 'count',
        since: new Date(since).toISOString(),
        hours: all.n,
        all,
        hod: { [String(targetHod)]: hod },
        how: { [String(targetHow)]: how },
      },
    },
  };
  const b = bounds(set, key, w, { minSamples: MIN_BOUND_SAMPLES });
  return b ? { upper: b.high, typical: b.expected, samples: b.samples } : undefined;
}
