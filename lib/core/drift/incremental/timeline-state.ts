/**
 * The window-level timeline of a subject kept between incremental drift runs, laid out for the reads a run makes.
 * Judging window w needs, per key seen in it, whether and since when the key was seen in the lookback (its activity
 * runs), its counts at the same hour on earlier days (hour-of-day and hour-of-week envelopes), and, only for keys
 * seen for under four days or after a recent deploy, its counts at every hour of the last days. So the sealed windows
 * (those before `sealed`) are kept as:
 * - `keys`: per key its layer and activity runs (hour ranges), and the subject's first window;
 * - `hours[h]` (24 parts): per key its count at hour h of each day;
 * - `days[d % 8]` (a ring of 8 parts): per key its count at each hour of day d.
 * A run loads `keys`, the hour parts of the windows it judges and the day parts it needs; a count it needed but did
 * not load is recorded as a miss (TrackedCounts), the caller loads the part and detects again, so the result never
 * depends on a guess about what to load. Windows from the re-judge start on come from the store (the open rows).
 * Pure: the store keeps the parts as documents (lib/app/drift/timeline-store.ts).
 */
import type { Layer } from '../../observation.ts';
import type { AggregateRow } from '../../store/aggregate-row.ts';
import { addRows, IGNORED_KINDS, type KeySeries, type Timeline } from '../timeline.ts';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
/** Day parts kept (a ring: part `d % DAY_SLOTS` holds day d). */
export const DAY_SLOTS = 8;

/** Per-key layer and activity runs (flat pairs of inclusive hour indexes, ascending). */
export interface TimelineKeys {
  v: 1;
  /** Windows before this (ms) are sealed into the parts. */
  sealed: number;
  /** Earliest window with activity (ms), when there is one. */
  firstWindow?: number;
  keys: Record<string, { layer: Layer; runs: number[] }>;
}

/** Counts at one hour of day: key -> day index -> count. */
export interface TimelineHour {
  hour: number;
  counts: Record<string, Record<string, number>>;
}

/** Counts of one day: key -> hour of day -> count. */
export interface TimelineDay {
  day: number;
  counts: Record<string, Record<string, number>>;
}

export interface TimelineParts {
  keys: TimelineKeys;
  /** Loaded hour parts by hour of day. */
  hours: Map<number, TimelineHour>;
  /** Loaded day parts by day index (only those holding that day). */
  days: Map<number, TimelineDay>;
}

export const emptyTimelineKeys = (): TimelineKeys => ({ v: 1, sealed: 0, keys: {} });

const hourOf = (ms: number) => Math.floor(ms / HOUR_MS);
const dayOf = (ms: number) => Math.floor(ms / DAY_MS);
const hodOf = (ms: number) => new Date(ms).getUTCHours();

/** A count the detection read but whose part was not loaded. */
export interface Miss {
  key: string;
  window: number;
}

/**
 * A key's counts: sealed windows from the loaded parts, open windows from the store's rows. Reading a sealed window
 * in which the key was active but whose part is not loaded records a miss (and reads 0).
 */
export class TrackedCounts extends Map<number, number> {
  constructor(
    private readonly key: string,
    private readonly before: number,
    private readonly active: (t: number) => boolean,
    private readonly misses: Miss[],
  ) {
    super();
  }

  override get(t: number): number | undefined {
    const v = super.get(t);
    if (v === undefined && t < this.before && this.active(t)) this.misses.push({ key: this.key, window: t });
    return v;
  }
}

function inRuns(runs: readonly number[], h: number): boolean {
  let lo = 0;
  let hi = runs.length / 2;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (runs[2 * mid + 1]! < h) lo = mid + 1;
    else hi = mid;
  }
  return lo < runs.length / 2 && runs[2 * lo]! <= h;
}

/** Hour windows (ms) of runs before `beforeMs`. */
function windowsOf(runs: readonly number[], beforeMs: number): number[] {
  const out: number[] = [];
  const stop = hourOf(beforeMs);
  for (let i = 0; i < runs.length; i += 2)
    for (let h = runs[i]!; h <= runs[i + 1]! && h < stop; h++) out.push(h * HOUR_MS);
  return out;
}

/**
 * The timeline detection reads for windows from `from` on: sealed state before `from` (parts as loaded), the store's
 * window-level rows from `from` on. `misses` collects sealed counts read but not loaded.
 */
export function assembleTimeline(
  subject: string,
  parts: TimelineParts,
  open: readonly AggregateRow[],
  from: number,
  misses: Miss[],
): Timeline {
  const tl: Timeline = {
    subject,
    series: new Map(),
    firstWindow: parts.keys.firstWindow ?? Number.POSITIVE_INFINITY,
    byWindow: new Map(),
  };
  const newSeries = (key: string, layer: Layer): KeySeries => {
    const runs = parts.keys.keys[key]?.runs ?? [];
    return {
      key,
      layer,
      counts: new TrackedCounts(key, from, (t) => inRuns(runs, hourOf(t)), misses),
      windows: windowsOf(runs, from),
    };
  };
  for (const [key, k] of Object.entries(parts.keys.keys)) tl.series.set(key, newSeries(key, k.layer));
  // Sealed counts, only where the key's runs say it was active (a part may hold what a later seal dropped).
  const setSealed = (key: string, w: number, c: number) => {
    const s = tl.series.get(key);
    const runs = parts.keys.keys[key]?.runs;
    if (s && runs && w < from && inRuns(runs, hourOf(w))) Map.prototype.set.call(s.counts, w, c);
  };
  for (const h of parts.hours.values())
    for (const [key, byDay] of Object.entries(h.counts))
      for (const [d, c] of Object.entries(byDay)) setSealed(key, Number(d) * DAY_MS + h.hour * HOUR_MS, c);
  for (const day of parts.days.values())
    for (const [key, byHour] of Object.entries(day.counts))
      for (const [h, c] of Object.entries(byHour)) setSealed(key, day.day * DAY_MS + Number(h) * HOUR_MS, c);
  // The open rows, from `from` on (a count read there is never a miss: it is not sealed).
  addRows(
    tl,
    open.filter((r) => Date.parse(r.window) >= from),
    newSeries,
  );
  return tl;
}

/** The window-level rows of sealed windows, folded per (key, window): what sealing stores. */
export interface SealedRow {
  key: string;
  layer: Layer;
  window: number;
  count: number;
}

/** Folds window-level rows per (key, window), as the timeline does (ignored kinds left out). */
export function sealedRows(rows: readonly AggregateRow[]): SealedRow[] {
  const by = new Map<string, SealedRow>();
  for (const r of rows) {
    if (IGNORED_KINDS.has(r.kind)) continue;
    const window = Date.parse(r.window);
    const id = `${r.key}\u0000${window}`;
    const cur = by.get(id);
    if (cur) cur.count += r.count;
    else by.set(id, { key: r.key, layer: r.layer, window, count: r.count });
  }
  return [...by.values()];
}

/** What sealing changed: the parts to store again. */
export interface SealResult {
  keys: TimelineKeys;
  hours: TimelineHour[];
  days: TimelineDay[];
}

/**
 * Seals the windows [from, to) with their final rows (replacing whatever was sealed for them before), and drops what
 * is older than `keepFrom`. The hour parts of every hour of day in [from, to) and the day parts of its days must be
 * loaded in `parts` (a day part not loaded is started empty: its ring slot held an older day).
 */
export function seal(
  parts: TimelineParts,
  rows: readonly SealedRow[],
  from: number,
  to: number,
  keepFrom: number,
): SealResult {
  const keys: TimelineKeys = structuredClone(parts.keys);
  const fromH = hourOf(from);
  const toH = hourOf(to);
  const keepH = hourOf(keepFrom);
  const keepDay = dayOf(keepFrom);
  const active = new Map<string, Set<number>>();
  for (const r of rows) {
    if (r.window < from || r.window >= to) continue;
    const set = active.get(r.key) ?? new Set<number>();
    active.set(r.key, set.add(hourOf(r.window)));
  }
  for (const key of new Set([...Object.keys(keys.keys), ...active.keys()])) {
    const old = keys.keys[key];
    const hours = new Set<number>();
    if (old)
      for (let i = 0; i < old.runs.length; i += 2)
        for (let h = Math.max(old.runs[i]!, keepH); h <= old.runs[i + 1]!; h++) if (h < fromH || h >= toH) hours.add(h);
    for (const h of active.get(key) ?? []) if (h >= keepH) hours.add(h);
    if (hours.size === 0) {
      delete keys.keys[key];
      continue;
    }
    const layer = old?.layer ?? rows.find((r) => r.key === key)!.layer;
    keys.keys[key] = { layer, runs: toRuns(hours) };
  }
  const first = rows.filter((r) => r.window >= from && r.window < to).reduce((m, r) => Math.min(m, r.window), Infinity);
  if (Number.isFinite(first) && (keys.firstWindow === undefined || first < keys.firstWindow)) keys.firstWindow = first;
  keys.sealed = Math.max(keys.sealed, to);

  const hours = new Map<number, TimelineHour>();
  const days = new Map<number, TimelineDay>();
  const hourPart = (h: number) => {
    let p = hours.get(h);
    if (!p) {
      p = structuredClone(parts.hours.get(h) ?? { hour: h, counts: {} });
      for (const byDay of Object.values(p.counts))
        for (const d of Object.keys(byDay)) if (Number(d) < keepDay) delete byDay[d];
      hours.set(h, p);
    }
    return p;
  };
  const dayPart = (d: number) => {
    let p = days.get(d);
    if (!p) {
      p = structuredClone(parts.days.get(d) ?? { day: d, counts: {} });
      days.set(d, p);
    }
    return p;
  };
  // Clear the sealed range, then write its rows.
  for (let w = fromH * HOUR_MS; w < toH * HOUR_MS; w += HOUR_MS) {
    const hp = hourPart(hodOf(w));
    for (const byDay of Object.values(hp.counts)) delete byDay[String(dayOf(w))];
    const dp = dayPart(dayOf(w));
    for (const byHour of Object.values(dp.counts)) delete byHour[String(hodOf(w))];
  }
  for (const r of rows) {
    if (r.window < from || r.window >= to || r.window < keepH * HOUR_MS) continue;
    put(hourPart(hodOf(r.window)).counts, r.key, dayOf(r.window), r.count);
    put(dayPart(dayOf(r.window)).counts, r.key, hodOf(r.window), r.count);
  }
  const prune = (counts: Record<string, Record<string, number>>) => {
    for (const [k, v] of Object.entries(counts)) if (Object.keys(v).length === 0) delete counts[k];
  };
  for (const p of hours.values()) prune(p.counts);
  for (const p of days.values()) prune(p.counts);
  return { keys, hours: [...hours.values()], days: [...days.values()] };
}

function put(counts: Record<string, Record<string, number>>, key: string, at: number, count: number): void {
  const byAt = counts[key] ?? {};
  byAt[String(at)] = count;
  counts[key] = byAt;
}

function toRuns(hours: Set<number>): number[] {
  const sorted = [...hours].sort((a, b) => a - b);
  const out: number[] = [];
  for (const h of sorted) {
    if (out.length > 0 && out[out.length - 1] === h - 1) out[out.length - 1] = h;
    else out.push(h, h);
  }
  return out;
}

/** Hours of day of the windows in [from, to), ascending (the hour parts a run judging them reads). */
export function hoursOfDay(from: number, to: number): number[] {
  const out = new Set<number>();
  for (let w = hourOf(from) * HOUR_MS; w < to && out.size < 24; w += HOUR_MS) out.add(hodOf(w));
  return [...out].sort((a, b) => a - b);
}

/** Day indexes of the windows in [from, to). */
export function daysOf(from: number, to: number): number[] {
  const out: number[] = [];
  for (let d = dayOf(from); d * DAY_MS < to; d++) out.push(d);
  return out;
}

/** Hour of day and day index of the windows that missed (the parts to load). */
export function partsOfMisses(misses: readonly Miss[]): { hours: number[]; days: number[] } {
  return {
    hours: [...new Set(misses.map((m) => hodOf(m.window)))].sort((a, b) => a - b),
    days: [...new Set(misses.map((m) => dayOf(m.window)))].sort((a, b) => a - b),
  };
}
