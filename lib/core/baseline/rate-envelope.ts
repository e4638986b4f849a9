/**
 * Rate envelopes: robust bounds for volume-type behavior (API calls per hour, records written, bytes egress) with
 * hour-of-week seasonality.
 *
 * Each series (a key's hourly count, or a key's hourly sum of a numeric attribute such as `bytes`) keeps three kinds of
 * quantile sketches: one over all hours, one per hour-of-day (24) and one per hour-of-week (168, UTC, Sunday 00:00 = 0).
 * A sketch is a DDSketch-style log-bucket histogram (relative accuracy 10%: bounds use wide Tukey fences, so coarse buckets keep the doc small; exact zeros), so its size depends on the
 * spread of the values and never on how many hours were added: updating is O(1) per series and hour, and the document
 * stays bounded however long the history is. Hours in which a tracked key was not seen count as 0.
 *
 * Bounds (see {@link bounds}) use the most specific sketch with enough samples (hour-of-week, else hour-of-day, else
 * all hours; `minSamples`, default 4): with q25, q50, q75 of that sketch and IQR = q75 - q25,
 *   expected = q50, low = max(0, q25 - k*IQR), high = max(q75 + k*IQR, q50 * (1 + minRelativeWidth), minHigh)
 * with Tukey's "far out" k = 3, minRelativeWidth 0.5 and minHigh 1, so a perfectly regular series does not get a
 * zero-width band. Quantiles are accurate to the sketch's relative accuracy.
 */

/** Quantile sketch over non-negative values: log buckets with relative accuracy `alpha` plus an exact zero count. */
export interface Sketch {
  /** Number of values added. */
  n: number;
  /** Values equal to 0 (or below 1e-9). */
  z: number;
  /** Bucket index -> number of values. */
  b: Record<string, number>;
}

export interface RateSeries {
  /** Behavior key. */
  key: string;
  /** `count` for the key's hourly count, else the name of the summed attribute (`bytes`, `records` ...). */
  field: string;
  /** ISO start of the first hour sampled. */
  since: string;
  /** Hours sampled. */
  hours: number;
  all: Sketch;
  /** Hour of day (UTC, "0".."23") -> sketch. */
  hod: Record<string, Sketch>;
  /** Hour of week (UTC, Sunday 00:00 = "0" .. Saturday 23:00 = "167") -> sketch. */
  how: Record<string, Sketch>;
}

export interface RateEnvelopeSet {
  /** Relative accuracy of the sketches. */
  alpha: number;
  /** Series id (`<key>` for counts, `<key>#<field>` for sums) -> series. */
  series: Record<string, RateSeries>;
}

export interface Bounds {
  low: number;
  high: number;
  expected: number;
  /** Which sketch the bounds came from. */
  basis: 'hour-of-week' | 'hour-of-day' | 'all';
  /** Samples in that sketch. */
  samples: number;
}

export interface BoundsOptions {
  /** Field: `count` (default) or a summed attribute name. */
  field?: string;
  /** Samples a sketch needs before it is used (default 4). */
  minSamples?: number;
  /** Tukey fence multiplier (default 3). */
  k?: number;
  /** high >= expected * (1 + minRelativeWidth) (default 0.5). */
  minRelativeWidth?: number;
  /** high >= minHigh (default 1). */
  minHigh?: number;
}

const HOUR_MS = 3_600_000;
const ZERO_EPS = 1e-9;
export const DEFAULT_ALPHA = 0.1;

export function emptyRateEnvelopeSet(alpha = DEFAULT_ALPHA): RateEnvelopeSet {
  return { alpha, series: {} };
}

/** Series id of a key and field. */
export function seriesId(key: string, field = 'count'): string {
  return field === 'count' ? key : `${key}#${field}`;
}

/** UTC hour of week, Sunday 00:00 = 0. */
export function hourOfWeek(time: string | number | Date): number {
  const d = new Date(time);
  return d.getUTCDay() * 24 + d.getUTCHours();
}

function gammaOf(alpha: number): number {
  return (1 + alpha) / (1 - alpha);
}

export function emptySketch(): Sketch {
  return { n: 0, z: 0, b: {} };
}

/** Adds one value (negative values are treated as 0). */
export function sketchAdd(s: Sketch, value: number, alpha = DEFAULT_ALPHA): void {
  s.n += 1;
  if (!(value > ZERO_EPS)) {
    s.z += 1;
    return;
  }
  const i = Math.ceil(Math.log(value) / Math.log(gammaOf(alpha)));
  const k = String(i);
  s.b[k] = (s.b[k] ?? 0) + 1;
}

/** The q-quantile (0..1) of the values added; NaN for an empty sketch. */
export function sketchQuantile(s: Sketch, q: number, alpha = DEFAULT_ALPHA): number {
  if (s.n === 0) return Number.NaN;
  const rank = Math.min(Math.max(q, 0), 1) * (s.n - 1);
  if (rank < s.z) return 0;
  const g = gammaOf(alpha);
  const idx = Object.keys(s.b)
    .map(Number)
    .sort((a, b) => a - b);
  let cum = s.z;
  for (const i of idx) {
    cum += s.b[String(i)]!;
    if (cum > rank) return (2 * g ** i) / (g + 1);
  }
  const last = idx[idx.length - 1]!;
  return (2 * g ** last) / (g + 1);
}

function cell(cells: Record<string, Sketch>, id: string): Sketch {
  const existing = cells[id];
  if (existing) return existing;
  const created = emptySketch();
  cells[id] = created;
  return created;
}

function series(set: RateEnvelopeSet, key: string, field: string, hourStart: string): RateSeries {
  const id = seriesId(key, field);
  let s = set.series[id];
  if (!s) {
    s = { key, field, since: hourStart, hours: 0, all: emptySketch(), hod: {}, how: {} };
    set.series[id] = s;
  }
  return s;
}

/**
 * Adds one hour of values. `values` maps series id -> value for the series seen in that hour; every series already
 * tracked and not in `values` gets a 0 for that hour. New series (not yet tracked) are created from `newSeries`
 * (key and field per id) when `canTrack(id)` allows it. Mutates `set`.
 */
export function addHour(
  set: RateEnvelopeSet,
  hourStartMs: number,
  values: Map<string, { key: string; field: string; value: number }>,
  canTrack: (id: string) => boolean,
): void {
  const hourIso = new Date(Math.floor(hourStartMs / HOUR_MS) * HOUR_MS).toISOString();
  for (const [id, v] of values) {
    if (!set.series[id] && canTrack(id)) series(set, v.key, v.field, hourIso);
  }
  const hod = String(new Date(hourStartMs).getUTCHours());
  const how = String(hourOfWeek(hourStartMs));
  for (const [id, s] of Object.entries(set.series)) {
    if (s.since > hourIso) continue;
    const value = values.get(id)?.value ?? 0;
    s.hours += 1;
    sketchAdd(s.all, value, set.alpha);
    sketchAdd(cell(s.hod, hod), value, set.alpha);
    sketchAdd(cell(s.how, how), value, set.alpha);
  }
}

/**
 * Expected value and robust bounds of `key` (field `count` unless given) at `time`'s hour, or undefined when the key
 * has no series or fewer than `minSamples` hours. Example: `bounds(baseline.rates, 'api:s3:PutObject:arn:aws:s3:::b/*',
 * '2026-01-07T14:20:00Z', { field: 'records' })`.
 */
export function bounds(
  envelope: RateEnvelopeSet,
  key: string,
  time: string | number | Date,
  opts: BoundsOptions = {},
): Bounds | undefined {
  const s = envelope.series[seriesId(key, opts.field ?? 'count')];
  if (!s) return undefined;
  const minSamples = opts.minSamples ?? 4;
  const d = new Date(time);
  const candidates: [Bounds['basis'], Sketch | undefined][] = [
    ['hour-of-week', s.how[String(hourOfWeek(d))]],
    ['hour-of-day', s.hod[String(d.getUTCHours())]],
    ['all', s.all],
  ];
  const found = candidates.find(([, sk]) => sk !== undefined && sk.n >= minSamples);
  if (!found) return undefined;
  const [basis, sk] = found as [Bounds['basis'], Sketch];
  const a = envelope.alpha;
  const q25 = sketchQuantile(sk, 0.25, a);
  const q50 = sketchQuantile(sk, 0.5, a);
  const q75 = sketchQuantile(sk, 0.75, a);
  const iqr = q75 - q25;
  const k = opts.k ?? 3;
  const low = Math.max(0, q25 - k * iqr);
  const high = Math.max(q75 + k * iqr, q50 * (1 + (opts.minRelativeWidth ?? 0.5)), opts.minHigh ?? 1);
  return { low, high, expected: q50, basis, samples: sk.n };
}
