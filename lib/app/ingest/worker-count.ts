/**
 * How many parse workers an ingest starts (parallel.ts runs them): apart from parallel.ts, so an ingest that parses in
 * its own thread decides so without loading node:worker_threads and the parallel pipeline.
 */
import { availableParallelism } from 'node:os';

/**
 * Workers worth starting: one per core besides this thread's (which applies the store), at most 4; none for small
 * inputs. On 2 cores that is one worker: measured on the ingest benchmark's corpus, a second worker costs about 30%
 * more CPU (its own module loading, compilation and heap) for no shorter wall time.
 */
export function defaultWorkers(files: number, large: boolean): number {
  if (!large || files < 2) return 0;
  return Math.min(files, Math.max(1, Math.min(4, availableParallelism() - 1)));
}
