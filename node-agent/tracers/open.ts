/** open: files a watched cgroup opened (bpf/tracers/open.c), de-duplicated in the kernel per window. */
import { z } from 'zod';
import { keys } from '../../lib/core/observation.ts';
import { cgroupIdSchema, pid, tracer, ts, v } from './tracer.ts';

/**
 * How `open.path` was obtained: `absolute` (the process passed an absolute path), `cwd` / `dirfd` (a relative
 * path joined by the loader with the process's cwd or the directory fd read from /proc right after the event),
 * `unresolved` (the process was gone or /proc unreadable: `path` is the raw relative path and `dirfd` says against
 * what it was meant).
 */
export const OPEN_PATH_SOURCES = ['absolute', 'cwd', 'dirfd', 'unresolved'] as const;

export const openTracer = tracer({
  type: 'open',
  schema: z.object({
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
  }),
  aggregate(r, w) {
    if (r.pathSource === 'unresolved' || !r.path.startsWith('/')) {
      // A relative path we could not anchor would become a wrong key; counted instead.
      w.drop('open_path_unresolved');
      return;
    }
    const errno = r.ret < 0 ? -r.ret : undefined;
    const path = keys.open(r.path).slice('open:'.length);
    w.upsert(`${w.subject}\u0000open\u0000${path}\u0000${errno ?? ''}`, () => ({
      type: 'open',
      time: w.time(),
      path: r.path,
      flags: r.flags,
      ...(errno ? { errno } : {}),
      pid: r.pid,
      attribution: w.attribution,
    }));
  },
});
