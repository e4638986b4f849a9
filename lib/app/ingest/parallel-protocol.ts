/** Messages between the ingest main thread (parallel.ts) and its parse workers (parse-worker.ts). */
import type { IdentityMaps } from '../../core/identity/resolver.ts';
import type { Reject } from '../../core/observation.ts';
import type { FoldedBatch } from '../../core/store/folded.ts';
import type { InputFile } from '../../ports.ts';
import type { ParseOptions } from './batcher.ts';
import type { ParseCounts } from './report.ts';

export interface WorkerInit {
  parse: Omit<ParseOptions, 'identity'>;
  identityMaps?: IdentityMaps;
  /** Batches a worker may have posted and not yet seen applied. */
  maxUnacked: number;
  /** Every input, in order; workers claim the next one through `next`, without asking the main thread. */
  files: InputFile[];
  /** One Int32: the index of the next unclaimed file (Atomics.add). */
  next: SharedArrayBuffer;
}

/** A worker is started first and told its work after (its module loading overlaps the main thread's set-up). */
export type ToWorker = { type: 'init'; init: WorkerInit } | { type: 'ack' };

export type FromWorker =
  | { type: 'batch'; batch: FoldedBatch; rejects: Reject[] }
  | { type: 'progress'; input: string; records: number }
  | { type: 'end'; counts: ParseCounts }
  | { type: 'error'; message: string; stack?: string };
