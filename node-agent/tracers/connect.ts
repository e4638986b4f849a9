/** connect: destinations a watched cgroup connected or sent to (bpf/tracers/connect.c), de-duplicated per window. */
import { z } from 'zod';
import { keys } from '../../lib/core/observation.ts';
import { cgroupIdSchema, pid, port, tracer, ts, v } from './tracer.ts';

export const connectTracer = tracer({
  type: 'connect',
  schema: z.object({
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
    dport: port,
  }),
  aggregate(r, w) {
    w.upsert(`${w.subject}\u0000${keys.egress(r.daddr, r.dport)}\u0000${r.protocol}`, () => ({
      type: 'connect',
      time: w.time(),
      daddr: r.daddr,
      dport: r.dport,
      proto: r.protocol,
      pid: r.pid,
      attribution: w.attribution,
    }));
  },
});
