/**
 * When the node agent closes its window and ships it. The store keeps one aggregate per (subject, behavior, UTC hour)
 * and every batch that touches it rewrites it, so the agent ships what it collected since the last batch (the deltas)
 * at most every `shipMs` (default 10 minutes) instead of every collection tick, and never lets a window span an hour
 * boundary (each batch then adds to one hourly aggregate per behavior). A window closes early, at the next collection
 * tick, when it holds news drift or attribution should not wait for: a behavior no earlier window shipped, or an
 * identity change (`WindowAggregator.urgent`); at most `earlyPerHour` times an hour, so a stream of new keys cannot
 * bring back a write per minute.
 */

const HOUR_MS = 3_600_000;

export interface ShipPolicy {
  /** Longest a window stays open, in ms. */
  shipMs: number;
  /** Windows closed early for news, per UTC hour. */
  earlyPerHour: number;
}

export const DEFAULT_SHIP_POLICY: ShipPolicy = { shipMs: 600_000, earlyPerHour: 6 };

const hourOf = (ms: number) => Math.floor(ms / HOUR_MS);

/** Why a window closes: it is full, it reached an hour boundary, or it holds news. */
export type CloseReason = 'full' | 'hour' | 'early';

export class ShipClock {
  #start: number;
  #earlyHour = -1;
  #early = 0;

  constructor(
    readonly policy: ShipPolicy,
    start: number,
  ) {
    this.#start = start;
  }

  /** When the open window started (ms). */
  get windowStart(): number {
    return this.#start;
  }

  /** Whether the window open since `windowStart` closes at `now`, and why; undefined to keep it open. */
  due(now: number, urgent: boolean): CloseReason | undefined {
    if (hourOf(now) !== hourOf(this.#start)) return 'hour';
    if (now - this.#start >= this.policy.shipMs) return 'full';
    if (!urgent) return undefined;
    const early = hourOf(now) === this.#earlyHour ? this.#early : 0;
    return early < this.policy.earlyPerHour ? 'early' : undefined;
  }

  /** The window closed at `now` (the next one starts there). */
  closed(now: number, reason: CloseReason): void {
    if (reason === 'early') {
      if (hourOf(now) !== this.#earlyHour) {
        this.#earlyHour = hourOf(now);
        this.#early = 0;
      }
      this.#early++;
    }
    this.#start = now;
  }

  /** Delay to the next collection tick: `periodMs`, or less so that a tick lands on the next hour boundary. */
  static nextTick(now: number, periodMs: number): number {
    return Math.max(1, Math.min(periodMs, HOUR_MS - (now % HOUR_MS)));
  }
}
