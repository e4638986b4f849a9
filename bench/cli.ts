/**
 * CLI start-up (`npm run bench -- cli`, which builds the CLI first): wall time of `warden version` and
 * `warden --help` against `node -e 0` started the same way, in interleaved rounds (node, version, help, node ...),
 * reported as the median of the per-round ratios so a busy machine disturbs both sides alike. Target: within 1.5x.
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { BenchRow } from './run.ts';

const BIN = join(resolve(import.meta.dirname, '..'), 'bin', 'warden.js');
const ROUNDS = Number(process.env.WARDEN_BENCH_CLI_ROUNDS ?? 21);

function wallMs(args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

export async function bench(): Promise<BenchRow[]> {
  // warm the file cache and, if a source changed since the build, rebuild (not part of any measurement)
  for (const args of [
    ['-e', '0'],
    [BIN, 'version'],
    [BIN, '--help'],
  ])
    wallMs(args);
  const node: number[] = [];
  const version: number[] = [];
  const help: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    node.push(wallMs(['-e', '0']));
    version.push(wallMs([BIN, 'version']));
    help.push(wallMs([BIN, '--help']));
  }
  const ratio = (xs: number[]) => median(xs.map((x, i) => x / (node[i] as number)));
  const note = `${ROUNDS} interleaved rounds; medians ms: node -e 0 ${median(node).toFixed(1)}, version ${median(version).toFixed(1)}, --help ${median(help).toFixed(1)}; checked ratio = median of per-round ratios`;
  const nodeMs = median(node);
  return [
    {
      name: 'warden version start-up',
      value: ratio(version) * nodeMs,
      unit: 'ms',
      baseline: { name: 'node -e 0', value: nodeMs },
      target: '<= 1.5',
      note,
    },
    {
      name: 'warden --help start-up',
      value: ratio(help) * nodeMs,
      unit: 'ms',
      baseline: { name: 'node -e 0', value: nodeMs },
      target: '<= 1.5',
    },
  ];
}
