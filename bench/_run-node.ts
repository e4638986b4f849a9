/**
 * A benchmarked process: `node ARGS` started with bench/_peak-rss.mjs preloaded, timed from spawn to exit, its peak
 * RSS and CPU time (every thread) read at its exit. Asynchronous on purpose: a blocking spawn would stop the benchmark from draining a child's
 * pipes (moto_server's log pipe blocks once full).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PEAK_RSS = pathToFileURL(join(root, 'bench', '_peak-rss.mjs')).href;

export interface NodeRun {
  ms: number;
  cpuMs: number;
  rssMiB: number;
  stdout: string;
}

/** Runs `node ARGS` in the repository root; `label` names the benchmark in the error of a failed run. */
export function runNode(args: string[], scratch: string, label: string): Promise<NodeRun> {
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
      if (code !== 0) reject(new Error(`${label}: node ${args.slice(0, 5).join(' ')} failed: ${stderr.slice(-800)}`));
      else {
        const u = JSON.parse(readFileSync(usageFile, 'utf8')) as { maxRSS: number; cpuMicros: number };
        resolve({ ms, cpuMs: u.cpuMicros / 1000, rssMiB: u.maxRSS / 1024, stdout });
      }
    });
  });
}
