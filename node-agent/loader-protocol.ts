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

export const LOADER_PROTOCOL_VERSION = 1 as const;

const v = z.literal(LOADER_PROTOCOL_VERSION);
/** A cgroup id (cgroup2 directory inode number) as a decimal string. */
export const cgroupIdSchema = z.string().regex(/^\d{1,20}$/, 'cgroup id must be a decimal u64');
const pid = z.number().int().nonnegative();
const ts = z.number().nonnegative();

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

export const execRecordSchema = z.object({
  type: z.literal('exec'),
  v,
  ts,
  pid,
  ppid: pid,
  uid: z.number().int().nonnegative(),
  cgroupId: cgroupIdSchema,
  comm: z.string(),
  /** The path the kernel executed (as passed to execve, resolved by the kernel for the binfmt). */
  filename: z.string(),
  argv: z.array(z.string()),
  /** True when argv was longer than the kernel-side copy buffer and has been cut. */
  argvTruncated: z.boolean(),
});

export const exitRecordSchema = z.object({
  type: z.literal('exit'),
  v,
  ts,
  pid,
  ppid: pid,
  cgroupId: cgroupIdSchema,
  comm: z.string(),
  /** Exit status as `wait()` reports it: `code << 8 | signal`. */
  exitCode: z.number().int(),
});

/**
 * How `open.path` was obtained: `absolute` (the process passed an absolute path), `cwd` / `dirfd` (a relative
 * path joined by the loader with the process's cwd or the directory fd read from /proc right after the event),
 * `unresolved` (the process was gone or /proc unreadable: `path` is the raw relative path and `dirfd` says against
 * what it was meant).
 */
export const OPEN_PATH_SOURCES = ['absolute', 'cwd', 'dirfd', 'unresolved'] as const;

export const openRecordSchema = z.object({
  type: z.literal('open'),
  v,
  ts,
  pid,
  cgroupId: cgroupIdSchema,
  comm: z.string(),
  path: z.string(),
  pathSource: z.enum(OPEN_PATH_SOURCES),
  /** The dirfd argument of openat (-100 is AT_FDCWD). */
  dirfd: z.number().int(),
  /** openat flags (O_RDONLY=0, O_WRONLY=1, O_RDWR=2, O_CREAT=0o100 ...). */
  flags: z.number().int().nonnegative(),
  /** The syscall result: a file descriptor, or -errno. */
  ret: z.number().int(),
});

export const connectRecordSchema = z.object({
  type: z.literal('connect'),
  v,
  ts,
  pid,
  cgroupId: cgroupIdSchema,
  comm: z.string(),
  family: z.enum(['inet', 'inet6']),
  protocol: z.enum(['tcp', 'udp', 'other']),
  /** Destination address in its usual text form (IPv4 dotted quad, IPv6 RFC 5952). */
  daddr: z.string(),
  dport: z.number().int().min(0).max(65535),
});

export const dnsRecordSchema = z.object({
  type: z.literal('dns'),
  v,
  ts,
  /** Packets leave in softirq context too, so the sending pid is not always known: 0 then. */
  pid,
  cgroupId: cgroupIdSchema,
  family: z.enum(['inet', 'inet6']),
  /** The resolver the query was sent to. */
  daddr: z.string(),
  dport: z.number().int().min(0).max(65535),
  /** Query name, lower-case, no trailing dot; `<malformed>` when the question section could not be decoded. */
  qname: z.string(),
  /** Numeric QTYPE (1 A, 28 AAAA, 5 CNAME, 16 TXT, 33 SRV, 65 HTTPS ...). */
  qtype: z.number().int().min(0).max(65535),
  /** DNS transaction id, to pair with a response if needed. */
  txid: z.number().int().min(0).max(65535),
});

export const syscallCountSchema = z.object({
  nr: z.number().int().nonnegative(),
  /** x86_64 syscall name, or `nr:<n>` when the loader's table does not know it. */
  name: z.string(),
  count: z.number().int().positive(),
});

export const syscallsRecordSchema = z.object({
  type: z.literal('syscalls'),
  v,
  ts,
  cgroupId: cgroupIdSchema,
  /** Counts since the previous `syscalls` record for this cgroup. */
  counts: z.array(syscallCountSchema),
});

/**
 * A syscall a seccomp filter logged in a watched cgroup: the kernel's audit record (type 1326), read from the audit
 * multicast group. `action: "log"` is a monitor profile's would-be denial; `errno`, `kill_*`, `trap` are real
 * denials (logged when listed in /proc/sys/kernel/seccomp/actions_logged). `ts` is the audit record's time.
 */
export const seccompRecordSchema = z.object({
  type: z.literal('seccomp'),
  v,
  ts,
  pid,
  cgroupId: cgroupIdSchema,
  arch: z.enum(['x86_64', 'aarch64', 'i386', 'x32', 'arm', 'unknown']),
  nr: z.number().int().nonnegative(),
  /** Name in the arch's table (x86_64 spellings; aarch64 uses the same), or `nr:<n>`. */
  name: z.string(),
  action: z.enum(['log', 'errno', 'kill_thread', 'kill_process', 'trap', 'trace', 'user_notif', 'unknown']),
  /** SECCOMP_RET_* value with its data (errno). */
  code: z.number().int().nonnegative(),
  compat: z.boolean(),
  comm: z.string(),
  exe: z.string(),
});

/** Reasons a record can be lost (`drops.counts`) and the intentional suppressions (`drops.suppressed`). */
export const DROP_REASONS = [
  'ringbuf_exec',
  'ringbuf_exit',
  'ringbuf_open',
  'ringbuf_connect',
  'ringbuf_dns',
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
export type DropReason = (typeof DROP_REASONS)[number];

export const dropsRecordSchema = z.object({
  type: z.literal('drops'),
  v,
  ts,
  /** Cumulative lost records per reason since the loader started. */
  counts: z.record(z.enum(DROP_REASONS), z.number().int().nonnegative()),
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

export const loaderRecordSchema = z.discriminatedUnion('type', [
  readyRecordSchema,
  execRecordSchema,
  exitRecordSchema,
  openRecordSchema,
  connectRecordSchema,
  dnsRecordSchema,
  syscallsRecordSchema,
  seccompRecordSchema,
  dropsRecordSchema,
  ackRecordSchema,
  warnRecordSchema,
]);

export type ReadyRecord = z.infer<typeof readyRecordSchema>;
export type ExecRecord = z.infer<typeof execRecordSchema>;
export type ExitRecord = z.infer<typeof exitRecordSchema>;
export type OpenRecord = z.infer<typeof openRecordSchema>;
export type ConnectRecord = z.infer<typeof connectRecordSchema>;
export type DnsRecord = z.infer<typeof dnsRecordSchema>;
export type SyscallsRecord = z.infer<typeof syscallsRecordSchema>;
export type SeccompRecord = z.infer<typeof seccompRecordSchema>;
export type DropsRecord = z.infer<typeof dropsRecordSchema>;
export type AckRecord = z.infer<typeof ackRecordSchema>;
export type WarnRecord = z.infer<typeof warnRecordSchema>;
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
