/**
 * Baseline contract: the behavior envelope of one subject (a Deployment, so replicas and rollouts merge, or a Bedrock
 * agent), its convergence series and its rate envelopes. Built incrementally from the store's hourly AggregateRows by
 * {@link ./update.ts}; consumed by drift (rate envelopes), artifacts (EnvelopeEntry[]) and the report (charts).
 */
import type { Layer } from '../observation.ts';
import type { RateEnvelopeSet } from './rate-envelope.ts';

export const BASELINE_SCHEMA = 'warden.baseline/v1' as const;

export const BASELINE_STATUSES = ['learning', 'converging', 'stable', 'unstable'] as const;
export type BaselineStatus = (typeof BASELINE_STATUSES)[number];

/** One behavior key in the envelope, with its whole history summarized. */
export interface EnvelopeEntry {
  /** Canonical behavior key (see core/observation.ts), e.g. `exec:/usr/bin/python3`. */
  key: string;
  layer: Layer;
  /** Prefix of the key (`exec`, `net`, `api` ...). */
  kind: string;
  /** Total count over all windows seen. */
  count: number;
  /** ISO time the key was first seen. */
  firstSeen: string;
  /** ISO time the key was last seen. */
  lastSeen: string;
  /** Number of hourly windows in which the key was seen. */
  windows: number;
  /** False once the key has been unseen for longer than the aging period: it left the active envelope (kept as history). */
  active: boolean;
  /** Summed numeric attributes over all windows (bytes, records, tokens ...), when the source provided any. */
  sums?: Record<string, number>;
  /** Attributes of the most recent window's aggregate (e.g. argv of an exec, size of a model file, sha256 of a prompt). */
  attrs?: Record<string, unknown>;
}

/** One convergence period (default one day): how much the envelope still changes. */
export interface ConvergencePoint {
  /** ISO start of the period. */
  start: string;
  /** ISO end (exclusive) of the period. */
  end: string;
  /** Keys seen for the first time ever in this period. */
  newKeys: number;
  /** Aged keys that came back in this period (re-entered the active envelope). */
  returningKeys: number;
  /** Keys that left the active envelope (aged out) during this period. */
  agedKeys: number;
  /** Distinct keys seen in this period. */
  seenKeys: number;
  /** Active envelope size at the end of the period (or now, for the open period). */
  envelopeSize: number;
  /** newKeys / max(1, envelopeSize): the new-behavior rate the status rule looks at. */
  newKeyRate: number;
  /** Sum of counts of all aggregates in this period. */
  observations: number;
  /** False while the period is still open (its numbers can still grow). */
  closed: boolean;
  /** Status after this period closed (the open period carries the current status). */
  status: BaselineStatus;
}

/**
 * Tunables of the baseline. The status rule (see convergence.ts):
 * - `learning`   fewer than `minPeriods` closed periods with observations;
 * - `stable`     each of the last `stablePeriods` closed periods has newKeyRate <= `stableRate`;
 * - `unstable`   each of the last `stablePeriods` closed periods has newKeyRate >= `unstableRate`;
 * - `converging` otherwise.
 */
export interface BaselineConfig {
  /** Length of a convergence period in ms (default 1 day). Must be a multiple of the hourly store window. */
  periodMs: number;
  /** Closed periods with observations required before leaving `learning` (default 3). */
  minPeriods: number;
  /** K: consecutive closed periods the rate rule must hold for (default 3). */
  stablePeriods: number;
  /** New-key rate at or below which a period counts as quiet (default 0.02 = 2% of the envelope). */
  stableRate: number;
  /** New-key rate at or above which a period counts as churning (default 0.25). */
  unstableRate: number;
  /** A key unseen for this long leaves the active envelope (default 14 days). */
  agingMs: number;
  /** Most keys with a rate envelope (volume-type kinds only); later keys get none (default 150; bounds the doc: ~9 KB per series before gzip). */
  maxRateKeys: number;
  /** Key kinds that get rate envelopes (volume-type behavior). */
  rateKinds: string[];
  /** Most convergence points kept in the doc (oldest dropped), so the doc stays bounded (default 120). */
  maxPoints: number;
  /**
   * An hourly window is folded in only once `settleMs` has passed after its end (default 1 hour), so aggregates still
   * receiving late records (CloudTrail delivers in ~5-15 min) are complete. Records arriving later than that for an
   * already folded window stay in the store but are not added to the baseline (counted as `late` by the update).
   */
  settleMs: number;
}

export const DEFAULT_BASELINE_CONFIG: BaselineConfig = {
  periodMs: 86_400_000,
  minPeriods: 3,
  stablePeriods: 3,
  stableRate: 0.02,
  unstableRate: 0.25,
  agingMs: 14 * 86_400_000,
  maxRateKeys: 150,
  rateKinds: ['api', 'model', 'tool', 'net', 'dns', 'kb', 'agent'],
  maxPoints: 120,
  settleMs: 3_600_000,
};

/** The baseline document of one subject, stored as Doc kind `baseline`, scope = subject, id = `current`. */
export interface Baseline {
  schema: typeof BASELINE_SCHEMA;
  subject: string;
  /** Increments on every update that changed anything. */
  version: number;
  /** ISO time of the last update (the `now` it was computed at). */
  updatedAt: string;
  status: BaselineStatus;
  /** One line explaining the status by the rule. */
  statusReason: string;
  config: BaselineConfig;
  /**
   * ISO start of the first hourly window NOT yet folded in: every aggregate with window < watermark is already in the
   * envelope. An update reads only windows >= watermark, so it costs O(new observations), not O(history).
   */
  watermark: string;
  /** Active and aged keys, sorted by key. */
  entries: EnvelopeEntry[];
  /** One point per convergence period, oldest first; the last one may be open. */
  convergence: ConvergencePoint[];
  /** Hour-of-week rate envelopes per volume-type key (see rate-envelope.ts). */
  rates: RateEnvelopeSet;
}
