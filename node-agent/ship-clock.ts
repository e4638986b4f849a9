/**
 * When the node agent closes a subject's window and ships it. The store keeps one aggregate per (subject, behavior,
 * UTC hour), and every batch a subject appears in costs that subject about four item writes (its aggregate pack,
 * evidence chunk, registry row and dirty mark), whatever the batch holds. So each subject (a Deployment, or a pod
 * without one) has a window of its own, and the agent ships what a subject collected since its last batch (the deltas):
 * - **full**: after `shipMs` (default 30 minutes);
 * - **hour**: at each UTC hour boundary (ticks land on it), so no window spans an hour and each batch adds to one hourly
 *   aggregate per behavior;
 * - **early**: at the next collection tick when the subject's window holds news drift or attribution should not wait
 *   for (a behavior no earlier batch of it shipped, a pod IP lease that opened or closed, a container start), at most
 *   `earlyPerHour` times per subject and UTC hour, so a stream of new keys cannot bring back a write per minute.
 *
 * Only the subjects that close ship: one pod's news no longer makes every subject on the node pay a delivery. The cap
 * is per subject, not per node, so a noisy pod cannot use up the budget that another pod's news needs; the writes
 * it bounds are per subject too. The full window is long (30 minutes) because news does not wait for it (it ships
 * within one tick); only repeat counts of known behaviors do, and the hour boundary closes a window anyway. Several
 * subjects closing at one tick share one batch.
 */

const HOUR_MS = 3_600_000;

export interface ShipPolicy {
  /** Longest a subject's window stays open, in ms. */
  shipMs: number;
  /** Windows a subject closes early for news, per UTC hour. */
  earlyPerHour: number;
}

export const DEFAULT_SHIP_POLICY: ShipPolicy = { shipMs: 1_800_000, earlyPerHour: 4 };

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
  /** Early closes per subject in the UTC hour `#earlyHour`. */
  #early = new Map<string, number>();
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

  /** Early closes `subject` has left in the hour of `now`. */
  earlyLeft(subject: string, now: number): number {
    const used = hourOf(now) === this.#earlyHour ? (this.#early.get(subject) ?? 0) : 0;
    return Math.max(0, this.policy.earlyPerHour - used);
  }

  /** Why `subject`'s window closes at `now`, or undefined to keep it open. */
  due(subject: string, now: number, urgent: boolean): CloseReason | undefined {
    const start = this.windowStart(subject);
    if (hourOf(now) !== hourOf(start)) return 'hour';
    if (now - start >= this.policy.shipMs) return 'full';
    return urgent && this.earlyLeft(subject, now) > 0 ? 'early' : undefined;
  }

  /**
   * One collection tick at `now`: which of the `open` subjects (those holding records) close, `urgent` the ones with
   * news; every one of them when `all` (the agent stops). The caller ships exactly these; their next windows start at
   * `now`, the others keep theirs.
   */
  tick(now: number, open: Iterable<string>, urgent: ReadonlySet<string>, all = false): Closing | undefined {
    if (hourOf(now) !== this.#earlyHour) {
      this.#earlyHour = hourOf(now);
      this.#early.clear();
    }
    const subjects = new Map<string, CloseReason>();
    let start = now;
    for (const s of open) {
      const reason = all ? 'stop' : this.due(s, now, urgent.has(s));
      if (!reason) {
        if (!this.#opened.has(s)) this.#opened.set(s, this.#tick);
        continue;
      }
      start = Math.min(start, this.windowStart(s));
      subjects.set(s, reason);
      this.#opened.delete(s);
      if (reason === 'early') this.#early.set(s, (this.#early.get(s) ?? 0) + 1);
    }
    this.#tick = now;
    return subjects.size ? { subjects, start } : undefined;
  }

  /** Delay to the next collection tick: `periodMs`, or less so that a tick lands on the next hour boundary. */
  static nextTick(now: number, periodMs: number): number {
    return Math.max(1, Math.min(periodMs, HOUR_MS - (now % HOUR_MS)));
  }
}
