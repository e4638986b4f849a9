/**
 * Per-session judgement types. A session (one agent conversation: a sessionId or ticket) is reduced to a
 * serializable {@link SessionSummary}; an agent's behaviour model is its benign sessions' summaries
 * ({@link AgentModel}, pure JSON, updated with `updateAgentModel(state, sessions)`), and every judged session gets a
 * {@link SessionVerdict}: score, verdict, calibrated rate and reasons.
 */
import type { Observation } from '../../observation.ts';
import type { Change, DriftReason, EvidenceRef } from '../types.ts';

/** Where an argument value came from, as far as the traces show. */
export const PROVENANCES = ['request', 'tool-result', 'baseline', 'none'] as const;
export type Provenance = (typeof PROVENANCES)[number];

/** One value an argument carried: a token (`kind:hash`) that names one thing (an address, an account, an object). */
export interface ArgUse {
  /** Tool key of the call. */
  tool: string;
  param: string;
  /** `kind:hash` of the value (an entity inside the value, or the whole short value). */
  token: string;
  /** Word tokens of a whole short value (to find it inside prose: the request, a result). */
  words?: string[];
  /** Index of the call in the session (0-based, time order). */
  call: number;
  provenance: Provenance;
  /** For `tool-result`: the tool whose output held the value, and how long before the call (ms). */
  from?: { tool: string; agoMs: number; observationId: string };
  preview?: string;
}

/** A sensitive argument found at parse time (./../../sources/value-tokens.ts SensitiveClass). */
export interface SensitiveUse {
  tool: string;
  param: string;
  class: string;
  call: number;
  /** Tokens of the argument (to tell a routine use from a first one), and whether the request held them. */
  tokens: string[];
  inRequest: boolean;
}

/** The serializable summary of one session: what the behaviour model keeps. */
export interface SessionSummary {
  id: string;
  /** ms since epoch. */
  start: number;
  end: number;
  /** Tool-layer key (tool:, kb:, agent:) -> calls. */
  tools: Record<string, number>;
  /** Tool-layer keys in call order, immediate repeats collapsed. */
  sequence: string[];
  /** Other keys the session used (model:, api:, guardrail: ...) -> count. */
  keys: Record<string, number>;
  calls: number;
  /** Word tokens of the user's request (task similarity). */
  words: string[];
  /** Distinct argument tokens used (`tool#param` is not part of it: a value is known whatever argument carried it). */
  values: string[];
  /** `tool#param` slots used. */
  slots: string[];
  /** `tool#param|token` uses of values that came from a tool result and not from the request. */
  content: string[];
  /** `tool#param|token` uses of values found neither in the request nor in an earlier result (the model wrote them). */
  generated: string[];
  /** Sensitive argument classes used, `tool#param|class|token...`. */
  sensitive: string[];
}

/**
 * The behaviour model of one agent: its benign sessions within the lookback, judged sessions waiting to settle, and
 * keys deploys vouched for. Everything a later run needs to continue exactly where this one stopped.
 */
export interface AgentModel {
  v: 1;
  subject: string;
  sessions: SessionSummary[];
  /** Judged, not risky, not yet `settleMs` old: they join `sessions` once they are. */
  pending: SessionSummary[];
  /** Keys a consistent deploy explained (key -> deploy id): no longer new, though not yet in many sessions. */
  accepted: Record<string, string>;
}

export const FINDING_KINDS = ['new-key', 'tool-usage', 'volume', 'provenance', 'sensitive', 'secret', 'order'] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

/** The signal a finding contributes to (drift event `signals`). */
export type FindingSignal = 'patternContinuity' | 'resourceBounds' | 'argumentProvenance';

/** One reason a session is (or is not) unusual, with its weight in bits of surprise under the agent's model. */
export interface Finding {
  kind: FindingKind;
  signal: FindingSignal;
  /** -log2 of the smoothed probability of this under the agent's benign model (0 = nothing unusual). */
  bits: number;
  /** The key, tool or argument concerned. */
  key: string;
  /** One sentence a security engineer can act on. */
  text: string;
  /** Observations that show it. */
  observations: Observation[];
  /** Set when a deploy explains it (then it weighs nothing): the deploy id. */
  explainedBy?: string;
  /** Never explained away by a deploy (argument provenance, secrets). */
  unexplainable?: boolean;
  /** The change it stands for in the drift item (new keys, volumes, new orders). */
  change?: Change;
  provenance?: ArgUse;
  /** For cold start: a finding the cold-start rule accepts as risky on its own. */
  coldStart?: boolean;
}

export const SESSION_VERDICTS = ['risky', 'evolution', 'normal', 'insufficient-history'] as const;
export type SessionVerdictKind = (typeof SESSION_VERDICTS)[number];

export const CALIBRATION_METHODS = ['conformal', 'tail-fit', 'insufficient-history'] as const;
export type CalibrationMethod = (typeof CALIBRATION_METHODS)[number];

/** An agent's calibration: threshold from its own benign sessions for the false-positive budget. */
export interface Calibration {
  subject: string;
  method: CalibrationMethod;
  /** Benign sessions the threshold rests on. */
  sessions: number;
  /** Days from the first to the last of them. */
  spanDays: number;
  /** False-positive budget (share of benign sessions that may be called risky). */
  budget: number;
  /** Behaviour score (bits) above which a session is risky at half the budget; undefined without history. */
  threshold?: number;
  /** Argument-provenance score (bits) above which a session is risky at the other half; undefined without history. */
  provenanceThreshold?: number;
  /** Why there is no threshold, in words. */
  note?: string;
}

export interface SessionVerdict {
  subject: string;
  /** The session's name: its ticket when it has one, else its sessionId. */
  session: string;
  /** Agent session ids (correlation.sessionId) it groups. */
  sessionIds: string[];
  start: string;
  end: string;
  verdict: SessionVerdictKind;
  /** Session score in bits (strongest finding + a quarter of the others). */
  bits: number;
  /** Bits of the behaviour and argument-provenance families, each calibrated on its own. */
  familyBits: { behaviour: number; provenance: number };
  /** bits relative to the agent's threshold: 0.5 at the threshold, 1 at twice it (0..1). */
  score: number;
  /** Share of the agent's benign sessions scoring at least this much (calibrated; tail-fit beyond the data). */
  pValue?: number;
  budget: number;
  method: CalibrationMethod;
  threshold?: number;
  provenanceThreshold?: number;
  /** Benign sessions the calibration rests on. */
  historySessions: number;
  /** Why there is no threshold (insufficient history), in words. */
  note?: string;
  reasons: DriftReason[];
  evidence: EvidenceRef[];
  /** The session's summary (what joins the agent's model once settled, unless risky). */
  summary: SessionSummary;
  /** Findings with their observations (not serialized: for the drift item). */
  findings: Finding[];
}
