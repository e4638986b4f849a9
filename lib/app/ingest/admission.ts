/**
 * Admission of observations delivered by one principal (lib/core/trust): each observation outside the principal's
 * scopes is refused as `unauthorized-subject`, naming the principal, and never stored; past a quota the rest are
 * counted as `rate-limited` and not stored (the sender retries later; replays are idempotent). Refusals are
 * quarantined up to a bound per delivery, then only counted, so a hostile sender cannot flood the quarantine either.
 *
 * @example
 *   const a = createAdmission({ principal: caller, scopes, quota: 50_000 });
 *   const report = await ingestStream(store, input, { admit: a.admit });
 *   a.stats(); // { admitted, refused, rateLimited }
 */
import type { Observation } from '../../core/observation.ts';
import { authorizeAgainst, type IngestScope, UNAUTHORIZED_SUBJECT } from '../../core/trust/ingest-scope.ts';
import type { AdmitVerdict } from './pipeline.ts';

export const RATE_LIMITED = 'rate-limited';

export interface AdmissionOptions {
  /** The delivering principal, named in every refusal. */
  principal: string;
  /** Its scopes; an observation is admitted when one of them allows it (none: nothing is). */
  scopes: readonly IngestScope[];
  /** Observations admitted at most (the principal's remaining quota); unlimited when absent. */
  quota?: number;
  /** Refusals quarantined at most per delivery; the rest are counted in `skipped`. Default 100. */
  maxQuarantined?: number;
}

export interface AdmissionStats {
  admitted: number;
  refused: number;
  rateLimited: number;
}

export interface Admission {
  admit(o: Observation): AdmitVerdict | undefined;
  stats(): AdmissionStats;
}

export function createAdmission(opts: AdmissionOptions): Admission {
  const stats: AdmissionStats = { admitted: 0, refused: 0, rateLimited: 0 };
  const maxQuarantined = opts.maxQuarantined ?? 100;
  return {
    admit(o) {
      const refusal = authorizeAgainst(opts.principal, opts.scopes, o);
      if (refusal) {
        stats.refused++;
        if (stats.refused > maxQuarantined) return { skip: UNAUTHORIZED_SUBJECT };
        return {
          quarantine: {
            source: o.source,
            reason: refusal.reason,
            detail: refusal.detail,
            excerpt: JSON.stringify({ subject: o.subject, key: o.key, time: o.time, source: o.source }).slice(0, 2048),
          },
        };
      }
      if (opts.quota !== undefined && stats.admitted >= opts.quota) {
        stats.rateLimited++;
        return { skip: RATE_LIMITED };
      }
      stats.admitted++;
      return undefined;
    },
    stats: () => ({ ...stats }),
  };
}
