/**
 * End-to-end timing for the ingest benchmark: `node ARGS` run as its own process (spawn to exit, peak RSS and CPU
 * time read at its exit), and paired rounds of a bare parse and `warden ingest` over the same files, reported as the
 * median of per-round ratios of wall time and of CPU time (the load average is noted: the machine is shared).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchRow } from './run.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PEAK_RSS = pathToFileURL(join(root, 'bench', '_peak-rss.mjs')).href;
/** Paired rounds (env WARDEN_BENCH_ROUNDS). */
export const ROUNDS = Number(process.env.WARDEN_BENCH_ROUNDS ?? 5);

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

export interface Run {
  ms: number;
  cpuMs: number;
  rssMiB: number;
  stdout: string;
}

/**
 * Runs `node ARGS` as a new process and times it from spawn to exit. Asynchronous on purpose: a blocking spawn would
 * stop this process from draining moto_server's log pipe, and moto blocks once the pipe is full.
 */
export function runNode(args: string[], scratch: string): Promise<Run> {
  const usageFile = join(scratch, `usage-${process.hrtime.bigint()}`);
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', PEAK_RSS, ...args], {
      cwd: root,
      env: { ...process.env, WARDEN_BENCH_RSS_FILE: usageFile },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      if (code !== 0)
        reject(new Error(`ingest bench: node ${args.slice(0, 3).join(' ')} failed: ${stderr.slice(-800)}`));
      else {
        const u = JSON.parse(readFileSync(usageFile, 'utf8')) as { maxRSS: number; cpuMicros: number };
        resolve({ ms, cpuMs: u.cpuMicros / 1000, rssMiB: u.maxRSS / 1024, stdout });
      }
    });
  });
}

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
