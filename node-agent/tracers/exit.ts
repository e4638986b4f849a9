/** exit: a process of a watched cgroup exits (bpf/tracers/exit.c). Not shipped: the supervisor's own use only. */
import { z } from 'zod';
import { cgroupIdSchema, pid, tracer, ts, v } from './tracer.ts';

export const exitTracer = tracer({
  type: 'exit',
  schema: z.object({
    type: z.literal('exit'),
    v,
    ts,
    pid,
    ppid: pid,
    cgroupId: cgroupIdSchema,
    comm: z.string(),
    /** Exit status as `wait()` reports it: `code << 8 | signal`. */
    exitCode: z.number().int(),
  }),
});
