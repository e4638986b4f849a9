/**
 * When the node agent closes a subject's window and ships it. The store keeps one aggregate per (subject, behavior,
 * UTC hour), and every batch a subject appears in costs that subject about three item writes (its aggregate pack,
 * evidence chunk and dirty mark), whatever the batch holds; every batch costs about as much again
 * (an invocation, the ingest quota write, and with drift on ingest its announcement). So each subject (a Deployment, or a pod without one) has
 * a window of its own, and the agent ships what a subject collected since its last batch (the deltas):
 * - **full**: after `shipMs` (default 30 minutes);
 * - **hour**: at each UTC hour boundary (ticks land on it), so no window spans an hour and each batch adds to one hourly
 *   aggregate per behavior;
 * - **early**: at the next collection tick when the subject's window holds news drift or attribution should not wait
 *   for (a behavior no earlier batch of it shipped, a pod IP lease that opened or closed, a container start).
 *
 * Only the subjects that close ship: one pod's news no longer makes every subject on the node pay a delivery. Early
 * batches are capped per node, `earlyPerHour` per UTC hour, and each takes every subject holding news at that tick: a
 * stream of new keys cannot bring back a batch (nor a write per subject) a minute, and a quiet pod's news rides the
 * early batches a noisy neighbour's news opens. A per-subject cap was measured and not kept: early closes scattered
 * over the ticks, so a node sent five times the batches for the same deliveries. The full window is long (30
 * minutes) because news does not wait for it (it ships within one tick while the node's early budget lasts); repeat
 * counts of known behaviors do, and the hour boundary closes every window anyway.
 */

const HOUR_MS = 3_600_000;

export interface ShipPolicy {
  /** Longest a subject's window stays open, in ms. */
  shipMs: number;
  /** Early batches (closes for news) per node and UTC hour. */
  earlyPerHour: number;
}

export const DEFAULT_SHIP_POLICY: ShipPolicy = { shipMs: 1_800_000, earlyPerHour: 6 };

const hourOf = (ms: number) => Math.floor(ms / HOUR_MS);

/** Why a window closes: it is full, it reached an hour boundary, it holds news, or the agent stops. */
export type CloseReason = 'full' | 'hour' | 'early' | 'stop';

/** The windows one tick closes: each subject with its reason, and when the earliest of them opened (ms). */
export interface Closing {
  subjects: Map<string, CloseReason>;
  start: number;
}

export class ShipClock {
  /** The previous tick: a window a subject opens between two ticks starts at the first of them. */
  #tick: number;
  /** When each subject's open window started (subjects with nothing collected have none). */
  #opened = new Map<string, number>();
  /** Early batches in the UTC hour `#earlyHour`. */
  #early = 0;
  #earlyHour = -1;

  constructor(
    readonly policy: ShipPolicy,
    start: number,
  ) {
    this.#tick = start;
  }

  /** When `subject`'s window started, or would have if it holds something now (ms). */
  windowStart(subject: string): number {
    return this.#opened.get(subject) ?? this.#tick;
  }

  /** Early batches the node has left in the hour of `now`. */
  earlyLeft(now: number): number {
    return Math.max(0, this.policy.earlyPerHour - (hourOf(now) === this.#earlyHour ? this.#early : 0));
  }

  /** Why `subject`'s window closes at `now`, or undefined to keep it open. */
  due(subject: string, now: number, urgent: boolean): CloseReason | undefined {
    const start = this.windowStart(subject);
    if (hourOf(now) !== hourOf(start)) return 'hour';
    if (now - start >= this.policy.shipMs) return 'full';
    return urgent && this.earlyLeft(now) > 0 ? 'early' : undefined;
  }

  /**
   * One collection tick at `now`: which of the `open` subjects (those holding records) close, `urgent` the ones with
   * news; every one of them when `all` (the agent stops). The caller ships exactly these; their next windows start at
   * `now`, the others keep theirs.
   */
  tick(now: number, open: Iterable<string>, urgent: ReadonlySet<string>, all = false): Closing | undefined {
    const subjects = new Map<string, CloseReason>();
    let start = now;
    let early = false;
    for (const s of open) {
      const reason = all ? 'stop' : this.due(s, now, urgent.has(s));
      if (!reason) {
        if (!this.#opened.has(s)) this.#opened.set(s, this.#tick);
        continue;
      }
      early ||= reason === 'early';
      start = Math.min(start, this.windowStart(s));
      subjects.set(s, reason);
      this.#opened.delete(s);
    }
    if (early) {
      if (hourOf(now) !== this.#earlyHour) {
        this.#earlyHour = hourOf(now);
        this.#early = 0;
      }
      this.#early++;
    }
    this.#tick = now;
    return subjects.size ? { subjects, start } : undefined;
  }

  /** Delay to the next collection tick: `periodMs`, or less so that a tick lands on the next hour boundary. */
  static nextTick(now: number, periodMs: number): number {
    return Math.max(1, Math.min(periodMs, HOUR_MS - (now % HOUR_MS)));
  }
}
