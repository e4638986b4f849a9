/**
 * Per-session judgement of one agent over a period: each session (in time order) is scored against the agent's
 * benign model as of that day, its findings are explained by deploys where a consistent one exists, and the score is
 * turned into a verdict by the agent's calibration:
 * - `risky`: calibrated p-value within the false-positive budget (and at least `minRiskyBits`), or a sensitive
 *   argument or secret (a rule, whatever the calibration); without history only the cold-start rule decides:
 *   sensitive arguments, secrets, and an address taken from a tool result into an outbound tool's destination;
 * - `evolution`: not risky, and a deploy explains what was new in it;
 * - `normal`, or `insufficient-history` when the agent has no threshold yet.
 * Sessions join the model once `settleMs` old, unless risky (a missed hijack does not become normal at once); the
 * model and calibration are refreshed once per day.
 */
import { createHash } from 'node:crypto';
import type { DeployEvent } from '../../deploy-events/types.ts';
import { refOf } from '../signals/evidence.ts';
import type { DriftOptions, DriftReason, EvidenceRef } from '../types.ts';
import { type Calibrated, type CalibrationOptions, calibrate, pValue } from './calibrate.ts';
import { explainFindings } from './explain.ts';
import { SENSITIVE_BITS } from './findings/sensitive.ts';
import { indexModel, type ModelIndex, updateAgentModel } from './model.ts';
import { combine, FAMILIES, type Family, familyBits, sessionFindings } from './score.ts';
import type { SinkMarks } from './sinks.ts';
import type { AgentModel, Calibration, Finding, SessionSummary, SessionVerdict, SessionVerdictKind } from './types.ts';
import type { SessionView } from './view.ts';

const DAY = 86_400_000;
/** Most evidence references on one session verdict. */
export const MAX_SESSION_EVIDENCE = 50;
/** Most reasons kept on one session verdict. */
export const MAX_REASONS = 12;

export interface AgentJudgement {
  verdicts: SessionVerdict[];
  /** The model after the period (settled benign sessions added): the state to keep for the next run. */
  model: AgentModel;
  /** Calibration in force at the end of the period. */
  calibration: Calibration;
}

/**
 * Where the judgement of an agent stands between two sessions: everything the next session's verdict depends on.
 * Serializable, so a later run continues exactly where this one stopped (lib/core/drift/incremental).
 */
export interface JudgeCheckpoint {
  /** The model as of the last refresh, `pending` holding the judged sessions not settled yet, `accepted` so far. */
  model: AgentModel;
  /** UTC day (days since the epoch) of the last refresh; absent before the first. */
  day?: number;
  /**
   * Accepted keys the calibration in force was computed with (a calibration is refreshed with the model's sessions,
   * not with every accepted key); absent before the first calibration.
   */
  calAccepted?: string[];
}

/** What a session left on the judgement, enough to step past it again without scoring it (see AgentJudge.replay). */
export interface JudgedStep {
  summary: SessionSummary;
  risky: boolean;
  /** Keys a deploy explained in it (key -> deploy id). */
  accepted: Record<string, string>;
}

/**
 * The per-session judgement of one agent as a stepper: sessions in (start, id) order, each judged (`judge`) or, when
 * its verdict is known from an earlier run, stepped past (`replay`); the model is refreshed (settled sessions added,
 * old ones aged out) once per UTC day of the sessions, and calibrated again when its sessions changed.
 */
export class AgentJudge {
  private model: AgentModel;
  private pending: SessionSummary[];
  private day: number;
  private calAccepted: string[] | undefined;
  private ix: ModelIndex | undefined;
  private cal: Calibrated | undefined;
  private readonly mine: DeployEvent[];
  private readonly marks: SinkMarks;

  constructor(
    start: JudgeCheckpoint,
    deploys: readonly DeployEvent[],
    private readonly opts: DriftOptions,
  ) {
    this.model = start.model;
    this.pending = [...(start.model.pending ?? [])];
    this.day = start.day ?? Number.NaN;
    this.calAccepted = start.calAccepted;
    this.mine = deploys.filter((d) => d.subject === start.model.subject);
    this.marks = { sinks: opts.sinks, notSinks: opts.notSinks };
  }

  /** Scores one session (after every earlier one) and returns its verdict. */
  judge(v: SessionView): SessionVerdict {
    return this.judgeStep(v).verdict;
  }

  /** Scores one session and returns its verdict with what it left on the judgement (to replay it later). */
  judgeStep(v: SessionView): { verdict: SessionVerdict; step: JudgedStep } {
    this.enterDay(v.start);
    const { ix, cal } = this.calibrated();
    const findings = sessionFindings(ix, v.summary, { view: v, marks: this.marks });
    const accepted = explainFindings(findings, this.mine, ix, v.start, v.end, this.opts);
    this.accept(accepted);
    const verdict = decide(findings, cal, this.opts, v);
    const risky = verdict.verdict === 'risky';
    if (!risky) this.pending.push(v.summary);
    return { verdict, step: { summary: v.summary, risky, accepted } };
  }

  /** Steps past a session judged before, exactly as judging it did (no scoring). */
  replay(step: JudgedStep): void {
    this.enterDay(step.summary.start);
    this.accept(step.accepted);
    if (!step.risky) this.pending.push(step.summary);
  }

  /** Where the judgement stands now (before the next session). */
  checkpoint(): JudgeCheckpoint {
    return {
      model: { ...this.model, pending: [...this.pending] },
      ...(Number.isFinite(this.day) ? { day: this.day } : {}),
      ...(this.calAccepted ? { calAccepted: this.calAccepted } : {}),
    };
  }

  /** The model and calibration as of `endMs` (settled sessions joined), leaving the stepper as it is. */
  end(endMs: number): { model: AgentModel; calibration: Calibration } {
    const copy = new AgentJudge(this.checkpoint(), [], this.opts);
    copy.ix = this.ix;
    copy.cal = this.cal;
    copy.refresh(endMs);
    const { cal } = copy.calibrated();
    return { model: { ...copy.model, pending: copy.pending }, calibration: cal.calibration };
  }

  private enterDay(startMs: number): void {
    const d = Math.floor(startMs / DAY);
    if (d !== this.day || this.calAccepted === undefined) {
      this.refresh(d * DAY);
      this.day = d;
    }
  }

  private accept(accepted: Record<string, string>): void {
    if (Object.keys(accepted).length === 0) return;
    this.model = { ...this.model, accepted: { ...this.model.accepted, ...accepted } };
    if (this.ix) this.ix.model = this.model;
  }

  /** Settles pending sessions and ages the model as of `nowMs`; a new calibration basis when its sessions changed. */
  private refresh(nowMs: number): void {
    const settled = this.pending.filter((v) => v.start < nowMs - this.opts.settleMs);
    this.pending = this.pending.filter((v) => v.start >= nowMs - this.opts.settleMs);
    const next = updateAgentModel(this.model, settled, nowMs, this.opts.sessionLookbackMs);
    if (this.calAccepted !== undefined && sameSessions(next, this.model)) return;
    this.model = next;
    this.ix = undefined;
    this.cal = undefined;
    this.calAccepted = Object.keys(next.accepted).sort();
  }

  /** The index of the model and the calibration in force (computed when first needed after a refresh). */
  private calibrated(): { ix: ModelIndex; cal: Calibrated } {
    if (!this.ix) this.ix = indexModel(this.model);
    if (!this.cal) {
      const basis = new Set(this.calAccepted ?? []);
      const accepted = Object.fromEntries(Object.entries(this.model.accepted).filter(([k]) => basis.has(k)));
      const ix = sameKeys(accepted, this.model.accepted) ? this.ix : indexModel({ ...this.model, accepted });
      this.cal = calibrated(ix, {
        budget: this.opts.fpBudget,
        minSessions: this.opts.minSessions,
        minHistoryMs: this.opts.minHistoryMs,
        maxCalibrationSessions: this.opts.maxCalibrationSessions,
        marks: this.marks,
      });
    }
    return { ix: this.ix, cal: this.cal };
  }
}

/**
 * Judges the sessions of one agent. `history` is its model before the period; `views` the sessions to judge;
 * `endMs` the end of the period (the model returned is as of then).
 * @example judgeAgent(model, views, deploys, { ...DEFAULT_DRIFT_OPTIONS, fpBudget: 0.01 }, Date.parse(to))
 */
export function judgeAgent(
  history: AgentModel,
  views: readonly SessionView[],
  deploys: readonly DeployEvent[],
  opts: DriftOptions,
  endMs: number,
): AgentJudgement {
  const judge = new AgentJudge({ model: history }, deploys, opts);
  const ordered = [...views].sort((a, b) => a.start - b.start || a.id.localeCompare(b.id));
  const verdicts = ordered.map((v) => judge.judge(v));
  // As of the end of the period: settled sessions join, and the calibration reported is the one now in force.
  const end = judge.end(endMs);
  return { verdicts, model: end.model, calibration: end.calibration };
}

const sameSessions = (a: AgentModel, b: AgentModel) =>
  a.sessions.length === b.sessions.length && a.sessions.every((s, i) => s.id === b.sessions[i]!.id);

const sameKeys = (a: Record<string, string>, b: Record<string, string>) =>
  Object.keys(a).length === Object.keys(b).length;

/** Calibrations of recent models, by content (a result depends only on the sessions, the options and accepted keys). */
const calibrationCache = new Map<string, Calibrated>();
const MAX_CACHED_CALIBRATIONS = 16;

function calibrated(ix: ModelIndex, copts: CalibrationOptions): Calibrated {
  const key = createHash('sha256')
    .update(JSON.stringify([ix.model.subject, copts, Object.keys(ix.model.accepted).sort(), ix.model.sessions]))
    .digest('hex');
  const hit = calibrationCache.get(key);
  if (hit) return hit;
  const c = calibrate(ix, copts);
  if (calibrationCache.size >= MAX_CACHED_CALIBRATIONS) calibrationCache.delete(calibrationCache.keys().next().value!);
  calibrationCache.set(key, c);
  return c;
}

function decide(findings: Finding[], cal: Calibrated, opts: DriftOptions, v: SessionView): SessionVerdict {
  const bits = combine(findings);
  const fam = familyBits(findings);
  const open = findings.filter((f) => !f.explainedBy && f.bits > 0);
  const c = cal.calibration;
  const rule = open.some((f) => f.bits >= SENSITIVE_BITS && f.coldStart);
  let risky: boolean;
  let score: number;
  let p: number | undefined;
  if (c.method === 'insufficient-history') {
    risky = open.some((f) => f.coldStart);
    score = bits / (2 * SENSITIVE_BITS);
  } else {
    // Bonferroni over the two families: each is tested at half the budget, the reported rate is doubled.
    const alpha = opts.fpBudget / FAMILIES.length;
    const ps = FAMILIES.map((f) => ({ f, p: pValue(cal, f, fam[f]) ?? 1 }));
    p = Math.min(1, FAMILIES.length * Math.min(...ps.map((x) => x.p)));
    risky = rule || ps.some((x) => x.p <= alpha && fam[x.f] >= opts.minRiskyBits);
    const thr = (f: Family) => Math.max(cal.families?.[f].threshold ?? opts.minRiskyBits, opts.minRiskyBits);
    score = Math.max(...FAMILIES.map((f) => fam[f] / (2 * thr(f))));
  }
  // Evolution: something new (a key, an order) that a deploy explains; explained usage or volume alone is normal.
  const explained = findings.some((f) => f.explainedBy && (f.kind === 'new-key' || f.kind === 'order'));
  const verdict: SessionVerdictKind = risky
    ? 'risky'
    : explained
      ? 'evolution'
      : c.method === 'insufficient-history'
        ? 'insufficient-history'
        : 'normal';
  score = risky ? Math.max(0.5, Math.min(1, score)) : Math.min(0.49, score);
  return {
    subject: c.subject,
    session: v.id,
    sessionIds: v.sessionIds,
    start: new Date(v.start).toISOString(),
    end: new Date(v.end).toISOString(),
    verdict,
    bits: round(bits),
    familyBits: { behaviour: round(fam.behaviour), provenance: round(fam.provenance) },
    score: round(score),
    ...(p !== undefined ? { pValue: round(p, 6) } : {}),
    budget: opts.fpBudget,
    method: c.method,
    ...(c.threshold !== undefined ? { threshold: c.threshold } : {}),
    ...(c.provenanceThreshold !== undefined ? { provenanceThreshold: c.provenanceThreshold } : {}),
    historySessions: c.sessions,
    ...(c.note ? { note: c.note } : {}),
    reasons: reasonsOf(findings),
    evidence: evidenceOf(findings),
    summary: v.summary,
    findings,
  };
}

/** Findings as contract reasons, strongest first (unexplained before explained, context last). */
export function reasonsOf(findings: readonly Finding[]): DriftReason[] {
  const rank = (f: Finding) => (f.explainedBy ? 1 : 0) * 1e6 - f.bits;
  return [...findings]
    .sort((a, b) => rank(a) - rank(b))
    .slice(0, MAX_REASONS)
    .map((f) => {
      const r: DriftReason = { kind: f.kind, signal: f.signal, bits: round(f.bits), key: f.key, text: f.text };
      if (f.explainedBy) r.explainedBy = f.explainedBy;
      const u = f.provenance;
      if (u)
        r.provenance = {
          tool: u.tool,
          param: u.param,
          valueKind: u.token.slice(0, u.token.indexOf(':')),
          ...(u.preview ? { value: u.preview } : {}),
          source: u.provenance,
          ...(u.from ? { from: { tool: u.from.tool, secondsBefore: Math.round(u.from.agoMs / 1000) } } : {}),
          newToAgent: true,
          inRequest: false,
        };
      return r;
    });
}

function evidenceOf(findings: readonly Finding[]): EvidenceRef[] {
  const seen = new Set<string>();
  const out: EvidenceRef[] = [];
  const ordered = [...findings].sort((a, b) => Number(!!a.explainedBy) - Number(!!b.explainedBy) || b.bits - a.bits);
  for (const f of ordered)
    for (const o of f.observations) {
      if (seen.has(o.id) || out.length >= MAX_SESSION_EVIDENCE) continue;
      seen.add(o.id);
      out.push(refOf(o));
    }
  return out;
}

const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;
