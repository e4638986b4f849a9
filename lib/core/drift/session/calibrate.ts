/**
 * Calibration: each agent's thresholds come from its own benign sessions. Every session of the model is scored
 * against the model of all the others (leave one out: the way a new session is scored against the model of all of
 * them), per family (./score.ts: behaviour, argument provenance), and a new session's p-value in a family is the share
 * of those scores at or above its own, (1 + #{L >= s}) / (n + 1) (conformal: exchangeable benign sessions are flagged
 * at most at the rate the threshold is set for). Each family gets half the budget. With fewer sessions than that can
 * resolve (n + 1 < 2 / budget) the upper tail is fitted with an exponential above the top fifth of the scores (peaks
 * over a threshold) and extrapolated; the method says which. Too few sessions, or too short a span, is
 * `insufficient-history`: no threshold, and the report says so.
 */
import type { ModelIndex } from './model.ts';
import { FAMILIES, type Family, familyBits, sessionFindings } from './score.ts';
import type { SinkMarks } from './sinks.ts';
import type { Calibration } from './types.ts';

export interface CalibrationOptions {
  /** False-positive budget, 0 < budget < 1. */
  budget: number;
  /** Sessions needed before an agent has a threshold. */
  minSessions: number;
  /** Span of history needed (ms). */
  minHistoryMs: number;
  /** Most sessions scored for calibration (the newest). */
  maxCalibrationSessions: number;
  marks?: SinkMarks;
}

export interface FamilyCalibration {
  /** Leave-one-out scores of the benign sessions, ascending. */
  scores: number[];
  threshold: number;
  /** Tail fit (when used): scores above `u` decay with scale `beta`; `m` scores lie above `u`. */
  tail?: { u: number; beta: number; m: number };
}

export interface Calibrated {
  calibration: Calibration;
  families?: Record<Family, FamilyCalibration>;
}

/** Smallest scale of the fitted tail, in bits (no threshold sits right on top of identical scores). */
export const MIN_TAIL_SCALE = 1;

export function calibrate(ix: ModelIndex, opts: CalibrationOptions): Calibrated {
  const spanDays = ix.n > 0 ? (ix.lastStart - ix.firstStart) / 86_400_000 : 0;
  const base = { subject: ix.model.subject, sessions: ix.n, spanDays: round(spanDays), budget: opts.budget };
  if (ix.n < opts.minSessions || spanDays * 86_400_000 < opts.minHistoryMs) {
    const have = ix.n === 0 ? 'no benign session yet' : `${ix.n} benign session(s) over ${Math.round(spanDays)} day(s)`;
    const note = `insufficient history: ${have}; a threshold needs ${opts.minSessions} sessions over ${Math.round(opts.minHistoryMs / 86_400_000)} days`;
    return { calibration: { ...base, method: 'insufficient-history', note } };
  }
  const sample = ix.model.sessions.slice(-opts.maxCalibrationSessions);
  const loo = sample.map((s) =>
    familyBits(sessionFindings(ix, s, { ex: s, ...(opts.marks ? { marks: opts.marks } : {}) })),
  );
  const alpha = opts.budget / FAMILIES.length;
  const families = Object.fromEntries(
    FAMILIES.map((f) => [
      f,
      fitFamily(
        loo.map((x) => x[f]).sort((a, b) => a - b),
        alpha,
      ),
    ]),
  ) as Record<Family, FamilyCalibration>;
  const method = families.behaviour.tail ? 'tail-fit' : 'conformal';
  return {
    calibration: {
      ...base,
      method,
      threshold: round(families.behaviour.threshold),
      provenanceThreshold: round(families.provenance.threshold),
    },
    families,
  };
}

/** Threshold of one family's ascending scores at level alpha: conformal when n resolves it, else a tail fit. */
function fitFamily(scores: number[], alpha: number): FamilyCalibration {
  const n = scores.length;
  if ((n + 1) * alpha >= 1) {
    const k = Math.ceil((n + 1) * (1 - alpha));
    return { scores, threshold: scores[Math.min(k, n) - 1]! };
  }
  const m = Math.max(5, Math.ceil(0.2 * n));
  const u = scores[n - m - 1] ?? 0;
  const top = scores.slice(n - m);
  const beta = Math.max(MIN_TAIL_SCALE, top.reduce((a, x) => a + (x - u), 0) / m);
  return { scores, threshold: u + beta * Math.log(m / ((n + 1) * alpha)), tail: { u, beta, m } };
}

/** Share of the agent's benign sessions expected to score at least `bits` in a family (see the module comment). */
export function pValue(c: Calibrated, family: Family, bits: number): number | undefined {
  const f = c.families?.[family];
  if (!f) return undefined;
  const n = f.scores.length;
  if (f.tail && bits > f.tail.u) return (f.tail.m / (n + 1)) * Math.exp(-(bits - f.tail.u) / f.tail.beta);
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (f.scores[mid]! < bits - 1e-9) lo = mid + 1;
    else hi = mid;
  }
  return (1 + (n - lo)) / (n + 1);
}

const round = (x: number) => Math.round(x * 1000) / 1000;
