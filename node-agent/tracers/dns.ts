/** dns: the question of each UDP DNS query a watched cgroup sends (bpf/tracers/dns.c). */
import { z } from 'zod';
import { cgroupIdSchema, pid, port, tracer, ts, v } from './tracer.ts';

export const dnsTracer = tracer({
  type: 'dns',
  schema: z.object({
    type: z.literal('dns'),
    v,
    ts,
    /** Packets leave in softirq context too, so the sending pid is not always known: 0 then. */
    pid,
    cgroupId: cgroupIdSchema,
    family: z.enum(['inet', 'inet6']),
    /** The resolver the query was sent to. */
    daddr: z.string(),
    dport: port,
    /** Query name, lower-case, no trailing dot; `<malformed>` when the question section could not be decoded. */
    qname: z.string(),
    /** Numeric QTYPE (1 A, 28 AAAA, 5 CNAME, 16 TXT, 33 SRV, 65 HTTPS ...). */
    qtype: port,
    /** DNS transaction id, to pair with a response if needed. */
    txid: port,
  }),
  aggregate(r, w) {
    if (r.qname === '<malformed>' || !/^[A-Za-z0-9_.*-]+\.?$/.test(r.qname)) {
      w.drop('dns_malformed');
      return;
    }
    w.upsert(`${w.subject}\u0000dns\u0000${r.qname.toLowerCase()}\u0000${r.qtype}`, () => ({
      type: 'dns',
      time: w.time(),
      qname: r.qname,
      qtype: r.qtype,
      attribution: w.attribution,
    }));
  },
});
