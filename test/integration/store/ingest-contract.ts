/**
 * End-to-end ingest into a real DynamoDB endpoint: the same inputs ingested twice (the second time batched
 * differently: one file at a time, in reverse order) leave every aggregate, subject and evidence item identical.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdentityResolver } from '../../../lib/core/identity/resolver.ts';
import { ingestStreams, type NamedStream } from '../../../lib/ingest/pipeline.ts';
import { generateSample, type SampleFile, sampleIdentityMaps } from '../../../lib/ingest/sample-data.ts';
import type { Store } from '../../../lib/ports.ts';

const asStream = (f: SampleFile, chunk = 8192): NamedStream => ({
  name: f.path,
  stream: (async function* () {
    for (let i = 0; i < f.bytes.length; i += chunk) yield f.bytes.subarray(i, i + chunk);
  })(),
});

async function everything(store: Store) {
  const subjects = (await store.subjects()).sort((a, b) => a.subject.localeCompare(b.subject));
  const out: Record<string, unknown> = { subjects };
  for (const s of subjects) {
    const aggs = await store.aggregates(s.subject);
    out[s.subject] = {
      aggregates: aggs.sort((a, b) => `${a.window}${a.key}`.localeCompare(`${b.window}${b.key}`)),
      evidence: await store.evidence(s.subject, '2026-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'),
    };
  }
  return out;
}

export function ingestContract(name: string, open: () => Promise<{ store: Store; stop(): Promise<void> }>) {
  describe(`ingest into ${name}`, () => {
    let store: Store;
    let stop: () => Promise<void>;
    beforeAll(async () => {
      ({ store, stop } = await open());
    });
    afterAll(async () => {
      await stop?.();
    });

    const files = generateSample({ hours: 4, seed: 11 });
    const identity = () => createIdentityResolver(sampleIdentityMaps());

    it('ingesting the same inputs twice, batched differently, leaves the store identical', async () => {
      const first = await ingestStreams(
        store,
        files.map((f) => asStream(f)),
        { identity: identity(), segmentSize: 40 },
      );
      expect(first.rejects).toBe(0);
      expect(first.stored).toBeGreaterThan(10);
      const before = await everything(store);
      expect(Object.keys(before)).toEqual([
        'subjects',
        'k8s:prod/analytics/code-runner',
        'k8s:prod/support/support-agent',
      ]);

      let replayStored = 0;
      for (const f of [...files].reverse()) {
        const r = await ingestStreams(store, [asStream(f, 777)], {
          identity: identity(),
          segmentSize: 40,
          batchSize: 1,
        });
        replayStored += r.stored;
      }
      expect(replayStored).toBe(0);
      expect(await everything(store)).toEqual(before);

      // Each subject's count equals the observations its records produced, once.
      const subjects = before.subjects as { subject: string; observations: number }[];
      expect(subjects.reduce((n, s) => n + s.observations, 0)).toBe(first.observations);
    });

    it('adds only what is new when a batch mixes replayed and new inputs', async () => {
      const more = generateSample({ hours: 1, seed: 12, start: '2026-10-05T09:00:00.000Z' });
      const before = (await store.subjects()).reduce((n, s) => n + s.observations, 0);
      const r = await ingestStreams(
        store,
        [...files.slice(0, 2), ...more].map((f) => asStream(f)),
        { identity: identity(), segmentSize: 40 },
      );
      const after = (await store.subjects()).reduce((n, s) => n + s.observations, 0);
      expect(after - before).toBe(more.reduce((n, f) => n + f.records, 0));
      expect(r.stored).toBeGreaterThan(0);
    });
  });
}
