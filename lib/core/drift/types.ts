/**
 * Drift classification types. A drift item is either about agent sessions (one risky session, or the sessions a
 * deploy explains: per-session judgement, ./session/) or a cluster of changes of the session-less layers (flows,
 * kernel, API calls no session made: new keys, volume above the hour-of-week envelope) in adjacent hourly windows.
 * Each is scored by the signals and classified `evolution` (explained by a consistent deploy) or `risky`.
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

/**
 * The signals of a drift item: the three of every item, plus argument provenance on session items (values an
 * argument took from a tool result, sensitive arguments, secrets; see ./session/findings/provenance.ts).
 */
export type DriftSignals = Record<SignalName, SignalResult> & { argumentProvenance?: SignalResult };

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
  signals: DriftSignals;
  evidence: EvidenceRef[];
  changes: Change[];
  /** Audit entry of the triggering input (ticket / session) when the change came through one. */
  auditId?: string;
  summary: string;
  /** Agent session(s) the item is about (ticket or sessionId); its evidence comes from these sessions only. */
  sessions?: string[];
  /** Why, strongest first, in words a security engineer can act on. */
  reasons?: DriftReason[];
  /** How the verdict was calibrated (session items). */
  calibration?: DriftCalibration;
  /** Ids of drift items of the same subject overlapping in time (session items <-> window items). */
  related?: string[];
  /**
   * Set on a stored item that a later judgement of the same data no longer makes (late data changed it): kept, not
   * deleted, and never published again. Readers of stored items leave these out.
   */
  retracted?: { at: string; reason: string };
}

/** One reason of a drift item (a finding of the per-session judgement, see ./session/findings). */
export interface DriftReason {
  kind: 'new-key' | 'tool-usage' | 'volume' | 'provenance' | 'sensitive' | 'secret' | 'order';
  signal: SignalName | 'argumentProvenance';
  /** Surprise under the agent's benign model, in bits (-log2 of a probability); 0 for context only. */
  bits: number;
  /** The key, tool or `tool#param` concerned. */
  key: string;
  text: string;
  /** The deploy that explains it, when one does. */
  explainedBy?: string;
  /** For argument provenance: where the value came from (no value itself, only its display form under the policy). */
  provenance?: {
    tool: string;
    param: string;
    /** Token kind of the value: em, url, host, iban, num, id, path, val. */
    valueKind: string;
    /** Display form under the content policy (absent with hash-only). */
    value?: string;
    source: 'request' | 'tool-result' | 'baseline' | 'none';
    /** The tool whose output held the value, and how many seconds before the call. */
    from?: { tool: string; secondsBefore: number };
    newToAgent: boolean;
    inRequest: boolean;
  };
}

/** Calibration of a session verdict against the agent's own benign sessions. */
export interface DriftCalibration {
  method: 'conformal' | 'tail-fit' | 'insufficient-history';
  /** Share of the agent's benign sessions expected to score at least this session (absent without history). */
  pValue?: number;
  /** The false-positive budget the threshold is set for. */
  budget: number;
  /** Behaviour threshold in bits (absent without history). */
  threshold?: number;
  /** Argument-provenance threshold in bits (absent without history). */
  provenanceThreshold?: number;
  /** Session score in bits. */
  bits: number;
  /** Benign sessions the calibration rests on. */
  sessions: number;
  note?: string;
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
  /** False-positive budget of the per-session judgement (share of benign sessions called risky). Default 0.01. */
  fpBudget: number;
  /** Benign sessions of an agent within this lookback form its behaviour model, ms. Default 42 days. */
  sessionLookbackMs: number;
  /** A judged session joins the model once this old (time to review it), unless risky, ms. Default 7 days. */
  settleMs: number;
  /** Benign sessions an agent needs before it has a calibrated threshold. Default 20. */
  minSessions: number;
  /** Most sessions scored to calibrate one agent (the newest). Default 400. */
  maxCalibrationSessions: number;
  /** A session is risky only at this many bits or more, whatever its calibrated rate (1 in 16). Default 4. */
  minRiskyBits: number;
  /** Tool arguments the user marks as sinks / not sinks (`tool:<group>/<fn>[#<param>]`, `*` wildcard). */
  sinks: string[];
  notSinks: string[];
}

export const DEFAULT_DRIFT_OPTIONS: DriftOptions = {
  lookbackMs: 28 * 86_400_000,
  minHistoryMs: 14 * 86_400_000,
  deployWindowMs: 72 * 3_600_000,
  mergeGapMs: 2 * 3_600_000,
  riskyThreshold: 0.5,
  maxExplainedVolumeRatio: 3,
  episodeGapMs: 5 * 60_000,
  fpBudget: 0.01,
  sessionLookbackMs: 42 * 86_400_000,
  settleMs: 7 * 86_400_000,
  minSessions: 20,
  maxCalibrationSessions: 400,
  minRiskyBits: 4,
  sinks: [],
  notSinks: [],
};
