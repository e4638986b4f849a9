/**
 * Parallel ingest of files into a single-process store: parse workers (parse-worker.ts) claim files one at a time
 * (in order, through a shared counter), fold their batches as they parse (claimed.ts) and post them; this thread
 * applies them to the store one after the other and acknowledges each, so a worker never runs more than
 * `maxUnacked` batches ahead (bounded memory, backpressure). Each file's segments are cut as in the sequential
 * pipeline, so replaying any file, by either path, is a no-op in the store.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { createIdentityResolver, type IdentityMaps } from '../../core/identity/resolver.ts';
import type { Reject } from '../../core/observation.ts';
import type { FoldedBatch } from '../../core/store/folded.ts';
import type { CpuSampler, FoldedStore, InputFile, InputFiles } from '../../ports.ts';
import type { ParseOptions } from './batcher.ts';
import type { IngestOptions } from './options.ts';
import type { FromWorker, ToWorker, WorkerInit } from './parallel-protocol.ts';
import { addParseCounts, addWrite, emptyReport, type IngestReport, type ParseCounts } from './report.ts';
import { MIN_INTERVAL_MS, SpareCore } from './spare-core.ts';

/** A parse worker failed; its message and stack come from the worker thread. */
export class ParseWorkerError extends Error {
  constructor(message: string, stack?: string) {
    super(`parse worker failed: ${message}`);
    this.name = 'ParseWorkerError';
    if (stack) this.stack = `${this.name}: ${this.message}\n${stack}`;
  }
}

export interface WorkerModule {
  url: URL;
  /** Run through tsx (from source). */
  typescript: boolean;
}

/**
 * The worker's module: from source, `parse-worker.ts` beside this file, run through tsx; compiled, the build's own
 * `parse-worker.cjs` entry, one self-contained CommonJS file (scripts/build-cli.mjs keeps this module's chunk
 * location, and puts chunks in `chunks/` below the entries). Undefined when a bundle other than the CLI's left it
 * out: ingest then parses in this thread.
 */
export function parseWorkerModule(): WorkerModule | undefined {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return { url: new URL('./parse-worker.ts', here), typescript: true };
  const url = new URL('../parse-worker.cjs', here);
  return existsSync(url) ? { url, typescript: false } : undefined;
}

/** tsx's ESM API, by URL (the worker's boot module is a data: URL, which cannot resolve a package name). */
function tsxApi(): string {
  if (typeof import.meta.resolve === 'function') return import.meta.resolve('tsx/esm/api');
  // Where a test runner transforms this module, import.meta.resolve is missing: read the ESM entry from tsx's exports
  // (require.resolve would give its CommonJS build, which cannot register the ESM hooks from here).
  const pkg = createRequire(import.meta.url).resolve('tsx/package.json');
  const exp = (JSON.parse(readFileSync(pkg, 'utf8')) as TsxPackage).exports['./esm/api'].import.default;
  return pathToFileURL(join(dirname(pkg), exp)).href;
}

interface TsxPackage {
  exports: { './esm/api': { import: { default: string } } };
}

/**
 * A worker's young generation (V8's default lets it grow to 48 MB). A parse worker's garbage dies young and little
 * survives a batch, so a small nursery collects as cheaply, and the pages a larger one would touch cost more than
 * the collections saved: on this project's 2-core VM a fresh page costs about 35 us to fault in, and the ingest
 * benchmark's corpus took 38,000 page faults with the default against 30,000 with 8 MB.
 */
const WORKER_YOUNG_GENERATION_MB = 8;

/** The main thread, as a parsing thread of its own in progress reports. */
const HERE = Symbol('main thread');

/** A started worker, with what happened to it before anyone listened. */
interface Started {
  worker: Worker;
  failed?: Error;
  exited?: number;
}

/**
 * Parse workers started ahead of an ingest (startParseWorkers): their module loading overlaps the caller's own
 * set-up (expanding inputs, opening the store). ingestFiles uses them or terminates them.
 */
export class ParseWorkers {
  private constructor(
    readonly started: Started[],
    /** Counting from the workers' start: by the time they have work, a first interval has mostly passed. */
    readonly spare: SpareCore | undefined,
  ) {}

  static start(n: number, module: WorkerModule, cpu?: CpuSampler): ParseWorkers {
    const started = Array.from({ length: n }, () => startWorker(module));
    return new ParseWorkers(started, cpu && new SpareCore(availableParallelism(), n, cpu));
  }

  get size(): number {
    return this.started.length;
  }

  async terminate(): Promise<void> {
    await Promise.all(this.started.map((s) => s.worker.terminate()));
  }
}

function startWorker(module: WorkerModule): Started {
  // From source, a boot module registers tsx first; the compiled entry is the thread's main module itself.
  const main = module.typescript
    ? new URL(
        `data:text/javascript,${encodeURIComponent(
          `const { register } = await import(${JSON.stringify(tsxApi())}); register(); await import(${JSON.stringify(module.url.href)});`,
        )}`,
      )
    : module.url;
  const worker = new Worker(main, { resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
  const s: Started = { worker };
  worker.once('error', (err) => {
    s.failed ??= err;
  });
  worker.once('exit', (code) => {
    s.exited = code;
  });
  return s;
}

/**
 * Ingests `files` with parse workers, this thread applying their batches. With `here` (the files' source), this
 * thread parses too, claiming files from the same counter, whenever no batch is waiting for the store and a core is
 * free for it (spare-core.ts: on 2 cores the one worker alone left this thread idle 60% of the run; on a busy
 * machine parsing here only slows the workers down).
 */
export async function ingestParallel(
  store: FoldedStore,
  files: readonly InputFile[],
  opts: IngestOptions & { workers: number },
  module: WorkerModule,
  ready?: ParseWorkers,
  here?: InputFiles,
): Promise<IngestReport> {
  const report = emptyReport();
  const { identity: resolver, identityMaps, onProgress, workers: n, maxInFlight, cpu, ...parse } = opts;
  const init: WorkerInit = {
    parse,
    identityMaps,
    maxUnacked: Math.max(1, maxInFlight ?? 2),
    files: files.map((f) => ({ path: f.path, size: f.size })),
    next: new SharedArrayBuffer(4),
  };
  const sizes = new Map(files.map((f) => [f.path, f.size]));
  // Batches are applied one at a time, in arrival order.
  let chain: Promise<void> = Promise.resolve();
  const apply = (batch: FoldedBatch, rejects: Reject[]): Promise<void> => {
    chain = chain.then(async () => {
      addWrite(report, await store.writeFolded(batch, rejects));
    });
    return chain;
  };
  // Records parsed so far by each thread (a worker, or this thread: HERE): progress reports their sum.
  const parsed = new Map<unknown, number>();
  const progress = (thread: unknown, input: string, bytes: number, records: number) => {
    parsed.set(thread, records);
    let all = 0;
    for (const r of parsed.values()) all += r;
    onProgress?.({ input, bytes, records: all });
  };
  // A worker has parsed a file: it has loaded.
  const workersBusy = { now: false };
  const run = (s: Started) =>
    new Promise<ParseCounts>((resolve, reject) => {
      const w = s.worker;
      const send = (m: ToWorker) => w.postMessage(m);
      if (s.failed) return reject(s.failed);
      if (s.exited !== undefined) return reject(new ParseWorkerError(`exited with code ${s.exited}`));
      w.on('message', (m: FromWorker) => {
        workersBusy.now = true;
        if (m.type === 'batch') apply(m.batch, m.rejects).then(() => send({ type: 'ack' }), reject);
        else if (m.type === 'progress') progress(s, m.input, sizes.get(m.input) ?? 0, m.records);
        else if (m.type === 'end') resolve(m.counts);
        else reject(new ParseWorkerError(m.message, m.stack));
      });
      w.on('error', reject);
      w.on('exit', (code) => {
        if (code !== 0) reject(new ParseWorkerError(`exited with code ${code}`));
      });
      send({ type: 'init', init });
    });
  const pool = ready?.started ?? Array.from({ length: n }, () => startWorker(module));
  const stop = { now: false };
  try {
    const parsing = pool.map((s) =>
      run(s).catch((err: unknown) => {
        stop.now = true;
        throw err;
      }),
    );
    const spare = ready?.spare ?? (cpu && new SpareCore(availableParallelism(), pool.length, cpu));
    const own =
      here &&
      parseHere({
        source: here,
        init,
        parse: { ...parse, identity: resolver },
        identityMaps,
        store,
        apply,
        gate: { stop, workersBusy, spare },
        onProgress: (p) => progress(HERE, p.input, p.bytes, p.records),
      });
    // A worker's failure is reported before this thread's: both parse the same inputs with the same options.
    const settled = await Promise.allSettled(own ? [...parsing, own] : parsing);
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    await chain;
    for (const r of settled) if (r.status === 'fulfilled') addParseCounts(report, r.value);
    if (own) report.parsedHere = (await own).inputs;
  } finally {
    await Promise.all(pool.map((s) => s.worker.terminate()));
  }
  return report;
}

/**
 * This thread's share of the parsing: files claimed from the workers' counter, folded with the store's own evidence
 * writers, its batches applied in the same chain as the workers'. Between files it yields to the event loop, so a
 * worker's batch that arrived meanwhile is applied first (a worker never waits for this thread's parsing). Without
 * a spare core (`spare`, or no counters: the workers' first batch) it waits and looks again, until the workers have
 * claimed every file.
 */
async function parseHere({
  source,
  init,
  parse,
  identityMaps,
  store,
  apply,
  gate,
  onProgress,
}: {
  source: InputFiles;
  init: WorkerInit;
  parse: ParseOptions;
  identityMaps: IdentityMaps | undefined;
  store: FoldedStore;
  apply: (batch: FoldedBatch, rejects: Reject[]) => Promise<void>;
  gate: { stop: { now: boolean }; workersBusy: { now: boolean }; spare: SpareCore | undefined };
  onProgress: NonNullable<IngestOptions['onProgress']>;
}): Promise<ParseCounts> {
  // The parsers load here only now, while the workers load theirs.
  const { Batcher, fileInput } = await import('./batcher.ts');
  const { BatchFolder, EMPTY_FOLDED } = await import('../../core/store/folded.ts');
  // Maps without their resolver attribute here as they do in a worker.
  const identity = parse.identity ?? (identityMaps ? createIdentityResolver(identityMaps) : undefined);
  const batcher = new Batcher({ ...parse, identity }, new BatchFolder(store.evidenceWriters()), (b, rejects) =>
    apply(b ?? EMPTY_FOLDED, rejects),
  );
  const next = new Int32Array(init.next);
  while (!gate.stop.now && Atomics.load(next, 0) < init.files.length) {
    if (!(gate.spare ? gate.spare.free() : !gate.workersBusy.now)) {
      await new Promise<void>((r) => setTimeout(r, MIN_INTERVAL_MS / 2));
      continue;
    }
    const file = init.files[Atomics.add(next, 0, 1)];
    if (!file) break;
    await batcher.addInput(fileInput(source, file), (bytes, records) =>
      onProgress({ input: file.path, bytes, records }),
    );
    await new Promise<void>((r) => setImmediate(r));
  }
  await batcher.finish();
  return batcher.counts;
}
