/**
 * The DynamoDB store's subject counters live in the items a write already rewrites (pack and single-aggregate
 * tallies, lib/adapters/dynamo-store-registry.ts), not in registry items of their own. They must count what the
 * embedded store counts (its own schema, its own registry), packs that overflow included; write no registry item;
 * and still read the registry items, #META counters, and untallied packs and aggregates of tables written before.
 */
import { createReadStream, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBDocumentClient, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoStore } from '../../../lib/adapters/dynamo-store.ts';
import { decodeItem, encodeAggregate, encodePack } from '../../../lib/adapters/dynamo-store-items.ts';
import { SqliteStore } from '../../../lib/adapters/sqlite-store.ts';
import { ingestStreams } from '../../../lib/app/ingest/pipeline.ts';
import { generateSample } from '../../../lib/demo/ingest-sample.ts';
import type { Store } from '../../../lib/ports.ts';
import { startDynalite, startDynaliteStore } from '../../support/dynalite.ts';
import { ingest } from './crash-contract.ts';
import { dynamoCrashBackend } from './crash-dynamo.ts';
import { obs } from './fixtures.ts';
import { nodeBatches } from './overflow-input.ts';

const counters = async (store: Store) =>
  (await store.subjects())
    .map(({ subject, observations, firstSeen, lastSeen }) => ({ subject, observations, firstSeen, lastSeen }))
    .sort((a, b) => a.subject.localeCompare(b.subject));

describe('subject counters of the DynamoDB store', () => {
  let store: DynamoStore;
  let stop: () => Promise<void>;
  let doc: DynamoDBDocumentClient;
  const table = 'warden-test';
  const scan = async () => (await doc.send(new ScanCommand({ TableName: table }))).Items ?? [];
  const put = (Item: Record<string, unknown>) => doc.send(new PutCommand({ TableName: table, Item }));

  beforeAll(async () => {
    ({ store, stop } = await startDynaliteStore({ tableName: table }));
    doc = DynamoDBDocumentClient.from(store.client);
  });
  afterAll(async () => {
    await stop?.();
  });

  it('count what the embedded store counts, packs that overflow included, and write no registry item', async () => {
    const files = [...generateSample({ hours: 3, seed: 7 }), ...nodeBatches(3, 120)];
    const sqlite = new SqliteStore();
    try {
      await ingest(sqlite, files);
      await ingest(store, files);
      // A replay changes nothing.
      await ingest(store, files);
      const expected = await counters(sqlite);
      expect(expected.length).toBeGreaterThanOrEqual(3);
      expect(await counters(store)).toEqual(expected);
    } finally {
      await sqlite.close();
    }
    const items = await scan();
    expect(items.filter((it) => String(it.sk).startsWith('R#'))).toEqual([]);
    // The overflow path ran: a closed pack, and single aggregates holding their own tallies.
    expect(items.some((it) => it.type === 'aggregate-pack' && it.closed === true)).toBe(true);
    expect(items.some((it) => it.type === 'aggregate' && it.tally)).toBe(true);
  }, 300_000);

  it('count the public Stratus Red Team CloudTrail as the embedded store does, though it is older than the retention', async () => {
    // Real detonation logs of 2024: past the 400-day retention, their items are expired when written. The registry
    // items counted them; the tallies must too (a reader dropping expired items counted 0 here).
    const dir = resolve(
      dirname(fileURLToPath(import.meta.url)),
      '../../../../shared/data/public/stratus-red-team/detonation-logs',
    );
    const names = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(names.length, `expected the public data under ${dir}`).toBeGreaterThan(30);
    const streams = () => names.map((n) => ({ name: n, stream: createReadStream(join(dir, n)) }));
    const sqlite = new SqliteStore();
    const dynamo = await startDynaliteStore({ tableName: 'warden-public' });
    try {
      await ingestStreams(sqlite, streams());
      await ingestStreams(dynamo.store, streams());
      const expected = await counters(sqlite);
      expect(expected.reduce((n, s) => n + s.observations, 0)).toBeGreaterThan(100);
      expect(await counters(dynamo.store)).toEqual(expected);
      // That read sealed the past days: the seal holds the same counts.
      expect(await counters(dynamo.store)).toEqual(expected);
    } finally {
      await sqlite.close();
      await dynamo.stop();
    }
  }, 120_000);

  it('read the registry items, #META counters and untallied items of tables written before', async () => {
    const subject = 'k8s:prod/legacy/agent';
    const key = 'api:s3:GetObject:arn:aws:s3:::legacy/*';
    await store.write([obs('l-1', '2026-10-05T08:10:00.000Z', key, { subject })], []);
    await store.write([obs('l-2', '2026-10-05T09:20:00.000Z', key, { subject })], []);
    // The hour 08 pack and a single aggregate as written before the counters moved into them: without a tally.
    for (const it of await scan()) {
      if (it.pk !== `S#${subject}` || !String(it.sk).startsWith('A#2026-10-05T08')) continue;
      const pack = decodeItem.pack(it);
      delete pack.tally;
      await put(encodePack(pack));
    }
    const window = '2026-10-05T08:00:00.000Z';
    await put(
      encodeAggregate({
        pk: `S#${subject}`,
        sk: `A#${window}#${key}`,
        subject,
        key,
        window,
        layer: 'cloud-api',
        kind: 'api',
        count: 5,
        observations: 5,
        firstSeen: '2026-10-05T08:01:00.000Z',
        lastSeen: '2026-10-05T08:02:00.000Z',
        sources: new Set(['cloudtrail']),
        attrs: {},
        contrib: new Set(['u-old']),
        ids: new Set(),
        counted: {},
        ver: 1,
        sums: {},
      }),
    );
    // Their counts, as registry items of the two layouts and #META counters of the oldest tables held them.
    const registry = (sk: string, observations: number, firstSeen: string, lastSeen: string) =>
      put({
        pk: `S#${subject}`,
        sk,
        type: 'subject-day',
        subject,
        day: sk.slice(2),
        observations,
        firstSeen,
        lastSeen,
        ver: 1,
      });
    await registry('R#2026-10-05T08', 6, '2026-10-05T08:01:00.000Z', '2026-10-05T08:10:00.000Z');
    await registry('R#2026-10-01', 7, '2026-10-01T01:00:00.000Z', '2026-10-01T05:00:00.000Z');
    await put({
      pk: `S#${subject}`,
      sk: '#META',
      type: 'subject',
      subject,
      gsi1pk: 'SUBJECT',
      gsi1sk: subject,
      labels: {},
      observations: 2,
      firstSeen: '2026-09-30T23:00:00.000Z',
      lastSeen: '2026-09-30T23:30:00.000Z',
    });
    const read = async () => (await counters(store)).find((s) => s.subject === subject);
    // #META 2 + day item 7 + hour item 6 (the untallied pack's 1 and aggregate's 5) + the tallied hour 09 pack's 1.
    expect(await read()).toEqual({
      subject,
      observations: 16,
      firstSeen: '2026-09-30T23:00:00.000Z',
      lastSeen: '2026-10-05T09:20:00.000Z',
    });
    // A new unit in the untallied pack's hour is counted by the pack's new tally, the old ones by the registry item.
    await store.write([obs('l-3', '2026-10-05T08:40:00.000Z', key, { subject })], []);
    expect(await read()).toMatchObject({ observations: 17 });
    const pack = (await scan()).find(
      (it) => it.pk === `S#${subject}` && it.type === 'aggregate-pack' && String(it.sk).startsWith('A#2026-10-05T08'),
    );
    expect(decodeItem.pack(pack as Record<string, unknown>).tally).toEqual({
      n: 1,
      f: '2026-10-05T08:40:00.000Z',
      l: '2026-10-05T08:40:00.000Z',
    });
  });
});

/**
 * Seals (lib/adapters/dynamo-store-seal.ts): a reader seals the counters of past days, later writes of those days
 * reset the seal. Kills at random calls of a sealing read and of a late write, then a replay of the write, must leave
 * the counts of one clean run (the embedded store's, over the same input).
 */
describe('sealed subject counters under kills', () => {
  const files = generateSample({ hours: 4, seed: 11 });
  const early = files.filter((_, i) => i % 2 === 0);
  const late = files.filter((_, i) => i % 2 === 1);
  let expected: Awaited<ReturnType<typeof counters>>;
  let backend: ReturnType<typeof dynamoCrashBackend>;

  beforeAll(async () => {
    const sqlite = new SqliteStore();
    try {
      await ingest(sqlite, files);
      expected = await counters(sqlite);
    } finally {
      await sqlite.close();
    }
    const d = await startDynalite();
    backend = dynamoCrashBackend(d.clientConfig, d.stop);
  }, 120_000);
  afterAll(async () => {
    await backend?.stop();
  });

  /** Runs `fn` on a store whose calls fail from call `killAt` on (0: never), as in a killed process. */
  async function killedAt(killAt: number, fn: (store: Store) => Promise<unknown>): Promise<void> {
    let calls = 0;
    let dead = false;
    const store = await backend.open((phase) => {
      if (dead) throw new Error('killed');
      if (phase === 'before') return;
      if (++calls === killAt) {
        dead = true;
        throw new Error('killed');
      }
    });
    try {
      await fn(store);
    } catch (err) {
      if (!String(err).includes('killed')) throw err;
    }
    await new Promise((r) => setTimeout(r, 20));
    await store.close().catch(() => undefined);
  }

  it('a sealed table converges to the counts of one clean run after kills in reads and late writes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(12), fc.nat(60), async (readKill, writeKill) => {
        await backend.fresh();
        await killedAt(0, (s) => ingest(s, early));
        await killedAt(0, (s) => s.subjects());
        await killedAt(readKill, (s) => s.subjects());
        await killedAt(writeKill, (s) => ingest(s, late));
        await killedAt(0, (s) => s.subjects());
        await killedAt(0, (s) => ingest(s, late));
        let got: typeof expected = [];
        await killedAt(0, async (s) => {
          got = await counters(s);
        });
        expect(got).toEqual(expected);
      }),
      { numRuns: 10 },
    );
  }, 600_000);
});
