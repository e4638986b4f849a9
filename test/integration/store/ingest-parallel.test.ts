/**
 * Ingest of many files through parse workers (lib/app/ingest/parallel.ts) into the embedded store gives the store the
 * sequential pipeline gives it, and a replay by either path adds nothing. Workers run from source here (through tsx),
 * and from the compiled CLI (its own `parse-worker.cjs` entry; asked for by number, a missing worker is an error).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { localInputFiles } from '../../../lib/adapters/read-input.ts';
import { SqliteStore } from '../../../lib/adapters/sqlite-store.ts';
import { ingestPaths } from '../../../lib/app/ingest/pipeline.ts';
import { generateSample, sampleIdentityMaps } from '../../../lib/demo/ingest-sample.ts';
import type { Store } from '../../../lib/ports.ts';
import { warden } from '../../support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-parallel-'));
const stores = mkdtempSync(join(tmpdir(), 'warden-parallel-stores-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(stores, { recursive: true, force: true });
});

async function everything(store: Store) {
  const subjects = await store.subjects();
  const out: Record<string, unknown> = { subjects };
  for (const s of subjects) {
    out[s.subject] = {
      aggregates: await store.aggregates(s.subject),
      evidence: await store.evidence(s.subject, '2026-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'),
    };
  }
  return out;
}

describe('parallel ingest into the embedded store', () => {
  // The input files, in the directory both paths ingest.
  for (const [i, f] of generateSample({ hours: 12, seed: 21 }).entries())
    writeFileSync(join(dir, `${String(i).padStart(3, '0')}-${f.path.split('/').pop()}`), f.bytes);
  const opts = { identityMaps: sampleIdentityMaps(), segmentSize: 50, batchSize: 120 };

  it('stores what the sequential pipeline stores; replays by either path add nothing', async () => {
    const sequential = new SqliteStore();
    const parallel = new SqliteStore();
    try {
      const s = await ingestPaths(sequential, [dir], { ...opts, files: localInputFiles, workers: 0 });
      const p = await ingestPaths(parallel, [dir], { ...opts, files: localInputFiles, workers: 2 });
      expect(s.observations).toBeGreaterThan(500);
      expect(s.rejects).toBe(0);
      for (const k of ['inputs', 'records', 'observations', 'rejects', 'quarantined'] as const) expect(p[k]).toBe(s[k]);
      expect(p.bySource).toEqual(s.bySource);
      const want = await everything(sequential);
      expect(await everything(parallel)).toEqual(want);

      const again = await ingestPaths(parallel, [dir], { ...opts, files: localInputFiles, workers: 2 });
      expect(again.stored).toBe(0);
      const seqAgain = await ingestPaths(parallel, [dir], { ...opts, files: localInputFiles, workers: 0 });
      expect(seqAgain.stored).toBe(0);
      expect(await everything(parallel)).toEqual(want);
    } finally {
      await sequential.close();
      await parallel.close();
    }
  }, 120_000);

  it('the main thread parses beside the workers when a core is free, and not otherwise; the store is the same', async () => {
    const sequential = new SqliteStore();
    try {
      await ingestPaths(sequential, [dir], { ...opts, files: localInputFiles, workers: 0 });
      const want = await everything(sequential);
      // Counters of a machine where only this process is busy: a core is free. And of one where others use every
      // core: after the first interval, none is.
      let t = 0;
      const tick = () => {
        t += 1000;
        return t;
      };
      const idle = () => ({ machineBusy: tick(), own: t });
      const busy = () => ({ machineBusy: tick() * 3, own: t });
      for (const [name, cpu] of [
        ['free', idle],
        ['busy', busy],
      ] as const) {
        const store = new SqliteStore();
        try {
          const r = await ingestPaths(store, [dir], { ...opts, files: localInputFiles, workers: 1, cpu });
          if (name === 'free') expect(r.parsedHere).toBeGreaterThan(0);
          expect(r.parsedHere).toBeLessThanOrEqual(r.inputs);
          expect(await everything(store), name).toEqual(want);
          expect((await ingestPaths(store, [dir], { ...opts, files: localInputFiles, workers: 1, cpu })).stored).toBe(
            0,
          );
        } finally {
          await store.close();
        }
      }
    } finally {
      await sequential.close();
    }
  }, 180_000);

  it('reports a worker failure as ParseWorkerError, not a hang', async () => {
    const store = new SqliteStore();
    try {
      // Identity maps the worker cannot build a resolver from make it fail before its first file.
      const bad = { ...opts, identityMaps: { workloads: 'not a list' } as never };
      await expect(ingestPaths(store, [dir], { ...bad, files: localInputFiles, workers: 1 })).rejects.toThrow(
        /parse worker failed/,
      );
    } finally {
      await store.close();
    }
  }, 60_000);

  it('the compiled CLI ingests through its compiled parse worker as it does in one thread', async () => {
    const run = async (workers: string, store: string) => {
      const r = await warden(['--store', `embedded:${join(stores, store)}`, '--json', 'ingest', dir], {
        env: { WARDEN_INGEST_WORKERS: workers },
      });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      return JSON.parse(r.stdout) as Record<string, unknown>;
    };
    const one = await run('0', 'one-thread');
    const two = await run('2', 'workers');
    expect(two).toEqual({ ...one, stored: two.stored });
    expect((await run('2', 'workers')).stored).toBe(0);
  }, 180_000);
});
