/**
 * The Store behaviour every endpoint must show; run against dynalite and moto_server by the two test files.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VersionConflictError } from '../../../lib/adapters/dynamo-store.ts';
import type { Reject } from '../../../lib/core/observation.ts';
import type { AggregateRow, Store } from '../../../lib/ports.ts';
import { obs, sampleStream } from './fixtures.ts';

const SUBJECT = 'k8s:prod/support/support-agent';

/** Everything the store holds for a subject, in a stable order, for equality checks. */
async function snapshot(store: Store, subject = SUBJECT) {
  const aggs = await store.aggregates(subject);
  const subjects = await store.subjects();
  return {
    aggregates: [...aggs].sort((a, b) => `${a.window}${a.key}`.localeCompare(`${b.window}${b.key}`)),
    subjects: subjects.sort((a, b) => a.subject.localeCompare(b.subject)),
    evidence: await store.evidence(subject, '2026-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'),
  };
}

export function storeContract(name: string, open: () => Promise<{ store: Store; stop(): Promise<void> }>) {
  describe(`Store contract on ${name}`, () => {
    let store: Store;
    let stop: () => Promise<void>;
    beforeAll(async () => {
      ({ store, stop } = await open());
    });
    afterAll(async () => {
      await stop?.();
    });

    it('aggregates per (subject, key, hour) with counts, sums, first/last seen and sources', async () => {
      const s = 'k8s:prod/a/agg';
      const r = await store.write(
        [
          obs('a1', '2026-10-05T08:10:00.000Z', 'net:egress:10.0.0.1/32:443', { subject: s, attrs: { bytes: 100 } }),
          obs('a2', '2026-10-05T08:05:00.000Z', 'net:egress:10.0.0.1/32:443', { subject: s, attrs: { bytes: 50 } }),
          obs('a3', '2026-10-05T08:50:00.000Z', 'net:egress:10.0.0.1/32:443', { subject: s, count: 3 }),
          obs('a4', '2026-10-05T09:01:00.000Z', 'net:egress:10.0.0.1/32:443', { subject: s }),
        ],
        [],
      );
      expect(r).toMatchObject({ observations: 4, stored: 2, duplicates: 0 });
      const rows = await store.aggregates(s);
      expect(rows.map((x) => [x.window, x.count, x.firstSeen, x.lastSeen, x.sums.bytes])).toEqual([
        ['2026-10-05T08:00:00.000Z', 5, '2026-10-05T08:05:00.000Z', '2026-10-05T08:50:00.000Z', 150],
        ['2026-10-05T09:00:00.000Z', 1, '2026-10-05T09:01:00.000Z', '2026-10-05T09:01:00.000Z', undefined],
      ]);
      expect(rows[0]?.sources).toEqual(['vpc-flow']);
      // attrs come from the earliest observation whatever the order of arrival.
      expect(rows[0]?.attrs).toEqual({ bytes: 50 });
    });

    it('keeps min first-seen and max last-seen when a later batch carries earlier events', async () => {
      const s = 'k8s:prod/a/order';
      const k = 'api:s3:GetObject:arn:aws:s3:::b/*';
      await store.write([obs('o1', '2026-10-05T08:30:00.000Z', k, { subject: s })], []);
      await store.write([obs('o2', '2026-10-05T08:10:00.000Z', k, { subject: s })], []);
      await store.write([obs('o3', '2026-10-05T08:20:00.000Z', k, { subject: s })], []);
      await store.write([obs('o4', '2026-10-05T08:59:00.000Z', k, { subject: s })], []);
      const [row] = await store.aggregates(s);
      expect(row).toMatchObject({
        count: 4,
        firstSeen: '2026-10-05T08:10:00.000Z',
        lastSeen: '2026-10-05T08:59:00.000Z',
      });
      const [subj] = (await store.subjects()).filter((x) => x.subject === s);
      expect(subj).toMatchObject({
        observations: 4,
        firstSeen: '2026-10-05T08:10:00.000Z',
        lastSeen: '2026-10-05T08:59:00.000Z',
      });
    });

    it("keeps a successful call's attrs over a failed one's, whichever batch came first", async () => {
      // A key's first call of the hour failing (NoSuchKey) must not make the hour stand for failed calls only: readers
      // judge a key by its attrs, and a failed call is an attempt, not exercised scope.
      const k = 'api:s3:GetObject:arn:aws:s3:::b/*';
      const failed = { errorCode: 'NoSuchKey', eventName: 'GetObject' };
      const ok = { eventName: 'GetObject' };
      for (const [s, order] of [
        ['k8s:prod/a/fail-first', ['f', 'o']],
        ['k8s:prod/a/ok-first', ['o', 'f']],
      ] as const) {
        for (const which of order)
          await store.write(
            which === 'f'
              ? [obs(`${s}-f`, '2026-10-05T08:05:00.000Z', k, { subject: s, attrs: failed })]
              : [obs(`${s}-o`, '2026-10-05T08:40:00.000Z', k, { subject: s, attrs: ok })],
            [],
          );
        const [row] = await store.aggregates(s);
        expect([row?.count, row?.attrs]).toEqual([2, ok]);
      }
      // A later failed call does not replace a failed call's attrs either: the first write keeps them.
      const s = 'k8s:prod/a/all-failed';
      await store.write([obs('af1', '2026-10-05T08:30:00.000Z', k, { subject: s, attrs: failed })], []);
      await store.write(
        [obs('af2', '2026-10-05T08:10:00.000Z', k, { subject: s, attrs: { ...failed, errorCode: 'AccessDenied' } })],
        [],
      );
      const [row] = await store.aggregates(s);
      expect([row?.count, row?.attrs]).toEqual([2, failed]);
    });

    it('is idempotent: replaying the same input (any record order) leaves every aggregate identical', async () => {
      const stream = sampleStream(300);
      const batches = [stream.slice(0, 120), stream.slice(120)];
      for (const b of batches) await store.write(b, []);
      const first = await snapshot(store);
      expect(first.aggregates.length).toBeGreaterThan(5);
      const replay = [];
      for (const b of batches) replay.push(await store.write([...b].reverse(), []));
      expect(replay.map((r) => r.stored)).toEqual([0, 0]);
      expect(replay.reduce((n, r) => n + r.duplicates, 0)).toBeGreaterThan(0);
      expect(await snapshot(store)).toEqual(first);
      const total = first.aggregates.reduce((n, a: AggregateRow) => n + a.count, 0);
      expect(total).toBe(stream.reduce((n, o) => n + o.count, 0));
    });

    it('keeps evidence for non-kernel layers, deduplicated by observation id, in time order', async () => {
      const ev = await store.evidence(SUBJECT, '2026-10-05T08:00:00.000Z', '2026-10-05T10:00:00.000Z');
      expect(ev.length).toBeGreaterThan(0);
      expect(ev.some((o) => o.layer === 'kernel')).toBe(false);
      expect(new Set(ev.map((o) => o.id)).size).toBe(ev.length);
      expect(ev.map((o) => o.time)).toEqual([...ev.map((o) => o.time)].sort());
      expect(ev.every((o) => o.time >= '2026-10-05T08:00:00.000Z' && o.time <= '2026-10-05T10:00:00.000Z')).toBe(true);
    });

    it('quarantines rejects with reason and location while the rest of the batch is stored', async () => {
      const s = 'k8s:prod/a/quarantine';
      const rejects: Reject[] = [
        {
          source: 'cloudtrail',
          reason: 'missing-field:eventTime',
          detail: 'record has no eventTime',
          location: { file: 'trail.json', record: 7 },
          excerpt: '{"eventName":"GetObject"}',
        },
      ];
      const r = await store.write([obs('q1', '2026-10-05T08:00:00.000Z', 'dns:example.com', { subject: s })], rejects);
      expect(r).toMatchObject({ stored: 1, quarantined: 1 });
      const again = await store.write([], rejects);
      expect(again.quarantined).toBe(0);
      const q = (await store.quarantine(1000)).filter((x) => x.location.file === 'trail.json');
      expect(q).toHaveLength(1);
      expect(q[0]).toMatchObject({ reason: 'missing-field:eventTime', location: { file: 'trail.json', record: 7 } });
      expect(await store.aggregates(s)).toHaveLength(1);
    });

    it('lists subjects and merges labels', async () => {
      await store.setLabels(SUBJECT, { 'warden.dev/agent-class': 'customer-support' });
      await store.setLabels(SUBJECT, { team: 'cx' });
      const row = (await store.subjects()).find((x) => x.subject === SUBJECT);
      expect(row?.labels).toEqual({ 'warden.dev/agent-class': 'customer-support', team: 'cx' });
      expect(row?.observations).toBe(300);
    });

    it('marks the windows each batch writes per subject, lists only dirty subjects, clears what was read', async () => {
      const dirty = store.dirty!;
      expect(dirty).toBeDefined();
      const a = 'k8s:prod/dirty/a';
      const b = 'k8s:prod/dirty/b';
      const k = 'net:egress:10.0.0.9/32:443';
      await store.write(
        [
          obs('d1', '2026-10-07T08:10:00.000Z', k, { subject: a }),
          obs('d2', '2026-10-07T09:10:00.000Z', k, { subject: a }),
          obs('d3', '2026-10-07T08:20:00.000Z', k, { subject: b }),
        ],
        [],
      );
      const first = await dirty.get(a);
      expect(first).toMatchObject({
        subject: a,
        windows: ['2026-10-07T08:00:00.000Z', '2026-10-07T09:00:00.000Z'],
      });
      // Listing reads dirty subjects in subject order, in pages.
      const listed = (await dirty.list({ after: 'k8s:prod/dirty/' })).filter((m) =>
        m.subject.startsWith('k8s:prod/dirty/'),
      );
      expect(listed.map((m) => m.subject)).toEqual([a, b]);
      expect((await dirty.list({ after: a, limit: 1 })).map((m) => m.subject)).toEqual([b]);
      expect((await dirty.list()).map((m) => m.subject)).toEqual(expect.arrayContaining([a, b]));
      // A write after the read moves seq on: the reader's clear fails and loses nothing.
      await store.write([obs('d4', '2026-10-07T10:10:00.000Z', k, { subject: a })], []);
      expect(await dirty.clear(a, first!.seq)).toBe(false);
      const second = await dirty.get(a);
      expect(second!.seq).toBeGreaterThan(first!.seq);
      expect(second!.windows).toEqual([
        '2026-10-07T08:00:00.000Z',
        '2026-10-07T09:00:00.000Z',
        '2026-10-07T10:00:00.000Z',
      ]);
      // Clearing at the seq read keeps only what the reader did not judge, and a clean subject is not listed.
      expect(await dirty.clear(a, second!.seq, ['2026-10-07T10:00:00.000Z'])).toBe(true);
      expect((await dirty.get(a))!.windows).toEqual(['2026-10-07T10:00:00.000Z']);
      expect(await dirty.clear(a, (await dirty.get(a))!.seq)).toBe(true);
      expect(await dirty.get(a)).toBeUndefined();
      expect((await dirty.list({ after: 'k8s:prod/dirty/' })).map((m) => m.subject)).not.toContain(a);
      // Marking by hand (a reopened subject), and a bulk mark from a window on.
      await dirty.mark(a, ['2026-10-06T00:00:00.000Z']);
      await dirty.mark(a, [], { from: '2026-10-01T00:00:00.000Z' });
      await dirty.mark(a, [], { from: '2026-10-03T00:00:00.000Z' });
      expect(await dirty.get(a)).toMatchObject({
        windows: ['2026-10-06T00:00:00.000Z'],
        from: '2026-10-01T00:00:00.000Z',
      });
      expect(await dirty.clear(a, (await dirty.get(a))!.seq)).toBe(true);
      expect(await dirty.get(a)).toBeUndefined();
      // A reader still holding a cleared mark's seq cannot clear the next mark: a store that drops a cleared mark
      // must not hand its seq out again (here both marks come from one write each, the same seq if counted from 1).
      const c = 'k8s:prod/dirty/c';
      await store.write([obs('d5', '2026-10-07T11:10:00.000Z', k, { subject: c })], []);
      const stale = (await dirty.get(c))!;
      expect(await dirty.clear(c, stale.seq)).toBe(true);
      await store.write([obs('d6', '2026-10-07T12:10:00.000Z', k, { subject: c })], []);
      expect(await dirty.clear(c, stale.seq)).toBe(false);
      expect((await dirty.get(c))!.windows).toEqual(['2026-10-07T12:00:00.000Z']);
    });

    it('stores documents with optimistic versions, large ones compressed', async () => {
      const d1 = await store.putDoc('baseline', SUBJECT, 'current', { v: 1 }, { expectVersion: 0 });
      expect(d1.version).toBe(1);
      const d2 = await store.putDoc('baseline', SUBJECT, 'current', { v: 2 }, { expectVersion: 1 });
      expect(d2).toMatchObject({ version: 2, body: { v: 2 } });
      await expect(store.putDoc('baseline', SUBJECT, 'current', { v: 3 }, { expectVersion: 1 })).rejects.toBeInstanceOf(
        VersionConflictError,
      );
      const big = { entries: Array.from({ length: 20_000 }, (_, i) => `key-${i}-${'x'.repeat(20)}`) };
      await store.putDoc('snapshot', SUBJECT, '2026-10-05T08:00:00.000Z', big);
      await store.putDoc('snapshot', SUBJECT, '2026-10-06T08:00:00.000Z', { small: true });
      expect((await store.getDoc('snapshot', SUBJECT, '2026-10-05T08:00:00.000Z'))?.body).toEqual(big);
      const listed = await store.listDocs('snapshot', SUBJECT, { fromId: '2026-10-06' });
      expect(listed.map((d) => d.body)).toEqual([{ small: true }]);
      expect(await store.getDoc('snapshot', SUBJECT, 'missing')).toBeUndefined();
    });
  });
}
