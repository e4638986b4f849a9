/**
 * Benchmark runner: `npm run bench -- <name>` runs bench/<name>.ts, no name runs every bench/*.ts. Each module
 * exports `bench(): Promise<BenchRow[]>` (a default export returning anything else is printed as raw JSON); rows that carry a baseline measured in the same run are shown as ratios,
 * so results compare across machines. A row with a target is marked ok/MISS; the exit code is 1 when a target is
 * missed (machines are shared: re-run before concluding).
 *
 * @example
 *   export async function bench(): Promise<BenchRow[]> {
 *     return [{ name: 'ingest CloudTrail', value: 52_000, unit: 'records/s',
 *               baseline: { name: 'JSON.parse', value: 90_000 }, target: '>= 0.5' }];
 *   }
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface BenchRow {
  /** What was measured. */
  name: string;
  value: number;
  unit: string;
  /** The same quantity for a reference, measured in the same run; the ratio is value / baseline.value. */
  baseline?: { name: string; value: number };
  /** `>= X` or `<= X`: on the ratio when there is a baseline, else on the value. */
  target?: string;
  /** Parameters of the measurement (stream size, repetitions ...). */
  note?: string;
}

export interface BenchResult extends BenchRow {
  bench: string;
  ratio?: number;
  ok?: boolean;
}

const here = dirname(fileURLToPath(import.meta.url));

/** Evaluates a row's target against its ratio (or value). */
export function evaluate(bench: string, row: BenchRow): BenchResult {
  const ratio = row.baseline && row.baseline.value !== 0 ? row.value / row.baseline.value : undefined;
  let ok: boolean | undefined;
  if (row.target) {
    const m = /^\s*(>=|<=)\s*([\d.]+)\s*$/.exec(row.target);
    if (!m) throw new Error(`bench ${bench}: bad target "${row.target}" (expected ">= N" or "<= N")`);
    const x = ratio ?? row.value;
    ok = m[1] === '>=' ? x >= Number(m[2]) : x <= Number(m[2]);
  }
  return { ...row, bench, ratio, ok };
}

function fmt(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e6) return String(n);
  return Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : n.toPrecision(3);
}

/** The results as an aligned text table. */
export function table(results: BenchResult[]): string {
  const head = ['BENCH', 'METRIC', 'VALUE', 'BASELINE', 'RATIO', 'TARGET', ''];
  const rows = results.map((r) => [
    r.bench,
    r.name,
    `${fmt(r.value)} ${r.unit}`,
    r.baseline ? `${r.baseline.name}: ${fmt(r.baseline.value)} ${r.unit}` : '',
    r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}x`,
    r.target ?? '',
    r.ok === undefined ? '' : r.ok ? 'ok' : 'MISS',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const lines = [head, ...rows].map((cols) =>
    cols
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
  const notes = results.filter((r) => r.note).map((r) => `  ${r.bench} / ${r.name}: ${r.note}`);
  return [...lines, ...(notes.length ? ['', 'notes:', ...notes] : [])].join('\n');
}

export interface BenchOutput {
  results: BenchResult[];
  /** Modules whose function returned something other than rows: shown as JSON, without ratios. */
  raw: { bench: string; value: unknown }[];
}

function isRows(v: unknown): v is BenchRow[] {
  return (
    Array.isArray(v) &&
    v.every(
      (r) =>
        typeof r === 'object' &&
        r !== null &&
        typeof (r as BenchRow).name === 'string' &&
        typeof (r as BenchRow).value === 'number',
    )
  );
}

export async function runBenches(names: string[]): Promise<BenchOutput> {
  const all = readdirSync(here)
    .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_') && !f.endsWith('.d.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
  const chosen = names.length ? names : all;
  const out: BenchOutput = { results: [], raw: [] };
  for (const name of chosen) {
    if (!all.includes(name)) throw new Error(`no benchmark bench/${name}.ts (have: ${all.join(', ')})`);
    const mod = (await import(pathToFileURL(join(here, `${name}.ts`)).href)) as {
      bench?: () => Promise<unknown>;
      default?: () => Promise<unknown>;
    };
    const fn = mod.bench ?? mod.default;
    if (typeof fn !== 'function') throw new Error(`bench/${name}.ts exports neither bench() nor a default function`);
    process.stderr.write(`bench: running ${name} ...\n`);
    const value = await fn();
    if (isRows(value)) for (const row of value) out.results.push(evaluate(name, row));
    else out.raw.push({ bench: name, value });
  }
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2).filter((a) => a !== '--');
  const json = args.includes('--json');
  try {
    const { results, raw } = await runBenches(args.filter((a) => a !== '--json'));
    if (json) process.stdout.write(`${JSON.stringify({ results, raw }, null, 2)}\n`);
    else {
      if (results.length) process.stdout.write(`${table(results)}\n`);
      for (const r of raw)
        process.stdout.write(`\n${r.bench} (no rows; raw result):\n${JSON.stringify(r.value, null, 2)}\n`);
    }
    process.exit(results.some((r) => r.ok === false) ? 1 : 0);
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).message}\n`);
    process.exit(2);
  }
}
