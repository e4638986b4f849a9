/**
 * End-to-end timing for the ingest benchmark: `node ARGS` run as its own process (bench/_run-node.ts: spawn to exit,
 * peak RSS and CPU time read at its exit), and paired rounds of a bare parse and `warden ingest` over the same files,
 * reported as the median of per-round ratios of wall time and of CPU time (the load average is noted: the machine is
 * shared).
 */
import { availableParallelism, loadavg } from 'node:os';
import { type NodeRun, runNode as runNodeIn } from './_run-node.ts';
import type { BenchRow } from './run.ts';

/** Paired rounds (env WARDEN_BENCH_ROUNDS). */
export const ROUNDS = Number(process.env.WARDEN_BENCH_ROUNDS ?? 5);

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

export type Run = NodeRun;

/** `node ARGS` as its own process, timed from spawn to exit (bench/_run-node.ts). */
export const runNode = (args: string[], scratch: string): Promise<Run> => runNodeIn(args, scratch, 'ingest bench');

export interface Pairing {
  label: string;
  /** The bare reference process: `node -e SCRIPT DIR`-like arguments. */
  bare: string[];
  /** The ingest process's arguments, for a fresh store per round. */
  ingest: (round: number) => string[];
  /** Throws when a round's outputs are not what the corpus holds. */
  check?: (bare: Run, ingest: Run) => void;
}

export interface Paired {
  ratio: number;
  cpuRatio: number;
  ingestMs: number;
  bareMs: number;
  ingestCpuMs: number;
  bareCpuMs: number;
  rssMiB: number;
  load: [number, number];
}

/** ROUNDS alternating rounds of bare and ingest (bare first, then ingest, each round). */
export async function paired(p: Pairing, scratch: string, log: (s: string) => void): Promise<Paired> {
  const rounds: { bare: Run; ingest: Run }[] = [];
  const loads: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    loads.push(loadavg()[0] as number);
    const bare = await runNode(p.bare, scratch);
    const ingest = await runNode(p.ingest(round), scratch);
    p.check?.(bare, ingest);
    rounds.push({ bare, ingest });
    log(
      `  ${p.label} round ${round + 1}: ingest ${ingest.ms.toFixed(0)} ms (cpu ${ingest.cpuMs.toFixed(0)}), bare ${bare.ms.toFixed(0)} ms (cpu ${bare.cpuMs.toFixed(0)}), load ${loads.at(-1)?.toFixed(1)}`,
    );
  }
  return {
    ratio: median(rounds.map((r) => r.bare.ms / r.ingest.ms)),
    cpuRatio: median(rounds.map((r) => r.bare.cpuMs / r.ingest.cpuMs)),
    ingestMs: median(rounds.map((r) => r.ingest.ms)),
    bareMs: median(rounds.map((r) => r.bare.ms)),
    ingestCpuMs: median(rounds.map((r) => r.ingest.cpuMs)),
    bareCpuMs: median(rounds.map((r) => r.bare.cpuMs)),
    rssMiB: Math.max(...rounds.map((r) => r.ingest.rssMiB)),
    load: [Math.min(...loads), Math.max(...loads)],
  };
}

/** A paired end-to-end row: the wall-time ratio checked, the CPU-time ratio and the load in the note. */
export function endToEndRow(
  name: string,
  what: { records: number; description: string },
  p: Paired,
  target?: string,
  extra = '',
): BenchRow {
  const rate = (ms: number) => Math.round(what.records / (ms / 1000));
  return {
    name,
    value: p.ratio,
    unit: 'x bare',
    baseline: { name: 'bare read + gunzip + JSON.parse process, same files', value: 1 },
    ...(target ? { target } : {}),
    note: `median per-round ratio of ${ROUNDS} paired rounds (wall time, process start to exit); ${what.description}; median ingest ${p.ingestMs.toFixed(0)} ms = ${rate(p.ingestMs)} records/s, bare ${p.bareMs.toFixed(0)} ms = ${rate(p.bareMs)} records/s; CPU (user + system) ratio ${p.cpuRatio.toFixed(2)}x (ingest ${p.ingestCpuMs.toFixed(0)} ms, bare ${p.bareCpuMs.toFixed(0)} ms); peak RSS ${p.rssMiB.toFixed(0)} MiB; load average ${p.load[0].toFixed(1)}-${p.load[1].toFixed(1)} on ${availableParallelism()} cores${extra}`,
  };
}
