/** Messages between the ingest main thread (parallel.ts) and its parse workers (parse-worker.ts). */
import type { IdentityMaps } from '../core/identity/resolver.ts';
import type { Reject } from '../core/observation.ts';
import type { FoldedBatch } from '../core/store/folded.ts';
import type { ParseCounts, ParseOptions } from './batcher.ts';

export interface WorkerInit {
  parse: Omit<ParseOptions, 'identity'>;
  identityMaps?: IdentityMaps;
  /** Batches a worker may have posted and not yet seen applied. */
  maxUnacked: number;
}

export type ToWorker = { type: 'file'; path: string } | { type: 'done' } | { type: 'ack' };

export type FromWorker =
  | { type: 'next' }
  | { type: 'batch'; batch: FoldedBatch; rejects: Reject[] }
  | { type: 'progress'; input: string; records: number }
  | { type: 'end'; counts: ParseCounts }
  | { type: 'error'; message: string; stack?: string };
