/**
 * seccomp: a syscall a seccomp filter logged in a watched cgroup: the kernel's audit record (type 1326), read from the
 * audit multicast group (bpf/seccomp_records.c). `action: "log"` is a monitor profile's would-be denial; `errno`,
 * `kill_*`, `trap` are real denials (logged when listed in /proc/sys/kernel/seccomp/actions_logged). `ts` is the
 * audit record's time.
 */
import { z } from 'zod';
import { cgroupIdSchema, pid, syscallName, tracer, ts, v } from './tracer.ts';

export const seccompTracer = tracer({
  type: 'seccomp',
  schema: z.object({
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
  }),
  aggregate(r, w) {
    const syscall = syscallName(r.name, r.nr);
    w.upsert(`${w.subject}\u0000seccomp\u0000${r.arch}\u0000${syscall}\u0000${r.action}\u0000${r.exe}`, () => ({
      type: 'seccomp',
      time: w.time(),
      syscall,
      nr: r.nr,
      arch: r.arch,
      action: r.action,
      ...(r.exe ? { exe: r.exe.slice(0, 4096) } : {}),
      ...(r.comm ? { comm: r.comm.slice(0, 64) } : {}),
      ...(w.seccompProfile ? { profile: w.seccompProfile } : {}),
      pid: r.pid,
      attribution: w.attribution,
    }));
  },
});
