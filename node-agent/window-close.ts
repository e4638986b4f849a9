/**
 * One tick's closing, shared by the agent (./agent.ts) and the fleet benchmark (bench/fleet/node-sim.ts): the ship
 * clock picks the subjects whose windows close, their open pod IP leases are re-stated, and those windows become
 * one batch. The other subjects keep collecting.
 */
import type { NodeAgentBatch, NodeAgentRecordInput } from '../lib/core/sources/node-agent.ts';
import { recordSubject, type WindowAggregator } from './aggregate.ts';
import type { CloseReason, ShipClock } from './ship-clock.ts';

export interface Closed {
  batch: NodeAgentBatch;
  /** The subjects the batch carries, with why each closed. */
  subjects: Map<string, CloseReason>;
}

/**
 * Closes the windows `clock` says close at `now` (every open one when `all`) into one batch, or undefined when none
 * does. `openLeases` are re-stated for the closing subjects only, so a receiver that missed a lease still learns it
 * at the subject's next batch, and a subject that does not ship is not made to pay a delivery for its lease.
 */
export function closeWindows(
  agg: WindowAggregator,
  clock: ShipClock,
  now: number,
  opts: { all?: boolean; openLeases?: readonly NodeAgentRecordInput[] } = {},
): Closed | undefined {
  const closing = clock.tick(now, agg.openSubjects(), agg.urgentSubjects(), opts.all);
  if (!closing) return undefined;
  for (const l of opts.openLeases ?? []) if (closing.subjects.has(recordSubject(l, agg.opts.cluster))) agg.addRecord(l);
  const ships = new Set(closing.subjects.keys());
  const batch = agg.flush(new Date(closing.start).toISOString(), new Date(now).toISOString(), ships);
  return { batch, subjects: closing.subjects };
}
