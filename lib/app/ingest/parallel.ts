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
import type { FoldedStore, InputFile } from '../../ports.ts';
import type { IngestOptions } from './options.ts';
import type { FromWorker, ToWorker, WorkerInit } from './parallel-protocol.ts';
import { addParseCounts, addWrite, emptyReport, type IngestReport, type ParseCounts } from './report.ts';

/**
 * Workers worth starting: one per core besides this thread's (which applies the store), at most 4; none for small
 * inputs. On 2 cores that is one worker: measured on the ingest benchmark's corpus, a second worker costs about 30%
 * more CPU (its own module loading, compilation and heap) for no shorter wall time.
 */
export function defaultWorkers(files: number, large: boolean): number {
  if (!large || files < 2) return 0;
  return Math.min(files, Math.max(1, Math.min(4, availableParallelism() - 1)));
}

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
 * `parse-worker.js` entry (scripts/build-cli.mjs keeps this module's chunk location, and puts chunks in `chunks/`
 * below the entries). Undefined when a bundle other than the CLI's left it out: ingest then parses in this thread.
 */
export function parseWorkerModule(): WorkerModule | undefined {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return { url: new URL('./parse-worker.ts', here), typescript: true };
  const url = new URL('../parse-worker.js', here);
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
  private constructor(readonly started: Started[]) {}

  static start(n: number, module: WorkerModule): ParseWorkers {
    return new ParseWorkers(Array.from({ length: n }, () => startWorker(module)));
  }

  get size(): number {
    return this.started.length;
  }

  async terminate(): Promise<void> {
    await Promise.all(this.started.map((s) => s.worker.terminate()));
  }
}

function startWorker(module: WorkerModule): Started {
  const target = JSON.stringify(module.url.href);
  const boot = module.typescript
    ? `const { register } = await import(${JSON.stringify(tsxApi())}); register(); await import(${target});`
    : `await import(${target});`;
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), {
    resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
  });
  const s: Started = { worker };
  worker.once('error', (err) => {
    s.failed ??= err;
  });
  worker.once('exit', (code) => {
    s.exited = code;
  });
  return s;
}

export async function ingestParallel(
  store: FoldedStore,
  files: readonly InputFile[],
  opts: IngestOptions & { workers: number },
  module: WorkerModule,
  ready?: ParseWorkers,
): Promise<IngestReport> {
  const report = emptyReport();
  const { identity: _resolver, identityMaps, onProgress, workers: n, maxInFlight, ...parse } = opts;
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
  const run = (s: Started) =>
    new Promise<ParseCounts>((resolve, reject) => {
      const w = s.worker;
      const send = (m: ToWorker) => w.postMessage(m);
      if (s.failed) return reject(s.failed);
      if (s.exited !== undefined) return reject(new ParseWorkerError(`exited with code ${s.exited}`));
      w.on('message', (m: FromWorker) => {
        if (m.type === 'batch') {
          chain = chain.then(async () => {
            addWrite(report, await store.writeFolded(m.batch, m.rejects));
            send({ type: 'ack' });
          });
          chain.catch(reject);
        } else if (m.type === 'progress') {
          onProgress?.({ input: m.input, bytes: sizes.get(m.input) ?? 0, records: m.records });
        } else if (m.type === 'end') resolve(m.counts);
        else reject(new ParseWorkerError(m.message, m.stack));
      });
      w.on('error', reject);
      w.on('exit', (code) => {
        if (code !== 0) reject(new ParseWorkerError(`exited with code ${code}`));
      });
      send({ type: 'init', init });
    });
  const pool = ready?.started ?? Array.from({ length: n }, () => startWorker(module));
  try {
    const counts = await Promise.all(pool.map(run));
    await chain;
    for (const c of counts) addParseCounts(report, c);
  } finally {
    await Promise.all(pool.map((s) => s.worker.terminate()));
  }
  return report;
}
