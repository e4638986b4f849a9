/**
 * Where an incremental run starts judging a subject again (R): the earliest point whose result new data can change.
 * Everything from R on is judged again from the store's data; everything before stays as judged. R starts at the
 * earliest dirty window (or a changed deploy's time, less the skew a deploy is matched with), no later than the
 * sealed frontier, and moves back, hour-aligned, until no session or window cluster straddles it:
 * - a session whose span (plus the grace loose observations join within) reaches R, or that shares a correlation id
 *   (ticket, session id) with the new data: the new data may join it;
 * - a window-level cluster ending within the merge gap before R: a change at R may join it.
 * Pure.
 */
import { SESSION_GRACE_MS } from '../sequences.ts';
import { DEPLOY_SKEW_MS } from '../session/explain.ts';
import { HOUR_MS } from './timeline-state.ts';

export interface PlanInput {
  /** Earliest dirty window (ms); Infinity when only deploys changed. */
  dirtyFrom: number;
  /** Sealed frontier of the subject's timeline (ms). */
  sealed: number;
  /** Times (ms) of deploys of the subject added, removed or moved since the last run. */
  deployChanges: readonly number[];
  /** Correlation ids in the new data. */
  newIds: ReadonlySet<string>;
  /** Sessions known (records and closed ones): ids and span. */
  sessions: readonly { ids: readonly string[]; start: number; end: number }[];
  /** Stored window-level items: first and last window (ms). */
  clusters: readonly { from: number; to: number }[];
  mergeGapMs: number;
}

const floorHour = (t: number) => Math.floor(t / HOUR_MS) * HOUR_MS;

/** The re-judge start R (ms, hour-aligned); see the module comment. */
export function rejudgeStart(p: PlanInput): number {
  let r = Math.min(p.dirtyFrom, p.sealed, ...p.deployChanges.map((t) => t - DEPLOY_SKEW_MS));
  if (!Number.isFinite(r)) return r;
  r = floorHour(r);
  for (;;) {
    let next = r;
    for (const s of p.sessions) {
      if (s.start >= next) continue;
      if (s.end + SESSION_GRACE_MS >= next || s.ids.some((id) => p.newIds.has(id))) next = s.start;
    }
    for (const c of p.clusters) if (c.from < next && c.to >= next - p.mergeGapMs) next = c.from;
    next = floorHour(next);
    if (next === r) return r;
    r = next;
  }
}
