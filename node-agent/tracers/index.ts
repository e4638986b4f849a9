/**
 * The tracer table: loader record type -> its schema and its fold into the window. A kernel event type is one C file
 * in bpf/tracers/ whose decoder prints generic `event` records (./event.ts); one with a record of its own adds a
 * module here too (bpf/README.md).
 */
import type { z } from 'zod';
import { connectTracer } from './connect.ts';
import { dnsTracer } from './dns.ts';
import { eventTracer } from './event.ts';
import { execTracer } from './exec.ts';
import { exitTracer } from './exit.ts';
import { openTracer } from './open.ts';
import { seccompTracer } from './seccomp.ts';
import { syscallsTracer } from './syscalls.ts';
import type { WindowContext } from './tracer.ts';

export const TRACERS = {
  exec: execTracer,
  exit: exitTracer,
  open: openTracer,
  connect: connectTracer,
  dns: dnsTracer,
  event: eventTracer,
  syscalls: syscallsTracer,
  seccomp: seccompTracer,
} as const;

type Tracers = typeof TRACERS;

/** The record schemas of every tracer in the table, for the loader protocol's union (which wants one at least). */
export const TRACER_SCHEMAS = ((): [Tracers[keyof Tracers]['schema'], ...Tracers[keyof Tracers]['schema'][]] => {
  const [first, ...rest] = Object.values(TRACERS).map((t) => t.schema);
  if (!first) throw new Error('node-agent/tracers: the tracer table is empty');
  return [first, ...rest];
})();

/** A record of a kernel event type. */
export type TracedRecord = z.infer<(typeof TRACER_SCHEMAS)[number]>;

/** Folds a traced record into the window through its tracer; false when the tracer keeps nothing of it. */
export function aggregateTraced(r: TracedRecord, w: WindowContext): boolean {
  const fold = TRACERS[r.type].aggregate as ((r: TracedRecord, w: WindowContext) => void) | undefined;
  if (!fold) return false;
  fold(r, w);
  return true;
}

/** Whether a loader record is a traced kernel event. */
export const isTraced = <R extends { type: string }>(r: R): r is Extract<R, TracedRecord> =>
  Object.hasOwn(TRACERS, r.type);

/** Whether a loader record is a kernel event its tracer folds into a window (exit, for one, is the supervisor's own). */
export const isWindowed = <R extends { type: string }>(r: R): r is Extract<R, TracedRecord & { cgroupId: string }> =>
  isTraced(r) && TRACERS[r.type as keyof Tracers].aggregate !== undefined;
