/**
 * The subject registry as a fold over stored contributions: per (subject, UTC day, idempotency unit) the observations
 * a write actually added and their first/last time. Stores keep one counter row per (subject, day) updated with the
 * same once-per-unit rule as aggregates, so a write that crashed between aggregates and registry is repaired by
 * replaying its input (issue #16: no counter moves only "after" something else succeeded).
 */
import type { Contribution } from './fold.ts';

/** One aggregate part as a store stored it (or found it stored). */
export interface StoredPart {
  subject: string;
  window: string;
  /** Digest of the unit the part belongs to (fold.ts `units`). */
  unit: string;
  /** The part as folded from the input (its times bound the subject's activity). */
  part: Pick<Contribution, 'firstSeen' | 'lastSeen'>;
  /** Observations the store counted for it: fewer than the part's when natural ids were already counted. */
  counted: number;
}

export interface RegistryDelta {
  subject: string;
  /** The registry row: `YYYY-MM-DD` (UTC), or `YYYY-MM-DDTHH` for stores that count per hour. */
  day: string;
  /** The unit's digest: the registry row's once-marker. */
  digest: string;
  observations: number;
  firstSeen: string;
  lastSeen: string;
}

/**
 * Groups stored parts per (subject, day, unit); `period` maps a window to the registry row it counts in (default the
 * UTC day, `YYYY-MM-DD`; the DynamoDB store counts per hour, `YYYY-MM-DDTHH`, so a row's once-markers stay few).
 */
export function registryDeltas(
  parts: readonly StoredPart[],
  period: (window: string) => string = (w) => w.slice(0, 10),
): RegistryDelta[] {
  const groups = new Map<string, RegistryDelta>();
  for (const p of parts) {
    const day = period(p.window);
    const k = `${p.subject}\u0000${day}\u0000${p.unit}`;
    const g = groups.get(k);
    if (!g) {
      const { firstSeen, lastSeen } = p.part;
      groups.set(k, { subject: p.subject, day, digest: p.unit, observations: p.counted, firstSeen, lastSeen });
      continue;
    }
    g.observations += p.counted;
    if (p.part.firstSeen < g.firstSeen) g.firstSeen = p.part.firstSeen;
    if (p.part.lastSeen > g.lastSeen) g.lastSeen = p.part.lastSeen;
  }
  return [...groups.values()];
}
