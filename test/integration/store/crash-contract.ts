/**
 * Crash consistency without transactions (issue #16): an ingest killed at a random point (a fault injected after a
 * random store call: a DynamoDB request, or a SQLite statement or commit), then run again (once more killed, or
 * not), then replayed to the end, leaves the store as one clean run does: subjects, their counts, first/last seen and
 * classes, and every aggregate. After the kill point every call fails, as nothing runs in a killed process.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classBaselines } from '../../../lib/app/baselines/classes.ts';
import { ingestStreams, type NamedStream } from '../../../lib/app/ingest/pipeline.ts';
import { createIdentityResolver } from '../../../lib/core/identity/resolver.ts';
import { generateSample, type SampleFile, sampleIdentityMaps } from '../../../lib/demo/ingest-sample.ts';
import type { Store } from '../../../lib/ports.ts';

export interface CrashBackend {
  /**
   * A new store over the current database; `step('after')` runs after every store call and may throw, and
   * `step('before')` before every call that reaches a server (a killed process sends nothing more).
   */
  open(step: (phase: 'before' | 'after') => void): Promise<Store>;
  /** Starts a fresh, empty database for the next run. */
  fresh(): Promise<void>;
  stop(): Promise<void>;
}

/** The injected fault: stands for kill -9. */
class Killed extends Error {
  constructor() {
    super('killed');
    this.name = 'Killed';
  }
}

const NOW = '2026-10-06T00:00:00.000Z';
const sample = generateSample({ hours: 5, seed: 21 });

/** An input file: its name and bytes. */
export type CrashInput = Pick<SampleFile, 'path' | 'bytes'>;

const asStream = (f: CrashInput): NamedStream => ({
  name: f.path,
  stream: (async function* () {
    for (let i = 0; i < f.bytes.length; i += 4096) yield f.bytes.subarray(i, i + 4096);
  })(),
});

/** Ingests the input files as the crash runs do (the sample's identity maps, small segments and batches). */
export function ingest(store: Store, files: readonly CrashInput[]) {
  return ingestStreams(
    store,
    files.map((f) => asStream(f)),
    { identity: createIdentityResolver(sampleIdentityMaps()), segmentSize: 30, batchSize: 90 },
  );
}

/** What must converge: the registry, every aggregate, and the classes derived from them. */
async function state(store: Store) {
  const subjects = (await store.subjects()).sort((a, b) => a.subject.localeCompare(b.subject));
  const aggregates: Record<string, unknown[]> = {};
  for (const s of subjects)
    aggregates[s.subject] = (await store.aggregates(s.subject))
      .map((a) => [a.window, a.key, a.count, a.firstSeen, a.lastSeen, a.sums, a.sources])
      .sort((x, y) => `${x[0]}${x[1]}`.localeCompare(`${y[0]}${y[1]}`));
  const classes = Object.fromEntries(
    (await classBaselines(store, NOW)).map((c) => [c.subject, c.assignment.class] as const),
  );
  return { subjects, aggregates, classes };
}

/** Runs the ingest with a fault after call `killAt` (0 = none); returns the number of calls made. */
async function run(backend: CrashBackend, killAt: number, files: readonly CrashInput[]): Promise<number> {
  let calls = 0;
  let dead = false;
  const store = await backend.open((phase) => {
    if (dead) throw new Killed();
    if (phase === 'before') return;
    calls++;
    if (calls === killAt) {
      dead = true;
      throw new Killed();
    }
  });
  try {
    await ingest(store, files);
  } catch (err) {
    if (!(err instanceof Killed) && !String(err).includes('killed')) throw err;
  }
  // Requests already sent when the process died may still land: let them.
  await new Promise((r) => setTimeout(r, 20));
  await store.close().catch(() => undefined);
  return calls;
}

/** The contract on `start`'s backend, with the sample (CloudTrail and VPC flow) or the given input files. */
export function crashContract(
  name: string,
  start: () => Promise<CrashBackend>,
  numRuns: number,
  files: readonly CrashInput[] = sample,
) {
  describe(`crash consistency on ${name}`, () => {
    let backend: CrashBackend;
    let clean: Awaited<ReturnType<typeof state>>;
    let totalCalls = 0;
    beforeAll(async () => {
      backend = await start();
      totalCalls = await run(backend, 0, files);
      const store = await backend.open(() => {});
      try {
        clean = await state(store);
      } finally {
        await store.close();
      }
      expect(clean.subjects.length).toBeGreaterThanOrEqual(2);
      expect(totalCalls).toBeGreaterThan(10);
    }, 300_000);
    afterAll(async () => {
      await backend?.stop();
    });

    it('a replay after kills at random store calls converges to the state of one clean run', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: totalCalls }),
          fc.option(fc.integer({ min: 1, max: totalCalls }), { nil: undefined }),
          async (first, second) => {
            await backend.fresh();
            await run(backend, first, files);
            if (second !== undefined) await run(backend, second, files);
            await run(backend, 0, files);
            const store = await backend.open(() => {});
            try {
              expect(await state(store)).toEqual(clean);
            } finally {
              await store.close();
            }
          },
        ),
        { numRuns },
      );
    }, 600_000);
  });
}
