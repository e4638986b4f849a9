/**
 * A parse worker (started by parallel.ts, possibly ahead of its work, which then comes in an `init` message): claims
 * the next file (a shared counter, so no round trip through the main thread, which may be busy in a store
 * transaction), parses it with the same Batcher as the sequential pipeline, folds observations as they are parsed
 * (core/store/folded.ts) with evidence packed by the store's codec, and posts each full batch with its evidence
 * buffers transferred. At most `maxUnacked` batches wait for the store: the worker stops parsing until the store has
 * applied one (backpressure).
 *
 * The worker thread's main module, so it wires its adapters itself (the local files, the embedded store's evidence
 * codec) as every entry point does: functions cannot cross to a worker.
 */
import { parentPort } from 'node:worker_threads';
import { localInputFiles } from '../../adapters/read-input.ts';
import { brotliEvidence } from '../../adapters/store-evidence.ts';
import { createIdentityResolver } from '../../core/identity/resolver.ts';
import type { Reject } from '../../core/observation.ts';
import { BatchFolder, EMPTY_FOLDED, type FoldedBatch } from '../../core/store/folded.ts';
import { Batcher, fileInput } from './batcher.ts';
import type { FromWorker, ToWorker, WorkerInit } from './parallel-protocol.ts';

const port = parentPort;
if (!port) throw new Error('parse-worker must run in a worker thread');

const PROGRESS_MS = 100;

let credits = 0;
let wake: (() => void) | undefined;

port.on('message', (m: ToWorker) => {
  if (m.type === 'init') {
    credits = m.init.maxUnacked;
    void run(m.init);
  } else {
    credits++;
    wake?.();
  }
});

const post = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

async function flush(folded: FoldedBatch | undefined, rejects: Reject[]): Promise<void> {
  while (credits === 0) await new Promise<void>((r) => (wake = r));
  credits--;
  const batch = folded ?? EMPTY_FOLDED;
  const transfer = batch.evidence.flatMap((e) => e.chunks.map((c) => c.data.buffer as ArrayBuffer));
  post({ type: 'batch', batch, rejects }, [...new Set(transfer)]);
}

async function run(init: WorkerInit): Promise<void> {
  try {
    const next = new Int32Array(init.next);
    const batcher = new Batcher(
      { ...init.parse, identity: init.identityMaps ? createIdentityResolver(init.identityMaps) : undefined },
      new BatchFolder(brotliEvidence()),
      flush,
    );
    // Progress at most every PROGRESS_MS: a message per small file would wake the main thread a thousand times.
    let reported = 0;
    for (;;) {
      const file = init.files[Atomics.add(next, 0, 1)];
      if (!file) break;
      await batcher.addInput(fileInput(localInputFiles, file));
      const now = performance.now();
      if (now - reported >= PROGRESS_MS) {
        reported = now;
        post({ type: 'progress', input: file.path, records: batcher.counts.records });
      }
    }
    await batcher.finish();
    post({ type: 'end', counts: batcher.counts });
  } catch (err) {
    post({ type: 'error', message: (err as Error).message, stack: (err as Error).stack });
  }
}
