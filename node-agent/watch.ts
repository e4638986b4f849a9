/**
 * Local mode (`warden agent watch`): runs one command in its own cgroup2 directory, observes it with the same eBPF
 * loader as the node agent, and returns node-agent batches attributed to `local:<name>`. The caller ingests them.
 *
 * The command is started through `sh -c 'echo $$ > <cgroup>/cgroup.procs; exec "$@"'`, so it is inside the watched
 * cgroup before its own exec: that exec and everything after it is observed.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeAgentBatch } from '../lib/core/sources/node-agent.ts';
import { WindowAggregator } from './aggregate.ts';
import { Attributor } from './attribution.ts';
import { DEFAULT_LOADER_BINARY, type LoaderOptions, type LoaderSupervisor, startLoader } from './loader.ts';
import type { ReadyRecord } from './loader-protocol.ts';
import { inventoryFromOpens, type OpenedInventoryOptions } from './opened-inventory.ts';
import { isWindowed } from './tracers/index.ts';

/** An expected failure of local mode (missing loader, no cgroup2): one line for the CLI. */
export class WatchError extends Error {
  override readonly name = 'WatchError';
}

export const LOADER_PACKAGES = 'clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev make gcc';

/** The cgroup2 mount point from /proc/self/mountinfo (`/sys/fs/cgroup/unified` on hybrid hosts, `/sys/fs/cgroup` on v2). */
export function findCgroup2Mount(mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')): string | undefined {
  for (const line of mountinfo.split('\n')) {
    const [pre, post] = line.split(' - ');
    if (!pre || !post) continue;
    if (post.split(' ')[0] === 'cgroup2') return pre.split(' ')[4];
  }
  return undefined;
}

/** The loader binary path, or a WatchError saying how to build it. */
export function assertLoaderBuilt(binary = process.env.WARDEN_LOADER ?? DEFAULT_LOADER_BINARY): string {
  if (!existsSync(binary)) {
    throw new WatchError(
      `the eBPF loader is not built (${binary}): run \`make -C bpf\` (Debian packages: ${LOADER_PACKAGES})`,
    );
  }
  return binary;
}

export interface WatchOptions {
  name: string;
  command: string[];
  /** Count syscalls for the watched cgroup (default true: local runs are learning runs). */
  countSyscalls?: boolean;
  /** Close a batch every this many ms while the command runs (default 60 s). */
  windowMs?: number;
  /**
   * Inventory from what the command opened (packages it loaded, model files, prompt files matching the globs; default
   * prompt globs under the working directory), or false.
   */
  inventory?: OpenedInventoryOptions | false;
  cwd?: string;
  loaderBinary?: string;
  /** Loader tuning (DNS port parsed, de-duplication window, count interval, ring buffer size). */
  loader?: Pick<LoaderOptions, 'dnsPort' | 'dedupMs' | 'intervalMs' | 'ringbufMb'>;
  cgroupRoot?: string;
  /** Called with each closed batch (also the last one). */
  onBatch?: (b: NodeAgentBatch) => Promise<void> | void;
  /** Inherit stdio (CLI) or capture it (tests). */
  stdio?: 'inherit' | 'ignore';
  /** Forwarded to the command when the caller is interrupted. */
  signal?: AbortSignal;
  version?: string;
}

export interface WatchResult {
  subject: string;
  cgroupId: string;
  cgroupPath: string;
  exitCode: number | null;
  exitSignal: string | null;
  events: number;
  batches: NodeAgentBatch[];
  ready: ReadyRecord;
}

/** Prompt files under a working directory: `prompts/` folders and `*.prompt*` files. */
export function cwdPromptGlobs(cwd: string): string[] {
  return [`${cwd}/**/prompts/**/*`, `${cwd}/**/*.prompt`, `${cwd}/**/*.prompt.*`];
}

/** Most distinct opened paths kept for the inventory. */
const MAX_OPENED = 200_000;

/**
 * Runs `command` under observation and returns its batches.
 * @example const r = await watchCommand({ name: 'dev', command: ['python3', 'agent.py'] })
 */
export async function watchCommand(opts: WatchOptions): Promise<WatchResult> {
  const binary = assertLoaderBuilt(opts.loaderBinary);
  const root = opts.cgroupRoot ?? findCgroup2Mount();
  if (!root)
    throw new WatchError('no cgroup2 mount found: mount one (e.g. mount -t cgroup2 none /sys/fs/cgroup/unified)');
  const rel = `/warden/${opts.name.replace(/[^\w.-]/g, '_')}-${process.pid}-${Date.now()}`;
  const dir = join(root, rel);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new WatchError(`cannot create cgroup ${dir}: ${(e as Error).message} (needs root)`, { cause: e });
  }
  const cgroupId = statSync(dir, { bigint: true }).ino.toString();
  const subject = `local:${opts.name}`;
  const agg = new WindowAggregator({ node: process.env.HOSTNAME ?? 'localhost', version: opts.version ?? '0.1.0' });
  const attributor = new Attributor(undefined, undefined);
  attributor.setLocal(cgroupId, opts.name);
  const batches: NodeAgentBatch[] = [];
  // What the command opened successfully: its inventory is built from these, not from what lies around it.
  const opened = new Set<string>();
  let events = 0;
  let windowStart = Date.now();
  const closeWindow = async () => {
    const end = Date.now();
    const b = agg.flush(new Date(windowStart).toISOString(), new Date(end).toISOString());
    windowStart = end;
    batches.push(b);
    await opts.onBatch?.(b);
  };

  let loader: LoaderSupervisor | undefined;
  try {
    loader = startLoader({
      ...opts.loader,
      binary,
      cgroupRoot: root,
      watch: [{ cgroupId, countSyscalls: opts.countSyscalls ?? true }],
    });
    let ready: ReadyRecord;
    try {
      ready = await loader.ready();
    } catch (e) {
      throw new WatchError(`the eBPF loader failed to start: ${(e as Error).message.split('\n')[0]}`, { cause: e });
    }
    const l = loader;
    const pump = (async () => {
      for await (const r of l) {
        // Logged seccomp calls are the node agent's (against a pod's profile); a watched command runs under none.
        if (isWindowed(r) && r.type !== 'seccomp') {
          if (r.cgroupId !== cgroupId) continue;
          events++;
          if (r.type === 'open' && r.ret >= 0 && r.path.startsWith('/') && opened.size < MAX_OPENED) opened.add(r.path);
          agg.add(r, await attributor.attribute(r.cgroupId));
          continue;
        }
        switch (r.type) {
          case 'drops':
            agg.loaderDrops(r);
            break;
          case 'loader-exit':
            agg.loaderRestarted();
            break;
          case 'protocol-error':
            agg.drop('protocol_error');
            break;
          default:
            break;
        }
      }
    })();

    const child = spawn('/bin/sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', dir, ...opts.command], {
      cwd: opts.cwd ?? process.cwd(),
      stdio: opts.stdio ?? 'inherit',
    });
    const onAbort = () => child.kill('SIGTERM');
    opts.signal?.addEventListener('abort', onAbort);
    const timer = setInterval(() => void closeWindow(), opts.windowMs ?? 60_000);
    const [exitCode, exitSignal] = await new Promise<[number | null, string | null]>((resolve) => {
      child.on('error', () => resolve([127, null]));
      child.on('close', (code, sig) => resolve([code, sig]));
    });
    clearInterval(timer);
    opts.signal?.removeEventListener('abort', onAbort);

    if (opts.inventory !== false) {
      const cwd = opts.cwd ?? process.cwd();
      const inv = await inventoryFromOpens(opened, opts.inventory ?? { promptGlobs: cwdPromptGlobs(cwd) });
      if (inv.truncated) agg.drop('inventory_truncated');
      agg.addRecord({
        type: 'container-start',
        time: new Date(windowStart).toISOString(),
        attribution: { cgroupId, local: opts.name },
        packages: inv.packages,
        models: inv.models,
        prompts: inv.prompts,
      });
    }
    // `quit` makes the loader flush syscall counts and drop counters before it exits; the pump ends after them.
    await loader.close();
    await pump;
    loader = undefined;
    await closeWindow();
    return { subject, cgroupId, cgroupPath: rel, exitCode, exitSignal, events, batches, ready };
  } finally {
    await loader?.close().catch(() => undefined);
    try {
      rmdirSync(dir);
    } catch {
      // a daemonized child still lives in it; leaving the empty-able directory is harmless
    }
  }
}
