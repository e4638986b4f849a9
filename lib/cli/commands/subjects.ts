/**
 * `warden subjects [--json]`: every subject the store knows, with first/last seen and observation count. Rows are
 * built by subjectRows (../subject-columns.ts), which the class, baseline and track commands extend with columns.
 */
import type { Command } from 'commander';
import { openStore } from '../../adapters/open-store.ts';
import { hint } from '../hints.ts';
import { emit, globalOpts } from '../output.ts';
import { type SubjectRow, subjectRows } from '../subject-columns.ts';

export type { SubjectRow } from '../subject-columns.ts';

export function register(program: Command): void {
  program
    .command('subjects')
    .description('every subject with first/last seen, observation count, class, baseline status and track')
    .action(async function (this: Command) {
      // The class, track and baseline columns come from their commands' modules (commands load lazily), in the
      // table's order: never the order in which the modules happened to finish loading.
      const [classes, track, baseline] = await Promise.all([
        import('./classes.ts'),
        import('./track.ts'),
        import('./baseline.ts'),
      ]);
      const store = await openStore(globalOpts(this).store);
      let rows: SubjectRow[];
      try {
        rows = await subjectRows(store, [classes.subjectColumns, track.subjectColumns, baseline.subjectColumns]);
      } finally {
        await store.close();
      }
      emit(this, rows, () => table(rows, globalOpts(this).store));
    });
}

/** Width of the terminal the table must fit. */
export const TABLE_WIDTH = 120;

/** The subjects as a table that fits {@link TABLE_WIDTH} columns (days, not timestamps; --json has the times). */
export function table(rows: SubjectRow[], store?: string): string {
  if (rows.length === 0)
    return `no subjects yet (run ${hint(['demo'], { store })}, or ingest telemetry: ${hint(['ingest', 'PATH...'], { store })})`;
  const extra = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter(
    (k) => !['subject', 'firstSeen', 'lastSeen', 'observations', 'labels'].includes(k),
  );
  const head = ['SUBJECT', 'FIRST SEEN', 'LAST SEEN', 'OBSERVED', ...extra.map((k) => k.toUpperCase())];
  const cell = (v: unknown) => (v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const body = rows.map((r) => [
    r.subject,
    r.firstSeen.slice(0, 10),
    r.lastSeen.slice(0, 10),
    String(r.observations),
    ...extra.map((k) => cell(r[k])),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  // Subject ids stay whole (they are what the next command takes); a long one gets a line of its own.
  const fixed = widths.slice(1).reduce((a, w) => a + w + 2, 0);
  const budget = TABLE_WIDTH - fixed;
  const subjectWidth = Math.max(head[0]!.length, ...rows.map((r) => r.subject.length).filter((n) => n <= budget));
  const line = (cols: string[]) => {
    const [subject = '', ...rest] = cols;
    const tail = rest.map((c, i) => c.padEnd(widths[i + 1] ?? 0)).join('  ');
    const own = subject.length > subjectWidth;
    return (
      own ? `${subject}\n${' '.repeat(subjectWidth)}  ${tail}` : `${subject.padEnd(subjectWidth)}  ${tail}`
    ).trimEnd();
  };
  return [head, ...body].map(line).join('\n');
}
