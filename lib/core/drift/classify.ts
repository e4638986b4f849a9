/**
 * Drift classification of one subject over a period, in two parts:
 * - agent sessions (a sessionId or ticket, with the API calls made inside them) are judged one by one against the
 *   agent's own benign sessions (./session/): every session gets a score, a verdict and reasons; a risky session is
 *   one drift item, and the sessions a deploy explains form one expected-evolution item per deploy;
 * - the layers without sessions (flows, kernel, API calls no session made) keep the window-level detection of new
 *   keys and volume (./changes.ts), combined per cluster as
 *     change score = deploymentCorrelation(c) x max(patternContinuity(c), resourceBounds(c))
 *   with the cluster's score its worst change, so an attack hidden among the changes of a real deploy is not diluted.
 * Session items name overlapping window items in `related`, and the reverse.
 */

import { auditIdFor } from '../audit/ids.ts';
import type { DeployEvent } from '../deploy-events/types.ts';
import type { Observation } from '../observation.ts';
import type { AggregateRow } from '../store/aggregate-row.ts';
import { type ChangeCluster, detectChanges } from './changes.ts';
import { buildSessions, type Session } from './sequences.ts';
import { evolutionItems, riskyItem } from './session/items.ts';
import { judgeAgent } from './session/judge.ts';
import { emptyAgentModel, updateAgentModel } from './session/model.ts';
import type { AgentModel, Calibration, SessionVerdict } from './session/types.ts';
import { type SessionView, sessionView } from './session/view.ts';
import { SIGNALS } from './signals/index.ts';
import type { SignalOutput } from './signals/types.ts';
import { aggregateObservations, type Timeline, timelineFromAggregates } from './timeline.ts';
import {
  DEFAULT_DRIFT_OPTIONS,
  type DriftObject,
  type DriftOptions,
  type DriftSignals,
  type EvidenceRef,
  type SignalName,
} from './types.ts';

export interface DriftInput {
  subject: string;
  /** Aggregates of the subject covering the lookback before `from` and the period itself. */
  aggregates: AggregateRow[];
  /** Evidence observations of the subject over the same span. */
  evidence: Observation[];
  deploys: DeployEvent[];
  /** Period to classify, ISO. */
  from: string;
  to: string;
  options?: Partial<DriftOptions>;
  /** The agent's behaviour model before `from` (kept from an earlier run); default: built from the evidence. */
  history?: AgentModel;
}

export interface DriftJudgement {
  items: DriftObject[];
  /** Every agent session of the period with its score, verdict and reasons. */
  sessions: SessionVerdict[];
  /** The agent's model after the period (the state to keep). */
  model: AgentModel;
  calibration: Calibration;
}

/** Most evidence references on one drift object. */
export const MAX_EVIDENCE = 50;

const round = (x: number) => Math.round(x * 1000) / 1000;

function combine(outputs: Record<SignalName, SignalOutput>, n: number): { score: number; worst: number } {
  let score = 0;
  let worst = 0;
  for (let i = 0; i < n; i++) {
    const dc = outputs.deploymentCorrelation.byChange[i]!;
    const mag = Math.max(outputs.patternContinuity.byChange[i]!, outputs.resourceBounds.byChange[i]!);
    const s = dc * mag;
    if (s > score) {
      score = s;
      worst = i;
    }
  }
  return { score, worst };
}

/** The triggering input of a change: a ticket or agent session whose evidence shows its key, when there is one. */
function triggerOf(cluster: ChangeCluster, index: number, evidence: Observation[]): string | undefined {
  const ch = cluster.changes[index];
  if (!ch) return undefined;
  const o = evidence.find((o) => o.key === ch.key && (o.correlation.ticket || o.correlation.sessionId));
  return o ? String(o.correlation.ticket ?? o.correlation.sessionId) : undefined;
}

/** Scores one change cluster. */
export function classifyCluster(
  cluster: ChangeCluster,
  deploys: DeployEvent[],
  evidence: Observation[],
  options: DriftOptions,
): DriftObject {
  const lo = new Date(cluster.from).toISOString();
  const hi = new Date(cluster.to + 3_600_000).toISOString();
  const inRange = evidence.filter((o) => o.time >= lo && o.time < hi);
  const ctx = { cluster, deploys, evidence: inRange, options };
  const outputs = Object.fromEntries(SIGNALS.map((s) => [s.name, s.evaluate(ctx)])) as Record<SignalName, SignalOutput>;
  const { score, worst } = combine(outputs, cluster.changes.length);
  const classification = score >= options.riskyThreshold ? 'risky' : 'evolution';
  const signals = Object.fromEntries(
    Object.entries(outputs).map(([k, v]) => [k, { ...v.result, score: round(v.result.score) }]),
  ) as DriftSignals;
  signals.argumentProvenance = {
    score: 0,
    verdict: 'normal',
    reason: 'window-level item (no agent session): argument provenance does not apply',
    details: [],
    evidence: [],
  };
  const seen = new Set<string>();
  const all: EvidenceRef[] = [];
  for (const name of ['resourceBounds', 'patternContinuity', 'deploymentCorrelation'] as const) {
    for (const e of signals[name].evidence) {
      if (seen.has(e.observationId) || all.length >= MAX_EVIDENCE) continue;
      seen.add(e.observationId);
      all.push(e);
    }
  }
  const trigger = classification === 'risky' ? triggerOf(cluster, worst, inRange) : undefined;
  const worstChange = cluster.changes[worst];
  const summary =
    classification === 'risky'
      ? `risky drift: ${worstChange?.type} ${worstChange?.key}${trigger ? ` via ${trigger}` : ''}; ${signals.deploymentCorrelation.reason}`
      : `expected evolution: ${signals.deploymentCorrelation.reason}`;
  return {
    id: `${cluster.subject}@${lo}`,
    subject: cluster.subject,
    classification,
    score: round(score),
    from: lo,
    to: new Date(cluster.to).toISOString(),
    signals,
    evidence: all,
    changes: cluster.changes,
    ...(trigger ? { auditId: auditIdFor(trigger) } : {}),
    summary,
  };
}

/** Sources whose observations belong to agent sessions (judged per session when they join one). */
const SESSION_SOURCES: ReadonlySet<string> = new Set(['bedrock-trace', 'bedrock-invocation']);

function sessionCapable(layer: string, sources: readonly string[]): boolean {
  return layer === 'cloud-api' || (sources.length > 0 && sources.every((x) => SESSION_SOURCES.has(x)));
}

/** The agent sessions of a subject's evidence (episodes left out), their views, and the observations they hold. */
export function subjectSessions(
  subject: string,
  evidence: Observation[],
  options: DriftOptions,
): { sessions: Session[]; views: SessionView[]; inSession: Set<string> } {
  const sessions = buildSessions(evidence, undefined, options.episodeGapMs).filter((s) => !s.id.startsWith('episode:'));
  const inSession = new Set<string>();
  for (const s of sessions) for (const o of s.observations) inSession.add(o.id);
  return { sessions, views: sessions.map((s) => sessionView(subject, s)), inSession };
}

/**
 * The window-level rows of a subject: its aggregates of the layers without sessions, plus the session-capable
 * observations that joined no agent session (aggregated as the store does).
 */
export function windowRows(
  subject: string,
  aggregates: AggregateRow[],
  evidence: Observation[],
  inSession: ReadonlySet<string>,
): AggregateRow[] {
  return [
    ...aggregates.filter((r) => r.subject === subject && !sessionCapable(r.layer, r.sources)),
    ...aggregateObservations(evidence.filter((o) => !inSession.has(o.id) && sessionCapable(o.layer, [o.source]))),
  ];
}

/** Window-level items of the windows in [fromMs, toMs) of a subject's timeline. */
export function windowItems(
  tl: Timeline,
  fromMs: number,
  toMs: number,
  deploys: DeployEvent[],
  evidence: Observation[],
  options: DriftOptions,
): DriftObject[] {
  const deployTimes = deploys.filter((d) => d.subject === tl.subject).map((d) => Date.parse(d.time));
  return detectChanges(tl, fromMs, toMs, options, deployTimes).map((c) =>
    classifyCluster(c, deploys, evidence, options),
  );
}

/**
 * Judges one subject over [from, to): per-session verdicts and items for agent sessions, window-level items for the
 * rest (see the module comment).
 * @example judgeDrift({ subject, aggregates, evidence, deploys, from: '2026-10-01T00:00:00Z', to: now })
 */
export function judgeDrift(input: DriftInput): DriftJudgement {
  const options: DriftOptions = { ...DEFAULT_DRIFT_OPTIONS, ...input.options };
  const subject = input.subject;
  const fromMs = Date.parse(input.from);
  const toMs = Date.parse(input.to);
  const evidence = input.evidence.filter((o) => o.subject === subject);
  const { views, inSession } = subjectSessions(subject, evidence, options);
  const history =
    input.history ??
    updateAgentModel(
      emptyAgentModel(subject),
      views.filter((v) => v.start < fromMs).map((v) => v.summary),
      fromMs,
      options.sessionLookbackMs,
    );
  const judged = judgeAgent(
    history,
    views.filter((v) => v.start >= fromMs && v.start < toMs),
    input.deploys,
    options,
    toMs,
  );
  const sessionItems = [
    ...judged.verdicts.filter((v) => v.verdict === 'risky').map((v) => riskyItem(v, input.deploys)),
    ...evolutionItems(judged.verdicts, input.deploys),
  ];
  const tl = timelineFromAggregates(subject, windowRows(subject, input.aggregates, evidence, inSession));
  const windowed = windowItems(tl, fromMs, toMs, input.deploys, evidence, options);
  linkRelated(sessionItems, windowed);
  const items = [...windowed, ...sessionItems].sort((a, b) => a.from.localeCompare(b.from) || a.id.localeCompare(b.id));
  return { items, sessions: judged.verdicts, model: judged.model, calibration: judged.calibration };
}

/** Session items and window items of a subject that overlap in time name each other. */
export function linkRelated(sessionItems: DriftObject[], windowItems: DriftObject[]): void {
  for (const s of sessionItems)
    for (const w of windowItems) {
      const wEnd = Date.parse(w.to) + 3_600_000;
      if (Date.parse(w.from) <= Date.parse(s.to) && Date.parse(s.from) < wEnd) {
        s.related = [...(s.related ?? []), w.id];
        w.related = [...(w.related ?? []), s.id];
      }
    }
}

/**
 * Classifies every change of one subject in [from, to) (the drift items of {@link judgeDrift}).
 * @example classifyDrift({ subject, aggregates, evidence, deploys, from: '2026-10-01T00:00:00Z', to: now })
 */
export function classifyDrift(input: DriftInput): DriftObject[] {
  return judgeDrift(input).items;
}
