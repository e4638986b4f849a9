/**
 * Parallel ingest of files into a single-process store: parse workers (parse-worker.ts) take files one at a time,
 * fold their batches and post them; this thread applies them to the store one after the other and acknowledges
 * each, so a worker never runs more than `maxUnacked` batches ahead (bounded memory, backpressure). Files are
 * handed out in order; each file's segments are cut as in the sequential pipeline, so replaying any file, by either
 * path, is a no-op in the store.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { InputFile } from '../adapters/read-input.ts';
import type { FoldedStore } from '../ports.ts';
import type { ParseCounts } from './batcher.ts';
import type { FromWorker, ToWorker, WorkerInit } from './parallel-protocol.ts';
import { addParseCounts, addWrite, type IngestOptions } from './pipeline.ts';
import { emptyReport, type IngestReport } from './report.ts';

/** Workers worth starting: one per core (the store's writes are light beside parsing), none for small inputs. */
export function defaultWorkers(files: number, large: boolean): number {
  if (!large || files < 2) return 0;
  return Math.min(files, Math.max(2, Math.min(4, availableParallelism())));
}

/** A parse worker failed; its message and stack come from the worker thread. */
export class ParseWorkerError extends Error {
  constructor(message: string, stack?: string) {
    super(`parse worker failed: ${message}`);
    this.name = 'ParseWorkerError';
    if (stack) this.stack = `${this.name}: ${this.message}\n${stack}`;
  }
}

/**
 * The worker's module: from source, `parse-worker.ts` beside this file, run through tsx; compiled, the build's own
 * `parse-worker.js` entry (scripts/build-cli.mjs keeps this module's chunk location, and puts chunks in `chunks/`
 * below the entries). Undefined when a bundle other than the CLI's left it out: ingest then parses in this thread.
 */
export function parseWorkerModule(): { url: URL; typescript: boolean } | undefined {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return { url: new URL('./parse-worker.ts', here), typescript: true };
  const url = new URL('../parse-worker.js', here);
  return existsSync(url) ? { url, typescript: false } : undefined;
}

function startWorker(module: { url: URL; typescript: boolean }, init: WorkerInit): Worker {
  const target = JSON.stringify(module.url.href);
  const boot = module.typescript
    ? `const { register } = await import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}); register(); await import(${target});`
    : `await import(${target});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), { workerData: init });
}

export async function ingestParallel(
  store: FoldedStore,
  files: readonly InputFile[],
  opts: IngestOptions & { workers: number },
  module: { url: URL; typescript: boolean },
): Promise<IngestReport> {
  const report = emptyReport();
  const { identity: _resolver, identityMaps, onProgress, workers: n, maxInFlight, ...parse } = opts;
  const init: WorkerInit = { parse, identityMaps, maxUnacked: Math.max(1, maxInFlight ?? 2) };
  let next = 0;
  // Batches are applied one at a time, in arrival order.
  let chain: Promise<void> = Promise.resolve();
  const run = (w: Worker) =>
    new Promise<ParseCounts>((resolve, reject) => {
      const send = (m: ToWorker) => w.postMessage(m);
      w.on('message', (m: FromWorker) => {
        if (m.type === 'next') {
          const f = files[next++];
          send(f ? { type: 'file', path: f.path } : { type: 'done' });
        } else if (m.type === 'batch') {
          chain = chain.then(async () => {
            addWrite(report, await store.writeFolded(m.batch, m.rejects));
            send({ type: 'ack' });
          });
          chain.catch(reject);
        } else if (m.type === 'progress') {
          const f = files.find((x) => x.path === m.input);
          onProgress?.({ input: m.input, bytes: f?.size ?? 0, records: m.records });
        } else if (m.type === 'end') resolve(m.counts);
        else reject(new ParseWorkerError(m.message, m.stack));
      });
      w.on('error', reject);
      w.on('exit', (code) => {
        if (code !== 0) reject(new ParseWorkerError(`exited with code ${code}`));
      });
    });
  const pool = Array.from({ length: n }, () => startWorker(module, init));
  try {
    const counts = await Promise.all(pool.map(run));
    await chain;
    for (const c of counts) addParseCounts(report, c);
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
  return report;
}
