/**
 * Drift items from session verdicts: one item per risky session (its own evidence only, named by the session, with
 * the audit entry of its triggering input), and one expected-evolution item per deploy that explained what was new
 * in sessions (naming those sessions). Signals of a session item:
 * - deploymentCorrelation: 1 when a finding with weight is left unexplained (no consistent deploy), else 0;
 * - patternContinuity / resourceBounds / argumentProvenance: the unexplained bits of the findings of that signal,
 *   as 1 - 2^(-bits/4) (4 bits = 0.5: anomalous).
 */
import { auditIdFor } from '../../audit/ids.ts';
import type { DeployEvent } from '../../deploy-events/types.ts';
import { refOf } from '../signals/evidence.ts';
import type { Change, DriftObject, DriftReason, DriftSignals, EvidenceRef, SignalResult } from '../types.ts';
import { bitsToScore, combine } from './score.ts';
import type { Finding, FindingSignal, SessionVerdict } from './types.ts';

/** Most session ids named on one evolution item. */
export const MAX_ITEM_SESSIONS = 50;

const round = (x: number) => Math.round(x * 1000) / 1000;

function signal(findings: readonly Finding[], name: FindingSignal): SignalResult {
  const mine = findings.filter((f) => f.signal === name && !f.explainedBy && f.bits > 0);
  const score = round(bitsToScore(combine(mine)));
  const top = [...mine].sort((a, b) => b.bits - a.bits);
  return {
    score,
    verdict: score >= 0.5 ? 'anomalous' : 'normal',
    reason: top.length ? top[0]!.text : `nothing unusual (${name})`,
    details: top.slice(0, 5).map((f) => ({ kind: f.kind, key: f.key, bits: round(f.bits) })),
    evidence: refs(
      top.flatMap((f) => f.observations),
      20,
    ),
  };
}

function refs(obs: readonly Finding['observations'][number][], max: number): EvidenceRef[] {
  const seen = new Set<string>();
  const out: EvidenceRef[] = [];
  for (const o of obs) {
    if (seen.has(o.id) || out.length >= max) continue;
    seen.add(o.id);
    out.push(refOf(o));
  }
  return out;
}

function deploymentSignal(findings: readonly Finding[], deploys: readonly DeployEvent[]): SignalResult {
  const open = findings.filter((f) => !f.explainedBy && f.bits > 0);
  const explained = findings.filter((f) => f.explainedBy);
  const ids = [...new Set(explained.map((f) => f.explainedBy!))];
  const used = deploys.filter((d) => ids.includes(d.id));
  return {
    score: open.length > 0 ? 1 : 0,
    verdict: open.length > 0 ? 'anomalous' : 'normal',
    reason:
      open.length > 0
        ? `${open.length} finding(s) no consistent deploy explains${open.some((f) => f.unexplainable) ? ' (argument provenance and secrets are never explained by a deploy)' : ''}`
        : ids.length > 0
          ? `explained by ${ids.length} deploy(s): ${used.map((d) => d.kind).join(', ')}`
          : 'nothing to explain',
    details: [
      ...used.map((d) => ({ deployId: d.id, kind: d.kind, time: d.time, summary: d.summary })),
      ...open.slice(0, 10).map((f) => ({ unexplained: f.key, kind: f.kind })),
    ],
    evidence: [
      ...used
        .filter((d) => d.observationId)
        .map((d) => ({ observationId: d.observationId!, key: `deploy:${d.kind}`, time: d.time, correlation: {} })),
      ...refs(
        open.flatMap((f) => f.observations),
        20,
      ),
    ].slice(0, 20),
  };
}

function signalsOf(findings: readonly Finding[], deploys: readonly DeployEvent[]): DriftSignals {
  return {
    deploymentCorrelation: deploymentSignal(findings, deploys),
    patternContinuity: signal(findings, 'patternContinuity'),
    resourceBounds: signal(findings, 'resourceBounds'),
    argumentProvenance: signal(findings, 'argumentProvenance'),
  };
}

function changesOf(findings: readonly Finding[]): Change[] {
  return findings.filter((f) => f.change).map((f) => f.change!);
}

/**
 * The stored drift doc id of an item: its id without the subject (`<first window>` for window items,
 * `<session start>#<session>` and `<first start>#deploy:<id>` for session items), so docs sort by time.
 */
export function driftDocId(d: Pick<DriftObject, 'id' | 'subject'>): string {
  return d.id.startsWith(`${d.subject}@`) ? d.id.slice(d.subject.length + 1) : d.id;
}

/** The drift item of one risky session. */
export function riskyItem(v: SessionVerdict, deploys: readonly DeployEvent[]): DriftObject {
  const open = v.findings.filter((f) => !f.explainedBy && f.bits > 0);
  const top = v.reasons[0];
  const rate =
    v.pValue !== undefined
      ? `calibrated rate ${(v.pValue * 100).toPrecision(2)}% vs budget ${v.budget * 100}% (${v.method})`
      : `cold-start rule (${v.method})`;
  return {
    id: `${v.subject}@${v.start}#${v.session}`,
    subject: v.subject,
    classification: 'risky',
    score: v.score,
    from: v.start,
    to: v.end,
    signals: signalsOf(v.findings, deploys),
    evidence: v.evidence,
    changes: changesOf(open),
    ...(v.session.startsWith('episode:') ? {} : { auditId: auditIdFor(v.session) }),
    summary: `risky drift: session ${v.session}: ${top?.text ?? 'unusual session'}; ${rate}`,
    sessions: [v.session],
    reasons: v.reasons,
    calibration: {
      method: v.method,
      ...(v.pValue !== undefined ? { pValue: v.pValue } : {}),
      budget: v.budget,
      ...(v.threshold !== undefined ? { threshold: v.threshold } : {}),
      ...(v.provenanceThreshold !== undefined ? { provenanceThreshold: v.provenanceThreshold } : {}),
      bits: v.bits,
      sessions: v.historySessions,
      ...(v.note ? { note: v.note } : {}),
    },
  };
}

/**
 * What one session brings to the expected-evolution item of the deploy that explained it: enough to build the item
 * again later without the session's findings (an incremental run keeps these, lib/core/drift/incremental).
 */
export interface EvolutionPart {
  deployId: string;
  subject: string;
  session: string;
  start: string;
  end: string;
  /** Changes of the findings the deploy explained, in finding order. */
  changes: Change[];
  /** Evidence of those findings, in order (at most MAX_EVOLUTION_EVIDENCE). */
  evidence: EvidenceRef[];
  /** The session's reasons the deploy explained (the item shows its first session's). */
  reasons: DriftReason[];
}

/** Most evidence references on one evolution item. */
export const MAX_EVOLUTION_EVIDENCE = 50;

/** The evolution part of a session verdict (undefined unless a deploy explained something new in it). */
export function evolutionPart(v: SessionVerdict): EvolutionPart | undefined {
  if (v.verdict !== 'evolution') return undefined;
  const id = v.findings.find((f) => f.explainedBy && (f.kind === 'new-key' || f.kind === 'order'))?.explainedBy;
  if (!id) return undefined;
  const findings = v.findings.filter((f) => f.explainedBy === id);
  return {
    deployId: id,
    subject: v.subject,
    session: v.session,
    start: v.start,
    end: v.end,
    changes: findings.filter((f) => f.change).map((f) => f.change!),
    evidence: refs(
      findings.flatMap((f) => f.observations),
      MAX_EVOLUTION_EVIDENCE,
    ),
    reasons: v.reasons.filter((r) => r.explainedBy === id).slice(0, 5),
  };
}

/** Expected-evolution items: the sessions each deploy explained, one item per deploy. */
export function evolutionItems(verdicts: readonly SessionVerdict[], deploys: readonly DeployEvent[]): DriftObject[] {
  return evolutionItemsOf(
    verdicts.map(evolutionPart).filter((p): p is EvolutionPart => p !== undefined),
    deploys,
  );
}

/** Expected-evolution items from the parts of the sessions (in judgement order), one item per deploy. */
export function evolutionItemsOf(parts: readonly EvolutionPart[], deploys: readonly DeployEvent[]): DriftObject[] {
  const byDeploy = new Map<string, EvolutionPart[]>();
  for (const p of parts) {
    const list = byDeploy.get(p.deployId) ?? [];
    list.push(p);
    byDeploy.set(p.deployId, list);
  }
  const out: DriftObject[] = [];
  for (const [deployId, list] of byDeploy) {
    const first = list[0]!;
    const changes = new Map<string, Change>();
    for (const p of list)
      for (const ch of p.changes) {
        const k = `${ch.type}|${ch.key}`;
        const c = changes.get(k);
        if (c) c.observed += ch.observed;
        else changes.set(k, { ...ch, session: first.session });
      }
    const evidence: EvidenceRef[] = [];
    const seen = new Set<string>();
    for (const e of list.flatMap((p) => p.evidence)) {
      if (seen.has(e.observationId) || evidence.length >= MAX_EVOLUTION_EVIDENCE) continue;
      seen.add(e.observationId);
      evidence.push(e);
    }
    const d = deploys.find((x) => x.id === deployId);
    const sessions = list.map((p) => p.session);
    out.push({
      id: `${first.subject}@${first.start}#deploy:${deployId}`,
      subject: first.subject,
      classification: 'evolution',
      score: 0,
      from: first.start,
      to: list[list.length - 1]!.end,
      signals: signalsOf([explainedBy(deployId)], deploys),
      evidence,
      changes: [...changes.values()],
      summary: `expected evolution: ${changes.size} change(s) in ${list.length} session(s) explained by ${d ? `the ${d.kind} deploy at ${d.time.slice(0, 16)} (${d.summary})` : `deploy ${deployId}`}`,
      sessions: sessions.slice(0, MAX_ITEM_SESSIONS),
      reasons: first.reasons,
    });
  }
  return out;
}

/**
 * A finding the deploy explained, standing for all of an evolution item's: the item's signals depend only on which
 * deploy explained them (every one is explained, so none weighs anything).
 */
function explainedBy(deployId: string): Finding {
  return {
    kind: 'new-key',
    signal: 'patternContinuity',
    bits: 0,
    key: '',
    text: '',
    observations: [],
    explainedBy: deployId,
  };
}
