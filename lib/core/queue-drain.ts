/**
 * When a scheduled drain of a queue stops gathering messages, and how long the messages it holds stay hidden. A
 * drain gathers one run's messages (up to `maxMessages` and `maxBytes`), runs them, and gathers the next run while
 * time remains; it stops when the queue answers empty or its time is up. Pure: the adapter (lib/adapters/
 * sqs-drain.ts) does the receiving and deleting.
 */

/** Bounds of one drain invocation. */
export interface DrainBounds {
  /** Messages per run (one pipeline run over all of them). */
  maxMessages: number;
  /** Weight per run (announced object bytes plus message bytes): bounds one run's reading time. */
  maxBytes: number;
  /** No new receive after this many ms from the start: what is left waits for the next drain. */
  budgetMs: number;
  /** Added to the time left when hiding received messages, so none reappears while its run is still going. */
  visibilityMarginMs: number;
}

/**
 * IngestObjects' drain (15-minute function timeout): 100 objects or 64 MiB of announced (compressed) object bytes per
 * run, no new receive after 10 minutes, so the last run has five minutes to finish, as an event-source batch had. A
 * run that overran would fail as a whole and be redelivered whole: the bounds keep one run well inside that time.
 */
export const OBJECT_DRAIN_BOUNDS: DrainBounds = {
  maxMessages: 100,
  maxBytes: 64 * 1024 * 1024,
  budgetMs: 10 * 60_000,
  visibilityMarginMs: 6 * 60_000,
};

/** SQS's largest ReceiveMessage batch and VisibilityTimeout (12 hours). */
export const SQS_MAX_RECEIVE = 10;
const SQS_MAX_VISIBILITY_S = 43_200;

export type GatherStop = 'messages' | 'bytes' | 'time';

/** Why gathering the current run stops before the next receive, or undefined to receive again. */
export function gatherStop(
  run: { messages: number; bytes: number },
  elapsedMs: number,
  b: DrainBounds,
): GatherStop | undefined {
  if (run.messages >= b.maxMessages) return 'messages';
  if (run.bytes >= b.maxBytes) return 'bytes';
  if (elapsedMs >= b.budgetMs) return 'time';
  return undefined;
}

/** How many messages the next receive may ask for (never more than the run has room for). */
export function receiveCount(runMessages: number, b: DrainBounds): number {
  return Math.max(0, Math.min(SQS_MAX_RECEIVE, b.maxMessages - runMessages));
}

/**
 * The VisibilityTimeout (seconds) of a receive `elapsedMs` into the drain: the messages stay hidden for the rest of
 * the budget plus the margin (the last run's time), so a message whose run failed reappears after this drain, not
 * during it, and is received again by a later one (the queue's redrive policy counts each receive).
 */
export function visibilitySeconds(elapsedMs: number, b: DrainBounds): number {
  const ms = Math.max(0, b.budgetMs - elapsedMs) + b.visibilityMarginMs;
  return Math.min(SQS_MAX_VISIBILITY_S, Math.max(1, Math.ceil(ms / 1000)));
}
