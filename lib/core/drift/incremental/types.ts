/**
 * Incremental drift state of one subject: what a run needs to judge only the subject's new data and still reach the
 * items one full recomputation over the same period would (lib/core/drift/incremental/advance.ts). Serializable; the
 * store keeps it as documents (lib/app/drift/state-store.ts).
 *
 * Sessions are judged in (start, id) order, each against the agent's model as of its day (./session/judge.ts). The
 * state keeps the judgement's checkpoint at `at` (the model, its pending sessions, the accepted keys, the calibration
 * basis) and a record of every session judged since, so a run re-judging from a later point replays the records
 * before it (no scoring) and judges the rest: exactly where one continuous judgement would be. Before `at` nothing is
 * judged again: sessions there are `closed` (kept only to notice new data naming them).
 */
import type { DeployEvent } from '../../deploy-events/types.ts';
import type { Observation } from '../../observation.ts';
import type { EvolutionPart } from '../session/items.ts';
import type { JudgeCheckpoint } from '../session/judge.ts';
import type { SessionSummary, SessionVerdictKind } from '../session/types.ts';

/** A session judged since the checkpoint, as the state keeps it. */
export interface SessionRecord {
  /** The session's name (ticket, else session id). */
  id: string;
  /** Correlation ids it groups (`t:<ticket>`, `s:<sessionId>`): new data naming one belongs to it. */
  ids: string[];
  /** ms since the epoch. */
  start: number;
  end: number;
  summary: SessionSummary;
  verdict: SessionVerdictKind;
  /** Keys a deploy explained in it (key -> deploy id). */
  accepted: Record<string, string>;
  /** Its part of an expected-evolution item. */
  evolution?: EvolutionPart;
}

/** A session before the checkpoint: history, or judged and final. */
export interface ClosedSession {
  ids: string[];
  start: number;
  end: number;
}

export interface SubjectState {
  v: 1;
  subject: string;
  /** The drift options the state was judged with (another set re-bootstraps it). */
  optionsKey: string;
  /** Start of the period judged since the state was first built: sessions before it are history. */
  origin: number;
  /** The checkpoint: sessions from here on are recorded and can be judged again. */
  at: number;
  judge: JudgeCheckpoint;
  closed: ClosedSession[];
  /** Evolution parts of sessions before `at` (their deploy's item is rebuilt with later parts). */
  evolution: EvolutionPart[];
  /** The subject's node-agent start inventory (image, prompt, MCP) since the lookback before `origin`. */
  inventory: Observation[];
  /** Bedrock agent ids its traces name (deploys of those agents are its deploys when it owns them). */
  agents: string[];
  /** Its deploys as of the last run (a deploy added, moved or removed since re-judges from its time). */
  deploys: DeployEvent[];
}

/** Correlation ids of an observation, as sessions are grouped by them (./sequences.ts). */
export function correlationIds(o: Observation): string[] {
  const out: string[] = [];
  if (o.correlation.ticket) out.push(`t:${o.correlation.ticket}`);
  if (o.correlation.sessionId) out.push(`s:${o.correlation.sessionId}`);
  return out;
}

/** A stable text of the options a judgement depends on (equal options, equal key). */
export function optionsKey(options: object): string {
  return JSON.stringify(Object.entries(options).sort(([a], [b]) => a.localeCompare(b)));
}

/** Session order of the judgement: start, then id. */
export function bySessionOrder(a: { start: number; id: string }, b: { start: number; id: string }): number {
  return a.start - b.start || a.id.localeCompare(b.id);
}
