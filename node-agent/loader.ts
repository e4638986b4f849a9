/**
 * Supervisor of the libbpf loader process (bpf/.output/warden-loader): starts it, parses its JSON lines with the
 * zod schemas of ./loader-protocol.ts, restarts it with exponential backoff when it dies, re-applies the watched
 * cgroups after a restart, and shuts it down cleanly.
 *
 * Consumers read one async-iterable stream of typed records (loader records plus the supervisor's own
 * `loader-start` / `loader-exit` / `protocol-error` records):
 *
 * @example
 * const loader = startLoader({ watch: [{ cgroupId: '58', countSyscalls: true }] });
 * await loader.ready();
 * for await (const r of loader) if (r.type === 'exec') console.log(r.filename, r.argv);
 *
 * Backpressure, not loss: when the consumer falls behind by `queueHighWater` records the supervisor stops reading
 * the loader's stdout; the loader then blocks, the kernel ring buffer fills, and the kernel counts what it cannot
 * reserve (`drops` records). Nothing is dropped silently in user space.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  type AckRecord,
  cgroupIdSchema,
  type LoaderCommand,
  loaderCommand,
  parseLoaderLine,
  type ReadyRecord,
  type StreamRecord,
} from './loader-protocol.ts';

/** The loader binary `make -C bpf` builds, relative to this file. */
export const DEFAULT_LOADER_BINARY = fileURLToPath(new URL('../bpf/.output/warden-loader', import.meta.url));

/** A loader that cannot be started or kept running; `cause` carries the underlying error when there is one. */
export class LoaderError extends Error {
  override readonly name = 'LoaderError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export interface WatchSpec {
  cgroupId: string;
  countSyscalls?: boolean;
}

export interface LoaderOptions {
  /** Loader executable; default {@link DEFAULT_LOADER_BINARY} or `$WARDEN_LOADER`. */
  binary?: string;
  /** Cgroups watched from the start (and after every restart, together with later `watch` calls). */
  watch?: WatchSpec[];
  /** cgroup2 mount the connect/DNS programs attach to (loader default /sys/fs/cgroup/unified). */
  cgroupRoot?: string;
  /** In-kernel de-duplication window for repeat opens/connects per cgroup (loader default 5000). */
  dedupMs?: number;
  /** How often syscall counts and changed drop counters are emitted (loader default 1000). */
  intervalMs?: number;
  /** Ring buffer size in MiB, a power of two (loader default 8). */
  ringbufMb?: number;
  /** Cgroups that can have syscall counting on at once (loader default 64). */
  maxSlots?: number;
  /** UDP port whose egress payload is parsed as DNS (loader default 53). */
  dnsPort?: number;
  /** Restart policy: delay doubles from `initialMs` to `maxMs`; the attempt count resets after `stableMs` up. */
  restart?: { initialMs?: number; maxMs?: number; stableMs?: number; maxAttempts?: number };
  /** Records buffered for the consumer before stdout reading pauses (default 10000). */
  queueHighWater?: number;
  /**
   * The programs for kernels without tp_btf (raw_tp sys_enter counter, syscalls:sys_{enter,exit}_openat pair) even
   * where newer ones load: tests and comparisons.
   */
  compatCount?: boolean;
  /** The tp_btf programs (sys_enter counter, sys_exit opens) even where the fentry/fexit ones load. */
  noFentry?: boolean;
  /** Extra environment for the loader process. */
  env?: NodeJS.ProcessEnv;
}

type Waiter = (r: IteratorResult<StreamRecord>) => void;

/** Supervised loader process; an async iterable of its records. Single consumer. */
export class LoaderSupervisor implements AsyncIterable<StreamRecord> {
  private child: ChildProcessWithoutNullStreams | undefined;
  private readonly watched = new Map<string, { countSyscalls: boolean }>();
  private readonly queue: StreamRecord[] = [];
  private waiter: Waiter | undefined;
  private pendingAcks: Array<{ resolve: (a: AckRecord) => void; reject: (e: Error) => void }> = [];
  private readyWaiters: Array<{ resolve: (r: ReadyRecord) => void; reject: (e: Error) => void }> = [];
  private lastReady: ReadyRecord | undefined;
  private partial = '';
  private stderrTail = '';
  private attempt = 0;
  private startedAt = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private closing = false;
  private ended = false;
  private paused = false;
  private readonly binary: string;
  private readonly highWater: number;
  private readonly restart: Required<NonNullable<LoaderOptions['restart']>>;
  /** Why the supervisor gave up, when it did. */
  failure: LoaderError | undefined;

  constructor(private readonly opts: LoaderOptions = {}) {
    this.binary = opts.binary ?? process.env.WARDEN_LOADER ?? DEFAULT_LOADER_BINARY;
    this.highWater = opts.queueHighWater ?? 10_000;
    this.restart = {
      initialMs: opts.restart?.initialMs ?? 200,
      maxMs: opts.restart?.maxMs ?? 30_000,
      stableMs: opts.restart?.stableMs ?? 60_000,
      maxAttempts: opts.restart?.maxAttempts ?? Number.POSITIVE_INFINITY,
    };
    for (const w of opts.watch ?? []) {
      this.watched.set(cgroupIdSchema.parse(w.cgroupId), { countSyscalls: !!w.countSyscalls });
    }
    this.spawnChild();
  }

  /** Resolves with the loader's `ready` record (the current one after a restart); rejects if it never comes. */
  ready(): Promise<ReadyRecord> {
    if (this.lastReady && this.child) return Promise.resolve(this.lastReady);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  /** Starts observing a cgroup (optionally with syscall counting); kept across restarts. */
  watch(cgroupId: string, opts: { countSyscalls?: boolean } = {}): Promise<AckRecord> {
    const id = cgroupIdSchema.parse(cgroupId);
    this.watched.set(id, { countSyscalls: !!opts.countSyscalls });
    return this.send({ cmd: 'watch', cgroupId: id, countSyscalls: !!opts.countSyscalls });
  }

  unwatch(cgroupId: string): Promise<AckRecord> {
    const id = cgroupIdSchema.parse(cgroupId);
    this.watched.delete(id);
    return this.send({ cmd: 'unwatch', cgroupId: id });
  }

  /** Switches syscall counting (the learning-window cost) for a watched cgroup. */
  setCounting(cgroupId: string, on: boolean): Promise<AckRecord> {
    const id = cgroupIdSchema.parse(cgroupId);
    const w = this.watched.get(id);
    if (w) w.countSyscalls = on;
    return this.send({ cmd: 'count', cgroupId: id, on });
  }

  /** Asks the loader to emit its syscall counts and drop counters now. */
  flush(): Promise<AckRecord> {
    return this.send({ cmd: 'flush' });
  }

  /** The cgroups currently watched, as the supervisor will re-apply them after a restart. */
  watchedCgroups(): WatchSpec[] {
    return [...this.watched].map(([cgroupId, w]) => ({ cgroupId, countSyscalls: w.countSyscalls }));
  }

  /**
   * Stops the loader: `quit` (it flushes counts and drops, then detaches), SIGTERM after `graceMs`, SIGKILL after
   * twice that. Records already read stay readable; the stream then ends.
   */
  async close(graceMs = 3000): Promise<void> {
    this.closing = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      // 'close' (not 'exit'): stdout is fully read by then, so no record is lost at shutdown.
      const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
      if (this.paused) child.stdout.resume();
      child.stdin.end(loaderCommand({ cmd: 'quit' }));
      const term = setTimeout(() => child.kill('SIGTERM'), graceMs);
      const kill = setTimeout(() => child.kill('SIGKILL'), graceMs * 2);
      await exited;
      clearTimeout(term);
      clearTimeout(kill);
    }
    this.finish();
  }

  [Symbol.asyncIterator](): AsyncIterator<StreamRecord> {
    return {
      next: () => {
        const r = this.queue.shift();
        if (r) {
          this.maybeResume();
          return Promise.resolve({ value: r, done: false });
        }
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.waiter = resolve;
        });
      },
      return: async () => {
        await this.close();
        return { value: undefined, done: true };
      },
    };
  }

  // ------------------------------------------------------------------------------------------------------------

  private send(c: LoaderCommand): Promise<AckRecord> {
    const child = this.child;
    if (!child || !this.lastReady || child.stdin.destroyed) {
      // Not running (restarting): the watched set is applied as arguments when it comes back.
      const ack: AckRecord = { type: 'ack', v: 1, ts: Date.now(), cmd: loaderCommand(c).trim(), ok: true };
      this.push(ack);
      return Promise.resolve(ack);
    }
    return new Promise((resolve, reject) => {
      this.pendingAcks.push({ resolve, reject });
      child.stdin.write(loaderCommand(c));
    });
  }

  private args(): string[] {
    const a: string[] = [];
    for (const [id, w] of this.watched) a.push(w.countSyscalls ? '--count' : '--watch', id);
    const o = this.opts;
    if (o.cgroupRoot) a.push('--cgroup-root', o.cgroupRoot);
    if (o.dedupMs !== undefined) a.push('--dedup-ms', String(o.dedupMs));
    if (o.intervalMs !== undefined) a.push('--interval-ms', String(o.intervalMs));
    if (o.ringbufMb !== undefined) a.push('--ringbuf-mb', String(o.ringbufMb));
    if (o.maxSlots !== undefined) a.push('--max-slots', String(o.maxSlots));
    if (o.dnsPort !== undefined) a.push('--dns-port', String(o.dnsPort));
    if (o.compatCount) a.push('--compat-count');
    if (o.noFentry) a.push('--no-fentry');
    return a;
  }

  private spawnChild(): void {
    if (!existsSync(this.binary)) {
      this.giveUp(
        new LoaderError(
          `warden-loader not found at ${this.binary}: build it with \`make -C bpf\` (needs clang llvm libbpf-dev ` +
            'bpftool libelf-dev zlib1g-dev make gcc, see bpf/README.md)',
        ),
      );
      return;
    }
    this.partial = '';
    this.stderrTail = '';
    this.lastReady = undefined;
    this.startedAt = Date.now();
    const child = spawn(this.binary, this.args(), {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...this.opts.env },
    });
    this.child = child;
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => this.onData(chunk));
    child.stderr.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-4096);
    });
    // EPIPE on stdin when the loader died between our check and the write: the exit handler deals with it.
    child.stdin.on('error', () => {});
    child.on('error', (err) => {
      this.stderrTail += `\nspawn: ${err.message}`;
    });
    child.on('close', (code, signal) => this.onExit(child, code, signal));
    if (child.pid !== undefined)
      this.push({ type: 'loader-start', ts: Date.now(), attempt: this.attempt, pid: child.pid });
  }

  private onData(chunk: string): void {
    const text = this.partial + chunk;
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line) continue;
      const p = parseLoaderLine(line);
      if (!p.ok) {
        this.push({ type: 'protocol-error', ts: Date.now(), line: line.slice(0, 2048), error: p.error });
        continue;
      }
      const r = p.record;
      // Acks are resolved for the caller and also stay in the stream, so a consumer can tell which records came
      // before a command took effect and which after.
      if (r.type === 'ack') this.pendingAcks.shift()?.resolve(r);
      if (r.type === 'ready') {
        this.lastReady = r;
        for (const w of this.readyWaiters.splice(0)) w.resolve(r);
      }
      this.push(r);
    }
    if (this.queue.length >= this.highWater && this.child && !this.paused) {
      this.paused = true;
      this.child.stdout.pause();
    }
  }

  private onExit(child: ChildProcessWithoutNullStreams, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return;
    this.child = undefined;
    this.paused = false;
    if (this.partial) this.onData('\n');
    for (const a of this.pendingAcks.splice(0)) a.reject(new LoaderError('loader exited before answering'));
    if (this.closing) {
      this.push({ type: 'loader-exit', ts: Date.now(), code, signal, stderrTail: this.stderrTail, restartInMs: null });
      this.finish();
      return;
    }
    if (Date.now() - this.startedAt >= this.restart.stableMs) this.attempt = 0;
    this.attempt += 1;
    if (this.attempt > this.restart.maxAttempts) {
      this.push({ type: 'loader-exit', ts: Date.now(), code, signal, stderrTail: this.stderrTail, restartInMs: null });
      this.giveUp(
        new LoaderError(
          `warden-loader exited (code ${code}, signal ${signal}) ${this.attempt} times; giving up: ${this.stderrTail.trim().split('\n').slice(-3).join(' | ')}`,
        ),
      );
      return;
    }
    const delay = Math.min(this.restart.maxMs, this.restart.initialMs * 2 ** (this.attempt - 1));
    this.push({ type: 'loader-exit', ts: Date.now(), code, signal, stderrTail: this.stderrTail, restartInMs: delay });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.closing) this.spawnChild();
    }, delay);
  }

  private giveUp(err: LoaderError): void {
    this.failure = err;
    for (const w of this.readyWaiters.splice(0)) w.reject(err);
    this.finish();
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    for (const w of this.readyWaiters.splice(0))
      w.reject(this.failure ?? new LoaderError('loader closed before ready'));
    if (this.queue.length === 0 && this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w({ value: undefined, done: true });
    }
  }

  private push(r: StreamRecord): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w({ value: r, done: false });
      return;
    }
    this.queue.push(r);
  }

  private maybeResume(): void {
    if (this.paused && this.queue.length < this.highWater / 2 && this.child) {
      this.paused = false;
      this.child.stdout.resume();
    }
  }
}

/** Starts the loader under supervision. */
export function startLoader(opts: LoaderOptions = {}): LoaderSupervisor {
  return new LoaderSupervisor(opts);
}
