/** syscalls: per-cgroup syscall counts read from the kernel every interval (bpf/counts.c), summed per window. */
import { z } from 'zod';
import { cgroupIdSchema, syscallName, tracer, ts, v } from './tracer.ts';

export const syscallCountSchema = z.object({
  nr: z.number().int().nonnegative(),
  /** x86_64 syscall name, or `nr:<n>` when the loader's table does not know it. */
  name: z.string(),
  count: z.number().int().positive(),
});

export const syscallsTracer = tracer({
  type: 'syscalls',
  schema: z.object({
    type: z.literal('syscalls'),
    v,
    ts,
    cgroupId: cgroupIdSchema,
    /** Counts since the previous `syscalls` record for this cgroup. */
    counts: z.array(syscallCountSchema),
  }),
  aggregate(r, w) {
    const counts: Record<string, number> = {};
    for (const c of r.counts) {
      const name = syscallName(c.name, c.nr);
      counts[name] = (counts[name] ?? 0) + c.count;
    }
    w.addSyscalls(counts);
  },
});
