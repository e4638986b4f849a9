/**
 * End-to-end ingest into a real DynamoDB endpoint: the same inputs ingested twice (the second time batched
 * differently: one file at a time, in reverse order) leave every aggregate, subject and evidence item identical.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestStreams, type NamedStream } from '../../../lib/app/ingest/pipeline.ts';
import { createIdentityResolver } from '../../../lib/core/identity/resolver.ts';
import { generateSample, type SampleFile, sampleIdentityMaps } from '../../../lib/demo/ingest-sample.ts';
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

    it('counts a CloudTrail event once whether it comes in its trail file, through EventBridge, or both', async () => {
      // Two fresh trail files: one arrives first as a file, the other first as single EventBridge events.
      const trails = generateSample({ hours: 2, seed: 31, start: '2026-10-09T00:00:00.000Z' }).filter(
        (f) => f.source === 'cloudtrail',
      );
      const records = trails.map(
        (f) => (JSON.parse(gunzipSync(f.bytes).toString('utf8')) as { Records: Record<string, unknown>[] }).Records,
      );
      const viaEventBridge = (r: Record<string, unknown>, i: number): NamedStream => ({
        name: `eventbridge:${i}`,
        stream: (async function* () {
          yield Buffer.from(
            JSON.stringify({
              version: '0',
              id: `eb-${i}`,
              'detail-type': 'AWS API Call via CloudTrail',
              source: 'aws.s3',
              time: r.eventTime,
              detail: r,
            }),
          );
        })(),
      });
      const total = async () => (await store.subjects()).reduce((n, s) => n + s.observations, 0);
      const aggregateTotal = async () => {
        let n = 0;
        for (const s of await store.subjects()) for (const a of await store.aggregates(s.subject)) n += a.count;
        return n;
      };
      const opts = { identity: identity(), segmentSize: 40 };
      const before = await total();
      const beforeAggregates = await aggregateTotal();
      const [first, second] = [records[0]!, records[1]!];
      // File first, then three of its events again through EventBridge.
      await ingestStreams(store, [asStream(trails[0]!)], opts);
      await ingestStreams(store, first.slice(0, 3).map(viaEventBridge), opts);
      // EventBridge first (every other event), then the whole file.
      await ingestStreams(store, second.filter((_, i) => i % 2 === 0).map(viaEventBridge), opts);
      await ingestStreams(store, [asStream(trails[1]!)], opts);
      const added = first.length + second.length;
      expect(await total()).toBe(before + added);
      expect(await aggregateTotal()).toBe(beforeAggregates + added);
    });

    it('quarantines bad records with reason and location while the rest of the input is stored', async () => {
      const flow = (i: number) =>
        `2 111122223333 eni-0abc 10.9.9.${i} 52.216.1.2 40000 443 6 3 900 1790000000 1790000060 ACCEPT OK`;
      const text = [flow(1), flow(2), 'this line is not a flow log', flow(3)].join('\n');
      const gz = gzipSync(Array.from({ length: 50 }, (_, i) => flow(10 + i)).join('\n'));
      const r = await ingestStreams(store, [
        {
          name: 'flows/bad-line.log',
          stream: (async function* () {
            yield Buffer.from(text);
          })(),
        },
        {
          name: 'flows/cut.log.gz',
          stream: (async function* () {
            yield gz.subarray(0, gz.length - 30);
          })(),
        },
      ]);
      expect(r.byReason['truncated-gzip']).toBe(1);
      expect(r.observations).toBeGreaterThanOrEqual(3);
      const q = await store.quarantine(1000);
      const cut = q.find((x) => x.location.file === 'flows/cut.log.gz' && x.reason === 'truncated-gzip');
      expect(cut).toBeDefined();
      const bad = q.filter((x) => x.location.file === 'flows/bad-line.log');
      expect(bad).toHaveLength(1);
      expect(bad[0]?.location.line).toBe(3);
      expect(bad[0]?.excerpt).toContain('not a flow log');
      for (const ip of ['10.9.9.1', '10.9.9.2', '10.9.9.3']) {
        expect((await store.aggregates(`unattributed:${ip}`)).length).toBe(1);
      }
    });
  });
}
