/**
 * One tracer per kernel event type on the TypeScript side: the schema of the loader's JSON record (the decoder of
 * bpf/tracers/<type>.c prints it) and how a window folds it into the node-agent batch (node-agent/aggregate.ts).
 * The table in ./index.ts maps a record's `type` to its tracer.
 */
import { z } from 'zod';
import type { Attribution, NodeAgentRecordInput } from '../../lib/core/sources/node-agent.ts';

/** Version of the loader's JSON records (`v`). */
export const LOADER_PROTOCOL_VERSION = 1 as const;

export const v = z.literal(LOADER_PROTOCOL_VERSION);
/** A cgroup id (cgroup2 directory inode number) as a decimal string. */
export const cgroupIdSchema = z.string().regex(/^\d{1,20}$/, 'cgroup id must be a decimal u64');
export const pid = z.number().int().nonnegative();
export const ts = z.number().nonnegative();
export const port = z.number().int().min(0).max(65535);

/** What a tracer's fold sees of the window it adds to. */
export interface WindowContext {
  /** The subject the record is attributed to (the key prefix of every distinct behavior). */
  subject: string;
  attribution: Attribution;
  /** The record's time as ISO text. */
  time(): string;
  /** Whether argv is redacted before shipping. */
  redactArgv: boolean;
  /** The seccomp profile the record's container runs under, when known. */
  seccompProfile?: string | undefined;
  /** Counts one distinct behavior `key` (made by `make` the first time in the window). */
  upsert(key: string, make: () => NodeAgentRecordInput, n?: number): void;
  /**
   * Counts one distinct behavior `key` of this record's tracer, shipped as a `kernel-event` batch record whose kind is
   * `kind` or else the tracer's type (lib/core/sources/node-agent-schema.ts): how a new event type ships without a
   * record of its own.
   */
  event(key: string, attrs?: Record<string, string | number | boolean>, kind?: string): void;
  /** Counts a record that could not be kept, by reason. */
  drop(reason: string, n?: number): void;
  /** Adds syscall counts of the subject to the window's sums. */
  addSyscalls(counts: Record<string, number>): void;
}

/** A kernel event type: the loader record's schema and its fold into the window (none: the record is not shipped). */
export interface Tracer<T extends string, S extends z.ZodObject<{ type: z.ZodLiteral<T> } & z.ZodRawShape>> {
  type: T;
  schema: S;
  aggregate?: (r: z.infer<S>, w: WindowContext) => void;
}

/** Declares a tracer (infers its record type from the schema). */
export function tracer<T extends string, S extends z.ZodObject<{ type: z.ZodLiteral<T> } & z.ZodRawShape>>(
  t: Tracer<T, S>,
): Tracer<T, S> {
  return t;
}

/** A syscall name as shipped: the loader's name when it is one, else `nr:<n>`. */
export const syscallName = (name: string, nr: number) => (/^[a-z0-9_]{1,64}$/.test(name) ? name : `nr:${nr}`);
