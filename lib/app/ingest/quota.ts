/**
 * Per-principal ingest quota: observations admitted per caller per hour, counted in the store (doc kind
 * `ingest-quota`, scope = caller, id = the hour), so that every Lambda instance sees the same count. One node agent
 * (one SigV4 caller) cannot flood the store or another workload's baseline with volume: past its hourly quota it is
 * answered 429 and retries later. The count is read before a delivery and charged after it with optimistic
 * concurrency; concurrent deliveries of one caller can overshoot the quota by at most what they carry.
 */
import type { Store } from '../../ports.ts';

export const QUOTA_DOC = 'ingest-quota';
const CHARGE_ATTEMPTS = 8;

export class QuotaChargeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'QuotaChargeError';
  }
}

/** The quota window (hour) a time falls in: `2026-03-02T14`. */
export function quotaWindow(now: string): string {
  return now.slice(0, 13);
}

export class IngestQuota {
  constructor(
    private readonly store: Pick<Store, 'getDoc' | 'putDoc'>,
    /** Observations per caller per hour. */
    readonly perHour: number,
  ) {}

  /** Observations `caller` may still deliver in the hour of `now`. */
  async remaining(caller: string, now: string): Promise<number> {
    const d = await this.store.getDoc<{ used: number }>(QUOTA_DOC, caller, quotaWindow(now));
    return Math.max(0, this.perHour - (d?.body.used ?? 0));
  }

  /** Adds `n` admitted observations to the caller's count for the hour of `now`. */
  async charge(caller: string, now: string, n: number): Promise<void> {
    if (n <= 0) return;
    const id = quotaWindow(now);
    for (let attempt = 1; ; attempt++) {
      const d = await this.store.getDoc<{ used: number }>(QUOTA_DOC, caller, id);
      try {
        await this.store.putDoc(
          QUOTA_DOC,
          caller,
          id,
          { used: (d?.body.used ?? 0) + n },
          {
            expectVersion: d?.version ?? 0,
          },
        );
        return;
      } catch (err) {
        if (attempt >= CHARGE_ATTEMPTS)
          throw new QuotaChargeError(`could not charge ${n} observations to ${caller}`, { cause: err });
      }
    }
  }
}
