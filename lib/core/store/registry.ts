/**
 * The subject registry as a fold over stored contributions: per (subject, UTC day, idempotency unit) the observations
 * a write actually added and their first/last time. Stores keep one counter row per (subject, day) updated with the
 * same once-per-unit rule as aggregates, so a write that crashed between aggregates and registry is repaired by
 * replaying its input (issue #16: no counter moves only "after" something else succeeded).
 */
import { digest } from './digest.ts';
import type { Contribution } from './fold.ts';

/** One aggregate part as a store stored it (or found it stored). */
export interface StoredPart {
  subject: string;
  window: string;
  segment: number;
  /** The part as folded from the input (its ids name the unit; its times bound the subject's activity). */
  part: Pick<Contribution, 'ids' | 'firstSeen' | 'lastSeen'>;
  /** Observations the store counted for it: fewer than the part's when natural ids were already counted. */
  counted: number;
}

export interface RegistryDelta {
  subject: string;
  /** `YYYY-MM-DD` (UTC). */
  day: string;
  /** Digest of the unit's observation ids in this subject-day: the registry row's once-marker. */
  digest: string;
  observations: number;
  firstSeen: string;
  lastSeen: string;
}

/** Groups stored parts per (subject, day, unit). */
export function registryDeltas(parts: readonly StoredPart[]): RegistryDelta[] {
  const groups = new Map<string, { d: Omit<RegistryDelta, 'digest'>; ids: string[] }>();
  for (const p of parts) {
    const day = p.window.slice(0, 10);
    const k = `${p.subject}\u0000${day}\u0000${p.segment}`;
    let g = groups.get(k);
    if (!g) {
      g = {
        d: { subject: p.subject, day, observations: 0, firstSeen: p.part.firstSeen, lastSeen: p.part.lastSeen },
        ids: [],
      };
      groups.set(k, g);
    }
    g.d.observations += p.counted;
    if (p.part.firstSeen < g.d.firstSeen) g.d.firstSeen = p.part.firstSeen;
    if (p.part.lastSeen > g.d.lastSeen) g.d.lastSeen = p.part.lastSeen;
    for (const id of p.part.ids) g.ids.push(id);
  }
  return [...groups.values()].map((g) => ({ ...g.d, digest: digest(g.ids.sort()) }));
}
