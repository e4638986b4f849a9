/**
 * Memory of a full drift run (`npm run bench -- drift-memory`): peak RSS of `warden drift --since 120d` (the CLI as
 * the user runs it, bin/warden.js, on the embedded store) over a generated CloudTrail store, at 1x and at 4x the
 * fleet (DRIFT_MEM_AGENTS agents, default 10, then four times as many, each with the same DRIFT_MEM_DAYS days of
 * trail files, default 7, bench/fleet/workload.ts: 60 data events per agent and hour). The run reads the subjects one
 * at a time, so its peak follows the largest subject it touches, not the store: the 4x store's peak is checked
 * against the 1x store's, measured in the same run (target within 1.5x). A third store holds the 1x fleet with four
 * times the history (informative: one subject's evidence is four times larger, so its peak may follow it).
 * Each store is written by `warden ingest` of the trail files in a process of its own (not measured).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type NodeRun, runNode } from './_run-node.ts';
import { fleet, Rng, trailFiles } from './fleet/workload.ts';
import type { BenchRow } from './run.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(root, 'bin', 'warden.js');
const HOUR = 3_600_000;
const env = (k: string, d: number) => Number(process.env[k] ?? d);

interface Point {
  label: string;
  agents: number;
  days: number;
  records: number;
  drift: NodeRun;
}

/** Writes `agents` x `days` of trail files ending at the last full hour, ingests them, runs drift over 120 days. */
async function point(scratch: string, label: string, agents: number, days: number, now: number): Promise<Point> {
  const dir = join(scratch, `trail-${label}`);
  mkdirSync(dir, { recursive: true });
  const rng = new Rng(5);
  const fl = fleet(agents);
  let records = 0;
  for (let hour = now - days * 24 * HOUR; hour < now; hour += HOUR)
    for (const f of trailFiles(fl, hour, rng)) {
      writeFileSync(join(dir, f.key.split('/').pop() as string), f.body);
      records += f.records;
    }
  const store = `embedded:${join(scratch, `store-${label}`)}`;
  const ingest = await runNode([CLI, '--store', store, '--json', 'ingest', dir], scratch, 'drift-memory bench');
  const report = JSON.parse(ingest.stdout) as { records: number; quarantined: number };
  if (report.records !== records || report.quarantined !== 0)
    throw new Error(`drift-memory bench: ingest of ${label} gave ${JSON.stringify(report)}, expected ${records}`);
  rmSync(dir, { recursive: true, force: true });
  const drift = await runNode(
    [CLI, '--store', store, '--json', 'drift', '--since', '120d'],
    scratch,
    'drift-memory bench',
  );
  process.stderr.write(
    `drift-memory: ${label}: ${agents} agents x ${days} d, ${records} records; ingest ${(ingest.ms / 1000).toFixed(0)} s (peak ${ingest.rssMiB.toFixed(0)} MiB); drift --since 120d ${(drift.ms / 1000).toFixed(0)} s, peak RSS ${drift.rssMiB.toFixed(0)} MiB\n`,
  );
  return { label, agents, days, records, drift };
}

export async function bench(): Promise<BenchRow[]> {
  const agents = env('DRIFT_MEM_AGENTS', 10);
  const days = env('DRIFT_MEM_DAYS', 7);
  const now = Math.floor(Date.now() / HOUR) * HOUR;
  const scratch = mkdtempSync(join(tmpdir(), 'warden-bench-drift-memory-'));
  try {
    const one = await point(scratch, '1x', agents, days, now);
    const four = await point(scratch, '4x-fleet', agents * 4, days, now);
    const longer = await point(scratch, '4x-history', agents, days * 4, now);
    const note = (p: Point) =>
      `${p.agents} agents x ${p.days} days, ${p.records} CloudTrail records; drift --since 120d took ${(p.drift.ms / 1000).toFixed(0)} s`;
    const base = { name: 'the 1x store', value: one.drift.rssMiB };
    return [
      { name: 'peak RSS, warden drift --since 120d, 1x store', value: one.drift.rssMiB, unit: 'MiB', note: note(one) },
      {
        name: 'peak RSS, warden drift --since 120d, 4x the fleet (same history per subject)',
        value: four.drift.rssMiB,
        unit: 'MiB',
        baseline: base,
        target: '<= 1.5',
        note: note(four),
      },
      {
        name: 'peak RSS, warden drift --since 120d, 4x the history (same fleet; informative)',
        value: longer.drift.rssMiB,
        unit: 'MiB',
        baseline: base,
        note: `${note(longer)}; each subject holds four times the evidence`,
      },
    ];
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
