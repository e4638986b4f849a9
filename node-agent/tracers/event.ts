/**
 * event: a kernel event of a tracer with no TypeScript of its own (bpf/emit.h `event_begin`): its C decoder names
 * the kind and the behavior key, and the window ships it as a `kernel-event` batch record, stored by the control
 * plane as `kernel:<kind>:<key>`. A new event type is then one C file (bpf/README.md). Kind, key and attributes are
 * bounded by the same rules the control plane's parser applies to the batch record.
 */
import { z } from 'zod';
import { kernelEventRecordSchema } from '../../lib/core/sources/node-agent-schema.ts';
import { cgroupIdSchema, pid, tracer, ts, v } from './tracer.ts';

const shipped = kernelEventRecordSchema.shape;

export const eventTracer = tracer({
  type: 'event',
  schema: z.object({
    type: z.literal('event'),
    v,
    ts,
    kind: shipped.kind,
    pid,
    cgroupId: cgroupIdSchema,
    key: shipped.key,
    attrs: shipped.attrs,
  }),
  aggregate: (r, w) => w.event(r.key, r.attrs, r.kind),
});
