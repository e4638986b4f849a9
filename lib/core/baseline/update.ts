/**
 * Incremental baseline update: folds the store's hourly aggregates into a subject's baseline.
 *
 * The baseline document carries all the state an update needs (envelope entries, the open convergence period, rate
 * sketches and a watermark), so an update reads only the aggregates at or after the watermark and costs
 * O(new aggregates + envelope size x hours folded), never O(history). Hours are folded in order; each closes the
 * convergence periods before it, applies aging (keys unseen for `agingMs` leave the active envelope but stay in
 * `entries`), and adds one sample per tracked rate series (0 when the key was not seen that hour).
 */

import { NON_BEHAVIOR_KINDS, WINDOW_MS } from '../observation.ts';
import type { AggregateRow } from '../store/aggregate-row.ts';
import { convergenceStatus } from './convergence.ts';
import { addHour, emptyRateEnvelopeSet } from './rate-envelope.ts';
import {
  BASELINE_SCHEMA,
  type Baseline,
  type BaselineConfig,
  type ConvergencePoint,
  DEFAULT_BASELINE_CONFIG,
  type EnvelopeEntry,
} from './types.ts';

export interface UpdateResult {
  baseline: Baseline;
  /** True when anything changed (and `version` was incremented). */
  changed: boolean;
  /** Aggregates folded in. */
  folded: number;
  /** Hourly windows folded in (including hours with no aggregates). */
  hours: number;
  /** Aggregates older than the watermark (arrived after their window was folded): not added. */
  late: number;
  /** Aggregates of windows not settled yet: left for a later update. */
  pending: number;
}

const EPOCH = new Date(0).toISOString();

/** A new, empty baseline for `subject`. */
export function emptyBaseline(subject: string, now: string, config: Partial<BaselineConfig> = {}): Baseline {
  const cfg: BaselineConfig = { ...DEFAULT_BASELINE_CONFIG, ...config };
  if (cfg.periodMs % WINDOW_MS !== 0 || cfg.periodMs <= 0) {
    throw new RangeError(`periodMs must be a positive multiple of ${WINDOW_MS} (got ${cfg.periodMs})`);
  }
  return {
    schema: BASELINE_SCHEMA,
    subject,
    version: 0,
    updatedAt: now,
    status: 'learning',
    statusReason: 'no observations yet',
    config: cfg,
    watermark: EPOCH,
    entries: [],
    convergence: [],
    rates: emptyRateEnvelopeSet(),
  };
}

const iso = (ms: number) => new Date(ms).toISOString();
const maxIso = (a: string, b: string) => (a > b ? a : b);
const minIso = (a: string, b: string) => (a < b ? a : b);

/**
 * Folds `rows` (aggregates of `prev.subject`, any order, may include already folded or not yet settled windows) into a
 * copy of `prev` as of `now`. Pure: `prev` is not modified.
 */
export function updateBaseline(prev: Baseline, rows: readonly AggregateRow[], now: string): UpdateResult {
  const cfg = prev.config;
  const b: Baseline = structuredClone(prev);
  const nowMs = Date.parse(now);
  // Windows [w, w + 1h) with w + 1h + settle <= now are settled.
  const foldUntil = Math.floor((nowMs - cfg.settleMs) / WINDOW_MS) * WINDOW_MS;
  const watermarkMs = Date.parse(b.watermark);

  let late = 0;
  let pending = 0;
  const byHour = new Map<number, AggregateRow[]>();
  for (const r of rows) {
    // Pod IP leases and drop counters are identity and health data: a new lease per pod would never converge.
    if (r.subject !== b.subject || NON_BEHAVIOR_KINDS.has(r.kind)) continue;
    const w = Math.floor(Date.parse(r.window) / WINDOW_MS) * WINDOW_MS;
    if (w < watermarkMs) late++;
    else if (w >= foldUntil) pending++;
    else {
      const list = byHour.get(w);
      if (list) list.push(r);
      else byHour.set(w, [r]);
    }
  }

  // A baseline that has folded nothing yet starts at its first aggregate, not at the epoch.
  const started = b.entries.length > 0 || b.convergence.length > 0;
  const firstRowHour = byHour.size > 0 ? Math.min(...byHour.keys()) : undefined;
  const startMs = started ? watermarkMs : firstRowHour;
  if (startMs === undefined || startMs >= foldUntil) {
    return { baseline: prev, changed: false, folded: 0, hours: 0, late, pending };
  }

  // A baseline stored before leases were left out sheds them on its next update.
  const entries = new Map<string, EnvelopeEntry>(
    b.entries.filter((e) => !NON_BEHAVIOR_KINDS.has(e.kind)).map((e) => [e.key, e]),
  );
  let activeCount = [...entries.values()].reduce((n, e) => n + (e.active ? 1 : 0), 0);
  let point = b.convergence[b.convergence.length - 1];
  let folded = 0;
  let hours = 0;

  const ageOut = (atMs: number, p: ConvergencePoint | undefined) => {
    const cutoff = iso(atMs - cfg.agingMs);
    for (const e of entries.values()) {
      if (e.active && e.lastSeen < cutoff) {
        e.active = false;
        activeCount--;
        if (p) p.agedKeys++;
      }
    }
  };

  const closePoint = (p: ConvergencePoint) => {
    ageOut(Date.parse(p.end), p);
    p.closed = true;
    p.envelopeSize = activeCount;
    p.newKeyRate = p.newKeys / Math.max(1, activeCount);
    p.status = convergenceStatus(b.convergence, cfg).status;
  };

  const openPoint = (periodStart: number): ConvergencePoint => {
    const p: ConvergencePoint = {
      start: iso(periodStart),
      end: iso(periodStart + cfg.periodMs),
      newKeys: 0,
      returningKeys: 0,
      agedKeys: 0,
      seenKeys: 0,
      envelopeSize: activeCount,
      newKeyRate: 0,
      observations: 0,
      closed: false,
      status: b.status,
    };
    b.convergence.push(p);
    return p;
  };

  const rateKinds = new Set(cfg.rateKinds);
  const canTrack = () => Object.keys(b.rates.series).length < cfg.maxRateKeys;

  for (let h = startMs; h < foldUntil; h += WINDOW_MS) {
    const periodStart = Math.floor(h / cfg.periodMs) * cfg.periodMs;
    // Close every open period that ends at or before this hour, and open the periods up to this one.
    if (!point || Date.parse(point.end) <= h) {
      if (point && !point.closed) closePoint(point);
      // Periods with no folded hour at all (the subject was idle) still get a point, so the series has no holes.
      for (let gap = point ? Date.parse(point.end) : periodStart; gap < periodStart; gap += cfg.periodMs) {
        closePoint(openPoint(gap));
      }
      point = openPoint(periodStart);
    }
    const p = point;
    const hourRows = byHour.get(h) ?? [];
    const values = new Map<string, { key: string; field: string; value: number }>();
    for (const r of hourRows) {
      folded++;
      p.observations += r.count;
      let e = entries.get(r.key);
      if (!e) {
        e = {
          key: r.key,
          layer: r.layer,
          kind: r.kind,
          count: 0,
          firstSeen: r.firstSeen,
          lastSeen: r.lastSeen,
          windows: 0,
          active: true,
        };
        entries.set(r.key, e);
        activeCount++;
        p.newKeys++;
        p.seenKeys++;
      } else {
        if (e.lastSeen < p.start) p.seenKeys++;
        if (!e.active) {
          e.active = true;
          activeCount++;
          p.returningKeys++;
        }
      }
      e.count += r.count;
      e.windows += 1;
      e.firstSeen = minIso(e.firstSeen, r.firstSeen);
      e.lastSeen = maxIso(e.lastSeen, r.lastSeen);
      if (Object.keys(r.attrs).length > 0) e.attrs = { ...r.attrs };
      const sumNames = Object.keys(r.sums);
      if (sumNames.length > 0) {
        e.sums ??= {};
        for (const f of sumNames) e.sums[f] = (e.sums[f] ?? 0) + (r.sums[f] ?? 0);
      }
      if (rateKinds.has(r.kind)) {
        values.set(r.key, { key: r.key, field: 'count', value: r.count });
        for (const f of sumNames) values.set(`${r.key}#${f}`, { key: r.key, field: f, value: r.sums[f] ?? 0 });
      }
    }
    addHour(b.rates, h, values, canTrack);
    hours++;
    if (Date.parse(p.end) <= h + WINDOW_MS) closePoint(p);
  }

  // The open period (if any) shows the envelope as of now.
  ageOut(foldUntil, point && !point.closed ? point : undefined);
  if (point && !point.closed) {
    point.envelopeSize = activeCount;
    point.newKeyRate = point.newKeys / Math.max(1, activeCount);
  }
  if (b.convergence.length > cfg.maxPoints) b.convergence.splice(0, b.convergence.length - cfg.maxPoints);

  const verdict = convergenceStatus(b.convergence, cfg);
  b.status = verdict.status;
  b.statusReason = verdict.reason;
  if (point && !point.closed) point.status = verdict.status;
  b.entries = [...entries.values()].sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  b.watermark = iso(foldUntil);
  b.version = prev.version + 1;
  b.updatedAt = now;
  return { baseline: b, changed: true, folded, hours, late, pending };
}

/** The active envelope (keys not aged out). */
/**
 * For display only: `b` with the windows after its watermark that are not settled at `now` folded in as if they were,
 * so a subject observed minutes ago shows its behaviour at once. Never store the result: its watermark passes windows
 * that can still grow, and their later observations would never be folded.
 */
export function previewOpenWindows(
  b: Baseline,
  rows: readonly AggregateRow[],
  now: string,
): { baseline: Baseline; openWindows: number } {
  const watermarkMs = Date.parse(b.watermark);
  const nowMs = Date.parse(now);
  const open = rows.filter((r) => {
    const w = Date.parse(r.window);
    return r.subject === b.subject && w >= watermarkMs && w <= nowMs && !NON_BEHAVIOR_KINDS.has(r.kind);
  });
  if (open.length === 0) return { baseline: b, openWindows: 0 };
  const last = Math.max(...open.map((r) => Date.parse(r.window)));
  const until = Math.max(nowMs, last + WINDOW_MS + b.config.settleMs);
  const folded = updateBaseline(b, open, iso(until)).baseline;
  return { baseline: { ...folded, updatedAt: now }, openWindows: new Set(open.map((r) => r.window)).size };
}
