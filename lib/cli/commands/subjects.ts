/**
 * `warden subjects [--json]`: every subject the store knows, with first/last seen and observation count. Rows are
 * built by {@link subjectRows}, which other capabilities extend with columns (class, track, baseline status) by
 * registering a column provider.
 */
import type { Command } from 'commander';
import { openStore, StoreSpecError } from '../../adapters/open-store.ts';
import type { Store, SubjectRecord } from '../../ports.ts';
import { CliError, emit, globalOpts } from '../output.ts';

export interface SubjectRow extends SubjectRecord {
  [column: string]: unknown;
}

/** Adds columns to subject rows (e.g. `class`, `track`, `baseline`), given the store and the subjects. */
export type SubjectColumnProvider = (
  store: Store,
  subjects: SubjectRecord[],
) => Promise<Map<string, Record<string, unknown>>>;

const providers: SubjectColumnProvider[] = [];

/** Registers extra columns for `warden subjects`; call at module load of the capability's command. */
export function addSubjectColumns(provider: SubjectColumnProvider): void {
  providers.push(provider);
}

export async function subjectRows(store: Store): Promise<SubjectRow[]> {
  const subjects = (await store.subjects()).sort((a, b) => a.subject.localeCompare(b.subject));
  const rows: SubjectRow[] = subjects.map((s) => ({ ...s }));
  for (const p of providers) {
    const extra = await p(store, subjects);
    for (const row of rows) Object.assign(row, extra.get(row.subject) ?? {});
  }
  return rows;
}

export function register(program: Command): void {
  program
    .command('subjects')
    .description('list every subject with first/last seen and observation count')
    .action(async function (this: Command) {
      const store = await openStore(globalOpts(this).store).catch((err: unknown) => {
        if (err instanceof StoreSpecError) throw new CliError(err.message, 2, { cause: err });
        throw err;
      });
      let rows: SubjectRow[];
      try {
        rows = await subjectRows(store);
      } finally {
        await store.close();
      }
      emit(this, rows, () => table(rows));
    });
}

function table(rows: SubjectRow[]): string {
  if (rows.length === 0) return 'no subjects yet (run `warden ingest PATH...` or `warden demo`)';
  const extra = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter(
    (k) => !['subject', 'firstSeen', 'lastSeen', 'observations', 'labels'].includes(k),
  );
  const head = ['SUBJECT', 'FIRST SEEN', 'LAST SEEN', 'OBSERVATIONS', ...extra.map((k) => k.toUpperCase())];
  const body = rows.map((r) => [
    r.subject,
    r.firstSeen,
    r.lastSeen,
    String(r.observations),
    ...extra.map((k) => (r[k] === undefined ? '' : typeof r[k] === 'object' ? JSON.stringify(r[k]) : String(r[k]))),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  return [head, ...body]
    .map((cols) =>
      cols
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
