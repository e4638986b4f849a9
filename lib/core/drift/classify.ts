/**
 * Combination of the signals into `evolution | risky`. A change is risky only when no consistent deploy explains
 * it; how risky depends on how far it breaks continuity or bounds:
 *   change score = deploymentCorrelation(c) x max(patternContinuity(c), resourceBounds(c))
 * and the cluster's score is its worst change. So an attack hidden among the changes of a real deploy is not
 * diluted by them, and a deploy never explains a burst far beyond its envelope or a destination it did not bring.
 */
import type { AggregateRow } from '../../ports.ts';
import { auditIdFor } from '../audit/ids.ts';
import type { DeployEvent } from '../deploy-events/types.ts';
import type { Observation } from '../observation.ts';
import { type ChangeCluster, detectChanges } from './changes.ts';
import { SIGNALS } from './signals/index.ts';
import type { SignalOutput } from './signals/types.ts';
import { timelineFromAggregates } from './timeline.ts';
import {
  DEFAULT_DRIFT_OPTIONS,
  type DriftObject,
  type DriftOptions,
  type EvidenceRef,
  type SignalName,
  type SignalResult,
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

/** The triggering input of a change: a ticket or agent session it came through, when there is one. */
function triggerOf(cluster: ChangeCluster, index: number, evidence: Observation[]): string | undefined {
  const ch = cluster.changes[index];
  if (!ch) return undefined;
  const named = (id: string) => (id.startsWith('episode:') ? undefined : id);
  if (ch.session) return named(ch.session);
  const s = cluster.novelSessions.find(
    (s) => s.symbols.includes(ch.key) || s.observations.some((o) => o.key === ch.key),
  );
  if (s) return named(s.id);
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
  ) as Record<SignalName, SignalResult>;
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

/**
 * Classifies every change of one subject in [from, to).
 * @example classifyDrift({ subject, aggregates, evidence, deploys, from: '2026-10-01T00:00:00Z', to: now })
 */
export function classifyDrift(input: DriftInput): DriftObject[] {
  const options = { ...DEFAULT_DRIFT_OPTIONS, ...input.options };
  const tl = timelineFromAggregates(input.subject, input.aggregates);
  const evidence = input.evidence.filter((o) => o.subject === input.subject);
  const deployTimes = input.deploys.filter((d) => d.subject === input.subject).map((d) => Date.parse(d.time));
  const clusters = detectChanges(tl, evidence, Date.parse(input.from), Date.parse(input.to), options, deployTimes);
  return clusters.map((c) => classifyCluster(c, input.deploys, evidence, options));
}
