/** What an ingest run takes beyond parsing (pipeline.ts, and the parse workers of parallel.ts). */
import type { IdentityMaps } from '../../core/identity/resolver.ts';
import type { CpuSampler } from '../../ports.ts';
import type { Admit, ParseOptions } from './batcher.ts';

export interface IngestOptions extends ParseOptions {
  /**
   * The identity maps behind `identity`, as plain data: lets `ingestPaths` hand them to parse workers (a resolver
   * object cannot cross threads). Without them, ingest with a custom resolver stays in this thread.
   */
  identityMaps?: IdentityMaps;
  /** Batches being written while the next is parsed; default 2. */
  maxInFlight?: number;
  /** Parse workers for `ingestPaths` into a store that applies folded batches; 0 = parse here. Default: auto. */
  workers?: number;
  /**
   * The machine's CPU counters (lib/adapters/cpu-sample.ts). With parse workers, this thread parses beside them
   * whenever the counters show a core free (spare-core.ts); without, it parses only until the workers have loaded.
   */
  cpu?: CpuSampler;
  /**
   * Decides per observation, before it is stored, whether the delivering principal may write it
   * (lib/app/ingest/admission): a reject to quarantine instead, or a reason to count it in `skipped` without storing it
   * (rate limits). A function cannot cross to parse workers, so `ingestPaths` with it parses in this thread.
   */
  admit?: Admit;
  /** Called after each chunk of input with the raw bytes consumed so far in this input. */
  onProgress?: (p: { input: string; bytes: number; records: number }) => void;
}
