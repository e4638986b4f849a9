/**
 * Drift classification types. A drift item is a cluster of behavior changes of one subject (new keys, volume above
 * the hour-of-week envelope, new call sequences) in adjacent hourly windows, scored by three signals and
 * classified `evolution` (explained by a consistent deploy) or `risky`.
 */
import type { Correlation, Layer } from '../observation.ts';

export const CLASSIFICATIONS = ['evolution', 'risky'] as const;
export type Classification = (typeof CLASSIFICATIONS)[number];

export const CHANGE_TYPES = ['new-key', 'volume', 'sequence'] as const;
export type ChangeType = (typeof CHANGE_TYPES)[number];

/** One detected change inside a drift item. */
export interface Change {
  type: ChangeType;
  /** The behavior key (for `sequence`: the novel transition `a -> b`). */
  key: string;
  layer: Layer;
  /** Start of the hourly window (ISO). */
  window: string;
  /** Observed count in the window (sequence: sessions showing the transition). */
  observed: number;
  /** Envelope upper bound for the window's hour-of-week (0 for a key never seen in the lookback). */
  expectedUpper: number;
  /** For sequence changes: the keys of the novel transition. */
  transition?: [string, string];
  /** Session (ticket / sessionId) that showed a sequence change. */
  session?: string;
}

/** Evidence pointer, exactly as the drift event carries it. */
export interface EvidenceRef {
  observationId: string;
  key: string;
  time: string;
  correlation: Correlation;
}

export const VERDICTS = ['normal', 'anomalous'] as const;
export type Verdict = (typeof VERDICTS)[number];

/** What one signal says about a drift item. `score` is 0 (nothing to see) .. 1 (maximally risky). */
export interface SignalResult {
  score: number;
  verdict: Verdict;
  reason: string;
  /** Signal-specific facts (matched deploys, novel transitions, exceeded bounds). */
  details: Record<string, unknown>[];
  evidence: EvidenceRef[];
}

export const SIGNAL_NAMES = ['deploymentCorrelation', 'patternContinuity', 'resourceBounds'] as const;
export type SignalName = (typeof SIGNAL_NAMES)[number];

/** The drift object: the detail of the "Warden Drift Detected" event and a row of `warden drift --json`. */
export interface DriftObject {
  /** Stable id: `<subject>@<first window>`. */
  id: string;
  subject: string;
  classification: Classification;
  score: number;
  /** First and last window of the cluster. */
  from: string;
  to: string;
  signals: Record<SignalName, SignalResult>;
  evidence: EvidenceRef[];
  changes: Change[];
  /** Audit entry of the triggering input (ticket / session) when the change came through one. */
  auditId?: string;
  summary: string;
}

/** Hour-of-week bounds for one key, as the rate envelope provides them. */
export interface RateBound {
  /** Upper bound of the per-window count considered normal. */
  upper: number;
  /** Typical (median) count. */
  typical: number;
  /** Number of past windows of the same hour-of-week the bound is built from. */
  samples: number;
}

export interface DriftOptions {
  /** Lookback for the baseline of each analysed window (aging envelope), ms. Default 28 days. */
  lookbackMs: number;
  /** A subject needs this much history before its changes are classified, ms. Default 14 days. */
  minHistoryMs: number;
  /** A deploy this long before a change can explain it, ms. Default 72 h. */
  deployWindowMs: number;
  /** Windows at most this far apart merge into one drift item, ms. Default 2 h. */
  mergeGapMs: number;
  /** Score at or above which an item is risky. Default 0.5. */
  riskyThreshold: number;
  /** A deploy explains a volume change only up to this multiple of the envelope's upper bound. Default 3. */
  maxExplainedVolumeRatio: number;
  /** Observations at most this far apart (ms) without a session id are one episode. Default 5 minutes. */
  episodeGapMs: number;
}

export const DEFAULT_DRIFT_OPTIONS: DriftOptions = {
  lookbackMs: 28 * 86_400_000,
  minHistoryMs: 14 * 86_400_000,
  deployWindowMs: 72 * 3_600_000,
  mergeGapMs: 2 * 3_600_000,
  riskyThreshold: 0.5,
  maxExplainedVolumeRatio: 3,
  episodeGapMs: 5 * 60_000,
};
