/**
 * One incremental step of one subject, pure: judge its sessions and windows from the re-judge start R (./plan.ts) to
 * `now`, given its state (./types.ts), the store's data from R on, and its sealed timeline (./timeline-state.ts).
 * Sessions before R are replayed from their records, sessions from R on judged; evolution items of the deploys whose
 * sessions changed are rebuilt from all their parts; window-level changes are detected for the windows from R on.
 * The first step of a subject (bootstrap) reads the lookback before its origin instead: sessions there are history,
 * exactly as a full run from the origin takes them (../classify.ts judgeDrift).
 */
import type { DeployEvent } from '../../deploy-events/types.ts';
import type { Observation } from '../../observation.ts';
import type { AggregateRow } from '../../store/aggregate-row.ts';
import { subjectSessions, windowItems, windowRows } from '../classify.ts';
import { DEPLOY_SKEW_MS } from '../session/explain.ts';
import { type EvolutionPart, evolutionItemsOf, evolutionPart, riskyItem } from '../session/items.ts';
import { AgentJudge } from '../session/judge.ts';
import { emptyAgentModel, updateAgentModel } from '../session/model.ts';
import type { AgentModel, Calibration, SessionVerdict } from '../session/types.ts';
import type { DriftObject, DriftOptions } from '../types.ts';
import { assembleTimeline, type Miss, type SealedRow, sealedRows, type TimelineParts } from './timeline-state.ts';
import { bySessionOrder, correlationIds, type SessionRecord, type SubjectState } from './types.ts';

export interface SessionStepInput {
  subject: string;
  options: DriftOptions;
  now: number;
  /** Judge from here (ms). */
  from: number;
  /** The state before; absent: bootstrap (sessions before `from` are history). */
  state?: SubjectState;
  /** Session records of the state (start >= state.at), in session order. */
  records: readonly SessionRecord[];
  /** Evidence of the subject from R (bootstrap: from the lookback before the origin) to now. */
  evidence: Observation[];
  deploys: DeployEvent[];
}

export interface SessionStep {
  verdicts: SessionVerdict[];
  /** Records after the step (start >= at), in session order. */
  records: SessionRecord[];
  /** Risky items of the sessions judged, and the rebuilt evolution items of `affectedDeploys`. */
  items: DriftObject[];
  affectedDeploys: string[];
  /** Observation ids in agent sessions (the window level leaves them out). */
  inSession: Set<string>;
  /** The judgement's checkpoint at `from` and the sessions closed before it (bootstrap only). */
  bootstrap?: Pick<SubjectState, 'judge' | 'closed'>;
  model: AgentModel;
  calibration: Calibration;
}

/** Judges the subject's sessions from `from` on (see the module comment). */
export function sessionStep(input: SessionStepInput): SessionStep {
  const { subject, options, from, now } = input;
  const evidence = input.evidence.filter((o) => o.subject === subject);
  const { sessions, views, inSession } = subjectSessions(subject, evidence, options);
  const idsOf = new Map(sessions.map((s) => [s.id, [...new Set(s.observations.flatMap(correlationIds))].sort()]));
  let start = input.state?.judge;
  let bootstrap: SessionStep['bootstrap'];
  if (!start) {
    const history = views.filter((v) => v.start < from);
    start = {
      model: updateAgentModel(
        emptyAgentModel(subject),
        history.map((v) => v.summary),
        from,
        options.sessionLookbackMs,
      ),
    };
    bootstrap = {
      judge: start,
      closed: history.map((v) => ({ ids: idsOf.get(v.id) ?? [], start: v.start, end: v.end })),
    };
  }
  const judge = new AgentJudge(start, input.deploys, options);
  const before = input.records.filter((r) => r.start < from);
  for (const r of before) judge.replay({ summary: r.summary, risky: r.verdict === 'risky', accepted: r.accepted });
  const verdicts: SessionVerdict[] = [];
  const fresh: SessionRecord[] = [];
  for (const v of views.filter((x) => x.start >= from && x.start < now).sort(bySessionOrder)) {
    const { verdict, step } = judge.judgeStep(v);
    verdicts.push(verdict);
    const evolution = evolutionPart(verdict);
    fresh.push({
      id: v.id,
      ids: idsOf.get(v.id) ?? [],
      start: v.start,
      end: v.end,
      summary: v.summary,
      verdict: verdict.verdict,
      accepted: step.accepted,
      ...(evolution ? { evolution } : {}),
    });
  }
  const dropped = input.records.filter((r) => r.start >= from);
  const affected = new Set([...dropped, ...fresh].flatMap((r) => (r.evolution ? [r.evolution.deployId] : [])));
  const parts: EvolutionPart[] = [
    ...(input.state?.evolution ?? []),
    ...[...before, ...fresh].flatMap((r) => (r.evolution ? [r.evolution] : [])),
  ].filter((p) => affected.has(p.deployId));
  const end = judge.end(now);
  return {
    verdicts,
    records: [...before, ...fresh],
    items: [
      ...verdicts.filter((v) => v.verdict === 'risky').map((v) => riskyItem(v, input.deploys)),
      ...evolutionItemsOf(parts, input.deploys),
    ],
    affectedDeploys: [...affected],
    inSession,
    ...(bootstrap ? { bootstrap } : {}),
    model: end.model,
    calibration: end.calibration,
  };
}

export interface WindowStepInput {
  subject: string;
  options: DriftOptions;
  now: number;
  /** Judge windows from here (ms); the open rows start here (bootstrap: at the lookback before it). */
  from: number;
  /** The store's data read, from `openFrom` on. */
  openFrom: number;
  aggregates: AggregateRow[];
  evidence: Observation[];
  inSession: ReadonlySet<string>;
  parts: TimelineParts;
  deploys: DeployEvent[];
}

export interface WindowStep {
  /** Window-level items of the windows from `from` on (empty when `misses` is not). */
  items: DriftObject[];
  /** Window rows from `openFrom` on (what sealing stores). */
  rows: SealedRow[];
  /** Sealed counts the detection needed but were not loaded: load their parts and step again. */
  misses: Miss[];
}

/** Detects and classifies the window-level changes of the windows from `from` on. */
export function windowStep(input: WindowStepInput): WindowStep {
  const { subject, options } = input;
  const evidence = input.evidence.filter((o) => o.subject === subject);
  const open = windowRows(subject, input.aggregates, evidence, input.inSession);
  const misses: Miss[] = [];
  const tl = assembleTimeline(subject, input.parts, open, input.openFrom, misses);
  const items = windowItems(tl, input.from, input.now, input.deploys, evidence, options);
  const rows = sealedRows(open).filter((r) => r.window >= input.openFrom);
  return misses.length > 0 ? { items: [], rows, misses } : { items, rows, misses };
}

/**
 * Moves the checkpoint forward to `to`: the records before it are replayed into the judgement's checkpoint and
 * become closed sessions, their evolution parts kept while their deploy can still explain a later session. Closed
 * sessions are kept `closedKeepMs` after their end (new data naming one after that starts a session of its own).
 */
export function moveCheckpoint(
  state: SubjectState,
  records: readonly SessionRecord[],
  to: number,
  options: DriftOptions,
  closedKeepMs: number,
): { state: SubjectState; records: SessionRecord[] } {
  if (to <= state.at) return { state, records: [...records] };
  const judge = new AgentJudge(state.judge, [], options);
  const moved = records.filter((r) => r.start < to);
  for (const r of moved) judge.replay({ summary: r.summary, risky: r.verdict === 'risky', accepted: r.accepted });
  // A deploy explains sessions starting at most deployWindowMs after it, and ending at most the skew before it.
  const partsFrom = to - options.deployWindowMs - DEPLOY_SKEW_MS;
  return {
    state: {
      ...state,
      at: to,
      judge: judge.checkpoint(),
      closed: [...state.closed, ...moved.map((r) => ({ ids: r.ids, start: r.start, end: r.end }))].filter(
        (c) => c.end >= to - closedKeepMs,
      ),
      evolution: [...state.evolution, ...moved.flatMap((r) => (r.evolution ? [r.evolution] : []))].filter(
        (p) => Date.parse(p.end) >= partsFrom,
      ),
      inventory: state.inventory.filter((o) => Date.parse(o.time) >= to - options.lookbackMs - 86_400_000),
    },
    records: records.filter((r) => r.start >= to),
  };
}
