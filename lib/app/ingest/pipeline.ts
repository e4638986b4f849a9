/**
 * The ingest pipeline: inputs -> batches (batcher.ts: gunzip streamed, split, parse, segment) -> store writes. The
 * CLI and the ingest Lambdas call the same functions.
 *
 * Parsing and writing overlap: up to `maxInFlight` batches are being written while the next one is parsed, and the
 * parser waits when that many are pending (backpressure), so memory is bounded by a few batches whatever the input
 * size. For many files into the embedded store, `ingestPaths` parses in worker threads (parallel.ts) and the store
 * applies their folded batches.
 *
 * Observations of several inputs share store writes (fewer write requests), while each input is cut into
 * idempotency segments independently of that batching: a re-delivered file (a Lambda retry, a second
 * `warden ingest`) is a no-op in the store.
 *
 * @example
 *   const report = await ingestPaths(store, ['trail/'], { source: 'auto' });
 *   const r2 = await ingestStream(store, { name: 's3://bucket/key.json.gz', stream: s3Body }, {});
 */
import { createIdentityResolver } from '../../core/identity/resolver.ts';
import type { Reject } from '../../core/observation.ts';
import { BatchFolder, EMPTY_FOLDED, type FoldedBatch } from '../../core/store/folded.ts';
import type { FoldedStore, InputFile, InputFiles, Store, WriteReport } from '../../ports.ts';
import type { Batcher, NamedStream, ObservationList } from './batcher.ts';
import type { IngestOptions } from './options.ts';
import type { ParseWorkers } from './parallel.ts';
import { addParseCounts, addWrite, emptyReport, type IngestReport } from './report.ts';
import { defaultWorkers } from './worker-count.ts';

export type { Admit, AdmitVerdict, NamedStream } from './batcher.ts';
export type { IngestOptions } from './options.ts';
export type { IngestReport } from './report.ts';
export { SOURCE_CHOICES, type SourceChoice } from './source-choice.ts';

/** All the pipeline needs of a Store (a counting wrapper in benchmarks). */
export type StoreWriter = Pick<Store, 'write'>;

/** Ingests one byte stream (a file, an S3 object) into the store. */
export function ingestStream(
  store: StoreWriter | (StoreWriter & FoldedStore),
  input: NamedStream,
  opts: IngestOptions = {},
): Promise<IngestReport> {
  return ingestStreams(store, [input], opts);
}

/**
 * Promises in flight, at most `limit`: `add` waits while the limit is reached (backpressure); the first failure is
 * raised by the next `add` or by `drain`.
 */
export class InFlight {
  private readonly pending = new Set<Promise<void>>();
  private failure: { err: unknown } | undefined;

  constructor(private readonly limit: number) {}

  async add(work: Promise<void>): Promise<void> {
    const p: Promise<void> = work.then(
      () => {
        this.pending.delete(p);
      },
      (err: unknown) => {
        this.pending.delete(p);
        this.failure ??= { err };
      },
    );
    this.pending.add(p);
    while (this.pending.size >= this.limit && !this.failure) await Promise.race(this.pending);
    if (this.failure) throw this.failure.err;
  }

  async drain(): Promise<void> {
    await Promise.all(this.pending);
    if (this.failure) throw this.failure.err;
  }
}

/**
 * Ingests several inputs in order, batching their observations together for fewer store writes (see the module
 * comment on segments and on overlapping parse and write).
 */
export async function ingestStreams(
  store: StoreWriter | (StoreWriter & FoldedStore),
  inputs: Iterable<NamedStream | (() => NamedStream)>,
  opts: IngestOptions = {},
): Promise<IngestReport> {
  const report = emptyReport();
  const inFlight = new InFlight(Math.max(1, opts.maxInFlight ?? 2));
  const written = (w: WriteReport) => addWrite(report, w);
  // A store that applies folded batches gets observations folded as they are parsed (nothing holds a batch's
  // observations); another gets the list.
  // The parsers load with the batcher, only where parsing happens (not in a thread that applies workers' batches).
  const { Batcher, ListCollector } = await import('./batcher.ts');
  const batcher: Batcher<FoldedBatch> | Batcher<ObservationList> =
    'writeFolded' in store && store.evidenceCodec === 'brotli'
      ? new Batcher(
          opts,
          new BatchFolder(store.evidenceWriters()),
          (b: FoldedBatch | undefined, rejects: Reject[]) =>
            inFlight.add((store as FoldedStore).writeFolded(b ?? EMPTY_FOLDED, rejects).then(written)),
          opts.admit,
        )
      : new Batcher(
          opts,
          new ListCollector(),
          (b: ObservationList | undefined, rejects: Reject[]) =>
            inFlight.add(store.write(b?.observations ?? [], rejects, { segments: b?.segments ?? [] }).then(written)),
          opts.admit,
        );
  for (const entry of inputs) {
    const input = typeof entry === 'function' ? entry() : entry;
    await batcher.addInput(input, (bytes, records) => opts.onProgress?.({ input: input.name, bytes, records }));
  }
  await batcher.finish();
  await inFlight.drain();
  addParseCounts(report, batcher.counts);
  return report;
}

/** Below this much input, starting workers costs more than it saves. */
const PARALLEL_MIN_BYTES = 2 * 1024 * 1024;

/**
 * Expands paths (files, directories, globs) through `opts.files` (the local filesystem: lib/adapters/read-input.ts)
 * and ingests the files in order; a bad path throws the source's error (InputError).
 */
export async function ingestPaths(
  store: StoreWriter | (StoreWriter & FoldedStore),
  paths: readonly string[],
  { files: source, ...opts }: IngestOptions & { files: InputFiles },
): Promise<IngestReport> {
  return ingestFiles(store, await source.expand(paths), { files: source, ...opts });
}

/** Workers asked for by number (`opts.workers`, else env WARDEN_INGEST_WORKERS), if any. */
function askedWorkers(opts: IngestOptions): number | undefined {
  const env = process.env.WARDEN_INGEST_WORKERS;
  return opts.workers ?? (env ? Number(env) : undefined);
}

/**
 * Parse workers started ahead of an ingest that may run in parallel (`many`: more than one path, a directory or a
 * glob; the entry point knows its paths), into a store that applies folded batches: pass them to ingestFiles as
 * `parseWorkers`, which uses them or terminates them. Undefined when the ingest will parse in this thread anyway.
 */
export async function startParseWorkers(
  many: boolean,
  opts: Pick<IngestOptions, 'workers' | 'cpu'> = {},
): Promise<ParseWorkers | undefined> {
  const n = askedWorkers(opts) ?? defaultWorkers(many ? 2 : 1, true);
  if (!(n > 0)) return undefined;
  const { ParseWorkers, parseWorkerModule } = await import('./parallel.ts');
  const module = parseWorkerModule();
  return module ? ParseWorkers.start(n, module, opts.cpu) : undefined;
}

/**
 * Ingests files (as `opts.files` expands them) in order; `parseWorkers` are workers started ahead by
 * startParseWorkers, used or terminated.
 */
export async function ingestFiles(
  store: StoreWriter | (StoreWriter & FoldedStore),
  files: readonly InputFile[],
  { files: source, parseWorkers: ready, ...opts }: IngestOptions & { files: InputFiles; parseWorkers?: ParseWorkers },
): Promise<IngestReport> {
  const bytes = files.reduce((n, f) => n + f.size, 0);
  const asked = askedWorkers(opts);
  const workers = asked ?? defaultWorkers(files.length, bytes >= PARALLEL_MIN_BYTES);
  // A custom resolver without its maps cannot be handed to a worker.
  // An admission hook is a function of this thread (it counts the caller's quota): it cannot cross to a worker,
  // and a folded batch no longer holds the observations it would judge, so the files are parsed here.
  const portable = (opts.identity === undefined || opts.identityMaps !== undefined) && opts.admit === undefined;
  if (workers > 0 && portable && 'writeFolded' in store) {
    const { ingestParallel, ParseWorkerError, parseWorkerModule } = await import('./parallel.ts');
    const worker = parseWorkerModule();
    // Workers asked for by number must run: a build that left the worker out is a broken build, not a slow ingest.
    if (!worker && asked !== undefined) throw new ParseWorkerError('this build has no parse-worker module');
    if (worker) {
      const n = ready?.size ?? workers;
      return ingestParallel(store as FoldedStore, files, { ...opts, workers: n }, worker, ready, source);
    }
  }
  await ready?.terminate();
  // Maps without their resolver attribute here as they would in a worker.
  const identity = opts.identity ?? (opts.identityMaps ? createIdentityResolver(opts.identityMaps) : undefined);
  const { fileInput } = await import('./batcher.ts');
  return ingestStreams(
    store,
    files.map((f) => () => fileInput(source, f)),
    { ...opts, identity },
  );
}
