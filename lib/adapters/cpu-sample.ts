/** The machine's busy CPU time and this process's own (lib/app/ingest/spare-core.ts), from Node's os and process. */
import { cpus } from 'node:os';
import type { CpuSample } from '../ports.ts';

/**
 * Every core's busy time summed, and this process's CPU time, in milliseconds; undefined when the OS gives none.
 * Time spent at a lowered priority (`nice`) is left out: the scheduler gives it way to this process's threads, so
 * it does not take a core from them.
 */
export function cpuSample(): CpuSample | undefined {
  const all = cpus();
  if (all.length === 0) return undefined;
  let machineBusy = 0;
  for (const { times: t } of all) machineBusy += t.user + t.sys + t.irq;
  const own = process.cpuUsage();
  return { machineBusy, own: (own.user + own.system) / 1000 };
}
