/**
 * Kernel-test harness: a cgroup2 directory for the workload, the supervised loader with a record collector, and
 * checks that turn a missing prerequisite into a failure that says what to install or mount.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEFAULT_LOADER_BINARY,
  type LoaderOptions,
  type LoaderSupervisor,
  startLoader,
} from '../../../node-agent/loader.ts';
import type { AckRecord, StreamRecord } from '../../../node-agent/loader-protocol.ts';

export const CGROUP2_ROOT = process.env.WARDEN_CGROUP2_ROOT ?? '/sys/fs/cgroup/unified';

/** Throws (failing the test) with what is missing for the kernel tests to run. */
export function assertKernelPrerequisites(): void {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('run as root (CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN, CAP_SYS_ADMIN)');
  if (!existsSync('/sys/kernel/btf/vmlinux')) missing.push('a kernel with BTF (/sys/kernel/btf/vmlinux)');
  if (!existsSync('/sys/kernel/tracing/events'))
    missing.push('tracefs: mount -t tracefs tracefs /sys/kernel/tracing (scripts/setup.sh does it)');
  if (!existsSync(join(CGROUP2_ROOT, 'cgroup.procs')))
    missing.push(
      `cgroup2 mounted at ${CGROUP2_ROOT} (mount -t cgroup2 none ${CGROUP2_ROOT}, or set WARDEN_CGROUP2_ROOT)`,
    );
  if (!existsSync(DEFAULT_LOADER_BINARY))
    missing.push(
      `the loader binary ${DEFAULT_LOADER_BINARY}: run \`make -C bpf\` (apt: clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev make gcc)`,
    );
  if (missing.length) throw new Error(`eBPF kernel tests cannot run; missing: ${missing.join('; ')}`);
}

/** A fresh cgroup2 directory; its id is the directory's inode number (what bpf_get_current_cgroup_id returns). */
export function makeCgroup(name: string): { path: string; id: string; remove: () => void } {
  const path = join(CGROUP2_ROOT, `${name}-${process.pid}-${Date.now()}`);
  mkdirSync(path);
  const id = statSync(path, { bigint: true }).ino.toString();
  return {
    path,
    id,
    remove: () => {
      // Processes left in it (should be none) would make rmdir fail with EBUSY: move them out first.
      for (const pid of readFileSync(join(path, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
        try {
          writeFileSync(join(CGROUP2_ROOT, 'cgroup.procs'), pid);
        } catch {
          // already gone
        }
      }
      rmdirSync(path);
    },
  };
}

/**
 * Runs `argv` inside cgroup `cgPath` (the shell moves itself there, then execs) and resolves with its exit code
 * and pid.
 */
export function runInCgroup(
  cgPath: string | undefined,
  argv: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; pid: number; stdout: string; stderr: string }> {
  const script = cgPath ? `echo $$ > '${join(cgPath, 'cgroup.procs')}' && exec "$@"` : 'exec "$@"';
  const child = spawn('/bin/sh', ['-c', script, 'sh', ...argv], { env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, pid: child.pid ?? -1, stdout, stderr }));
  });
}

/** The loader plus everything it has produced so far, and a way to wait for a record. */
export class Collected {
  readonly records: StreamRecord[] = [];
  private readonly waiters: Array<{ pred: (r: StreamRecord) => boolean; resolve: (r: StreamRecord) => void }> = [];
  private readonly done: Promise<void>;

  constructor(readonly loader: LoaderSupervisor) {
    this.done = (async () => {
      for await (const r of loader) {
        this.records.push(r);
        for (const w of [...this.waiters]) {
          if (w.pred(r)) {
            this.waiters.splice(this.waiters.indexOf(w), 1);
            w.resolve(r);
          }
        }
      }
    })();
  }

  /** Resolves with the first record (already seen or future) matching `pred`; fails after `ms` naming `what`. */
  waitFor<T extends StreamRecord>(what: string, pred: (r: StreamRecord) => r is T, ms = 15_000): Promise<T> {
    const seen = this.records.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`no ${what} record within ${ms} ms; got ${this.records.length} records`));
      }, ms);
      const w = {
        pred,
        resolve: (r: StreamRecord) => {
          clearTimeout(timer);
          resolve(r as T);
        },
      };
      this.waiters.push(w);
    });
  }

  /** Index in `records` just after the stream position of this command's ack (records after it follow the command). */
  async after(ack: Promise<AckRecord>): Promise<number> {
    const a = await ack;
    await this.waitFor('ack in stream', (r): r is AckRecord => r === a);
    return this.records.indexOf(a) + 1;
  }

  async close(): Promise<void> {
    await this.loader.close();
    await this.done;
  }
}

export function collect(opts: LoaderOptions): Collected {
  return new Collected(startLoader(opts));
}
