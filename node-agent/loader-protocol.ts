/**
 * The wire contract between the libbpf loader (`bpf/.output/warden-loader`, C) and its TypeScript supervisor
 * (node-agent/loader.ts).
 *
 * Output: the loader prints one JSON object per line on stdout. Every record starts with `type` and `v`
 * (protocol version). Kernel identifiers that are u64 in the kernel (cgroup ids) are decimal strings so they never
 * lose precision in JavaScript; pids and counters fit in a double and are numbers. `ts` is wall-clock Unix time in
 * milliseconds (microsecond fraction), converted by the loader from the kernel's boot-time clock.
 *
 * Input: the loader reads line commands on stdin (see {@link loaderCommand}); each is answered by an `ack` record.
 *
 * Semantics worth knowing:
 * - `open` and `connect` are de-duplicated in the kernel per cgroup within a window (`--dedup-ms`): a repeat of the
 *   same (cgroup, path) or (cgroup, family, address, port, protocol) inside the window is counted in
 *   `drops.suppressed`, not emitted. Suppression is intentional and reported, not a loss.
 * - `syscalls` carries the counts accumulated in the kernel since the previous `syscalls` record for that cgroup
 *   (deltas, not totals); only cgroups with counting switched on have counts.
 * - `drops` carries cumulative counters since the loader started; a restart of the loader starts them at zero again
 *   (the supervisor's `loader-exit` record marks that boundary).
 */
import { z } from 'zod';
import type { connectTracer } from './tracers/connect.ts';
import type { dnsTracer } from './tracers/dns.ts';
import type { execTracer } from './tracers/exec.ts';
import type { exitTracer } from './tracers/exit.ts';
import { TRACER_SCHEMAS } from './tracers/index.ts';
import type { openTracer } from './tracers/open.ts';
import type { syscallsTracer } from './tracers/syscalls.ts';
import { cgroupIdSchema, pid, ts, v } from './tracers/tracer.ts';

export { cgroupIdSchema, LOADER_PROTOCOL_VERSION } from './tracers/tracer.ts';

/** First record: what was loaded and which optional kernel features exist. */
export const readyRecordSchema = z.object({
  type: z.literal('ready'),
  v,
  ts,
  pid,
  /** Optional kernel features probed at start; never required. */
  features: z.object({ fentry: z.boolean(), lsm: z.boolean(), tpBtf: z.boolean() }),
  /** Names of the attached programs. */
  programs: z.array(z.string()),
  /** The cgroup2 mount the cgroup programs (connect, DNS) are attached to. */
  cgroupRoot: z.string(),
  dedupWindowMs: z.number().nonnegative(),
  syscallIntervalMs: z.number().nonnegative(),
  /** Whether seccomp records are read from the kernel audit multicast group (needs CAP_AUDIT_READ, host netns). */
  seccompAudit: z.boolean().optional(),
});

/** Reasons a record can be lost (`drops.counts`) and the intentional suppressions (`drops.suppressed`). */
export const DROP_REASONS = [
  'open_pending_full',
  'syscall_map_full',
  /** Syscalls of 32-bit (ia32 / AArch32) tasks in watched cgroups: their numbering differs, not counted. */
  'syscall_compat',
  /** Seccomp audit records the socket's receive buffer could not hold (the kernel dropped them for us). */
  'seccomp_overflow',
  'seccomp_malformed',
  /** Seccomp records of a process that exited before its cgroup was read. */
  'seccomp_no_cgroup',
  /** Seccomp records over the per-interval cap (`--seccomp-max`). */
  'seccomp_rate',
  'user_decode',
] as const;

/**
 * Ring-buffer reservation failures, one counter per kernel tracer (bpf/warden.h): `ringbuf_<name>`, the name of a
 * tracer of the table or of one printing generic `event` records (a kind: ./tracers/event.ts).
 */
const RINGBUF_DROP = /^ringbuf_[a-z][a-z0-9_]{0,31}$/;
const dropReason = z.union([z.enum(DROP_REASONS), z.string().regex(RINGBUF_DROP, 'not a drop reason of the loader')]);

export const dropsRecordSchema = z.object({
  type: z.literal('drops'),
  v,
  ts,
  /** Cumulative lost records per reason since the loader started. */
  counts: z.record(dropReason, z.number().int().nonnegative()),
  /** Cumulative de-duplicated (intentionally not emitted) records per kind since the loader started. */
  suppressed: z.object({ open: z.number().int().nonnegative(), connect: z.number().int().nonnegative() }),
  /** Records the loader has written since it started (all types). */
  emitted: z.number().int().nonnegative(),
});

/** Answer to a stdin command. */
export const ackRecordSchema = z.object({
  type: z.literal('ack'),
  v,
  ts,
  cmd: z.string(),
  ok: z.boolean(),
  error: z.string().optional(),
});

/** A loader-side problem that did not stop it (e.g. a program that failed to attach). */
export const warnRecordSchema = z.object({
  type: z.literal('warn'),
  v,
  ts,
  message: z.string(),
});

/** Every record the loader writes: its own (ready, drops, ack, warn) and the kernel events' (./tracers/). */
export const loaderRecordSchema = z.discriminatedUnion('type', [
  readyRecordSchema,
  ...TRACER_SCHEMAS,
  dropsRecordSchema,
  ackRecordSchema,
  warnRecordSchema,
]);

export type ReadyRecord = z.infer<typeof readyRecordSchema>;
export type ExecRecord = z.infer<typeof execTracer.schema>;
export type ExitRecord = z.infer<typeof exitTracer.schema>;
export type OpenRecord = z.infer<typeof openTracer.schema>;
export type ConnectRecord = z.infer<typeof connectTracer.schema>;
export type DnsRecord = z.infer<typeof dnsTracer.schema>;
export type SyscallsRecord = z.infer<typeof syscallsTracer.schema>;
export type DropsRecord = z.infer<typeof dropsRecordSchema>;
export type AckRecord = z.infer<typeof ackRecordSchema>;
/** Any record the loader process writes. */
export type LoaderRecord = z.infer<typeof loaderRecordSchema>;

/**
 * Records the supervisor (node-agent/loader.ts) adds to the stream, so consumers see restarts and bad lines as
 * values instead of exceptions.
 */
export type SupervisorRecord =
  | {
      type: 'loader-exit';
      ts: number;
      code: number | null;
      signal: string | null;
      stderrTail: string;
      restartInMs: number | null;
    }
  | { type: 'loader-start'; ts: number; attempt: number; pid: number }
  | { type: 'protocol-error'; ts: number; line: string; error: string };

export type StreamRecord = LoaderRecord | SupervisorRecord;

/** Parses one stdout line of the loader; a bad line is a value (`ok: false`), not an exception. */
export function parseLoaderLine(line: string): { ok: true; record: LoaderRecord } | { ok: false; error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch (e) {
    return { ok: false, error: `invalid JSON: ${(e as Error).message}` };
  }
  const r = loaderRecordSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    return { ok: false, error: `schema: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}` };
  }
  return { ok: true, record: r.data };
}

/**
 * Stdin commands of the loader, one per line:
 * - `watch <cgroupId> [count]`: start observing a cgroup; `count` also switches syscall counting on for it.
 * - `unwatch <cgroupId>`: stop observing it (its pending syscall counts are flushed first).
 * - `count <cgroupId> on|off`: switch syscall counting for a watched cgroup.
 * - `flush`: emit `syscalls` and `drops` records now.
 * - `quit`: flush, detach and exit 0 (closing stdin does the same).
 */
export type LoaderCommand =
  | { cmd: 'watch'; cgroupId: string; countSyscalls?: boolean }
  | { cmd: 'unwatch'; cgroupId: string }
  | { cmd: 'count'; cgroupId: string; on: boolean }
  | { cmd: 'flush' }
  | { cmd: 'quit' };

/** Serializes a command to the loader's stdin line format (with the trailing newline). */
export function loaderCommand(c: LoaderCommand): string {
  switch (c.cmd) {
    case 'watch':
      return `watch ${cgroupIdSchema.parse(c.cgroupId)}${c.countSyscalls ? ' count' : ''}\n`;
    case 'unwatch':
      return `unwatch ${cgroupIdSchema.parse(c.cgroupId)}\n`;
    case 'count':
      return `count ${cgroupIdSchema.parse(c.cgroupId)} ${c.on ? 'on' : 'off'}\n`;
    case 'flush':
      return 'flush\n';
    case 'quit':
      return 'quit\n';
  }
}
