/**
 * The rows of `warden subjects`: what the store knows of each subject, plus the columns other commands' modules
 * provide (class, track, baseline status), passed in the order the table shows them. Apart from commands/subjects.ts
 * so that those modules import this type and not the command that loads them.
 */
import type { Store, SubjectRecord } from '../ports.ts';

export interface SubjectRow extends SubjectRecord {
  [column: string]: unknown;
}

/** Adds columns to subject rows (e.g. `class`, `track`, `baseline`), given the store and the subjects. */
export type SubjectColumnProvider = (
  store: Store,
  subjects: SubjectRecord[],
) => Promise<Map<string, Record<string, unknown>>>;

/** The subjects with the columns of `providers` added, in that order (the table's column order). */
export async function subjectRows(store: Store, providers: readonly SubjectColumnProvider[]): Promise<SubjectRow[]> {
  const subjects = (await store.subjects()).sort((a, b) => a.subject.localeCompare(b.subject));
  const rows: SubjectRow[] = subjects.map((s) => ({ ...s }));
  for (const p of providers) {
    const extra = await p(store, subjects);
    for (const row of rows) Object.assign(row, extra.get(row.subject) ?? {});
  }
  return rows;
}
