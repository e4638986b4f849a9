/** Class baselines of every subject in the store: labels from the subject record, envelope from its baseline. */
import { type ClassBaseline, classBaseline } from '../../core/baseline/classes/class-baseline.ts';
import type { EnvelopeEntry } from '../../core/baseline/types.ts';
import { emptyBaseline, updateBaseline } from '../../core/baseline/update.ts';
import type { Store } from '../../ports.ts';
import { loadBaseline } from './service.ts';

/**
 * The envelope of `subject`: from its stored baseline, else computed on the fly from its aggregates (not saved), so
 * `warden classes` works before any baseline was built.
 */
export async function envelopeOf(store: Store, subject: string, now: string): Promise<EnvelopeEntry[]> {
  const stored = await loadBaseline(store, subject);
  if (stored) return stored.baseline.entries;
  const rows = await store.aggregates(subject);
  // settle 0: everything stored so far counts for classification.
  return updateBaseline(emptyBaseline(subject, now, { settleMs: 0 }), rows, now).baseline.entries;
}

export async function classBaselines(store: Store, now: string, subjects?: string[]): Promise<ClassBaseline[]> {
  const records = await store.subjects();
  const wanted = subjects ? records.filter((r) => subjects.includes(r.subject)) : records;
  const out: ClassBaseline[] = [];
  for (const r of wanted.sort((a, b) => a.subject.localeCompare(b.subject))) {
    const entries = await envelopeOf(store, r.subject, now);
    out.push(classBaseline(r.subject, r.labels, entries, { subjectFirstSeen: r.firstSeen || undefined }));
  }
  return out;
}
