/**
 * Rollout order: agent classes in ascending risk, so the classes whose enforcement is least likely to break
 * something (and whose breakage matters least) go first and their blast radius is measured before the next class.
 * Within a class, subjects on the pre-enforced track form their own group (enforced from the staging baseline).
 */

export interface RolloutSubject {
  subject: string;
  class: string;
  track: 'observe-in-production' | 'pre-enforced';
}

export interface PlannedClass {
  class: string;
  track: RolloutSubject['track'];
  risk: number;
  subjects: string[];
}

/** Rollout risk per class: read-only agents first, agents that run arbitrary code last. */
export const CLASS_RISK: Record<string, number> = {
  retrieval: 1,
  'customer-support': 2,
  orchestrator: 3,
  'code-execution': 4,
};
const UNKNOWN_RISK = 5;

export function planClasses(subjects: RolloutSubject[]): PlannedClass[] {
  const groups = new Map<string, PlannedClass>();
  for (const s of subjects) {
    const k = `${s.class}\u0000${s.track}`;
    const g = groups.get(k) ?? {
      class: s.class,
      track: s.track,
      risk: CLASS_RISK[s.class] ?? UNKNOWN_RISK,
      subjects: [],
    };
    g.subjects.push(s.subject);
    groups.set(k, g);
  }
  return [...groups.values()]
    .map((g) => ({ ...g, subjects: [...new Set(g.subjects)].sort() }))
    .sort((a, b) => a.risk - b.risk || a.class.localeCompare(b.class) || a.track.localeCompare(b.track));
}
