/**
 * Embedded store evidence packed per (subject, day): chunks spanning several hours are read back exactly for any
 * range, retention still drops an hour's observations when that hour expires, and a database written before
 * (schema 1: one hour per chunk, no `last_window`) is migrated and still read.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../lib/adapters/sqlite-store.ts';
import { SCHEMA_VERSION, StoreSchemaError } from '../../../lib/adapters/sqlite-store-schema.ts';
import { packEvidenceBrotli } from '../../../lib/adapters/store-evidence.ts';
import type { Observation } from '../../../lib/core/observation.ts';
import { obs } from './fixtures.ts';

const S = 'k8s:prod/support/support-agent';
const K = 'api:s3:GetObject:*';
const at = (minutes: number) => new Date(Date.UTC(2026, 9, 5, 0, minutes)).toISOString();
const dir = mkdtempSync(join(tmpdir(), 'warden-sqlite-evidence-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('embedded evidence chunks across hours', () => {
  it('property: any range reads exactly the observations in it, whatever the batching', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 0, max: 3 * 24 * 60 }), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 25 }),
        fc.integer({ min: 0, max: 3 * 24 * 60 }),
        fc.integer({ min: 0, max: 40 * 60 }),
        async (minutes, batch, from, length) => {
          const store = new SqliteStore({ now: () => new Date('2026-10-20T00:00:00.000Z') });
          try {
            const all = minutes.map((m) => obs(`id-${m}`, at(m), K, { subject: S }));
            for (let i = 0; i < all.length; i += batch) await store.write(all.slice(i, i + batch), []);
            const [f, t] = [at(from), at(from + length)];
            const want = all.filter((o) => o.time >= f && o.time <= t).map((o) => o.id);
            expect((await store.evidence(S, f, t)).map((o) => o.id).sort()).toEqual(want.sort());
          } finally {
            await store.close();
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('drops an hour when it expires, though its chunk holds later hours still kept', async () => {
    let now = new Date('2026-10-05T23:30:00.000Z');
    const store = new SqliteStore({ retentionDays: 1, now: () => now });
    try {
      // One batch, one (subject, day): one chunk from 00:10 to 22:50.
      await store.write(
        [obs('early', at(10), K, { subject: S }), obs('late', at(22 * 60 + 50), K, { subject: S })],
        [],
      );
      const day = ['2026-10-05T00:00:00.000Z', '2026-10-05T23:59:59.999Z'] as const;
      expect((await store.evidence(S, ...day)).map((o) => o.id)).toEqual(['early', 'late']);
      now = new Date('2026-10-06T12:00:00.000Z'); // the 00:00 hour is past a day old, the 22:00 hour is not
      expect((await store.evidence(S, ...day)).map((o) => o.id)).toEqual(['late']);
      now = new Date('2026-10-07T00:00:00.000Z');
      expect(await store.evidence(S, ...day)).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('migrates a schema 1 database and reads its one-hour chunks with the new ones', async () => {
    const path = join(dir, 'v1', 'warden.db');
    const v1 = new SqliteStore({ path });
    await v1.close();
    // What schema 1 wrote: no last_window column, one chunk per hour, schema version 1.
    const db = new Database(path);
    db.exec(`CREATE TABLE evidence1 AS SELECT subject, window, chunk, count, data, expires FROM evidence;
      DROP TABLE evidence; ALTER TABLE evidence1 RENAME TO evidence;
      CREATE UNIQUE INDEX evidence_key ON evidence (subject, window, chunk);
      UPDATE meta SET v = '1' WHERE k = 'schema'`);
    const old: Observation = obs('old', '2026-10-05T08:10:00.000Z', K, { subject: S });
    const [chunk] = packEvidenceBrotli([old]);
    db.prepare('INSERT INTO evidence VALUES (?, ?, ?, ?, ?, ?)').run(
      S,
      '2026-10-05T08:00:00.000Z',
      chunk?.id,
      1,
      chunk?.data,
      Math.floor(Date.parse('2027-10-05T08:00:00.000Z') / 1000),
    );
    db.close();
    const store = new SqliteStore({ path, now: () => new Date('2026-10-06T00:00:00.000Z') });
    try {
      await store.write([obs('new-1', '2026-10-05T09:10:00.000Z', K, { subject: S })], []);
      await store.write([obs('new-2', '2026-10-05T11:10:00.000Z', K, { subject: S })], []);
      const ev = await store.evidence(S, '2026-10-05T00:00:00.000Z', '2026-10-05T23:00:00.000Z');
      expect(ev.map((o) => o.id)).toEqual(['old', 'new-1', 'new-2']);
    } finally {
      await store.close();
    }
    const check = new Database(path, { readonly: true });
    expect(check.prepare("SELECT v FROM meta WHERE k = 'schema'").pluck().get()).toBe(String(SCHEMA_VERSION));
    check.close();
  });

  it('refuses a database a newer warden wrote, in one line, and leaves it as it was', async () => {
    const path = join(dir, 'newer', 'warden.db');
    await new SqliteStore({ path }).close();
    const db = new Database(path);
    db.prepare("UPDATE meta SET v = ? WHERE k = 'schema'").run(String(SCHEMA_VERSION + 1));
    db.close();
    expect(() => new SqliteStore({ path, description: 'embedded:newer' })).toThrow(StoreSchemaError);
    expect(() => new SqliteStore({ path, description: 'embedded:newer' })).toThrow(
      `store embedded:newer was written by a newer warden (schema ${SCHEMA_VERSION + 1}; this one reads up to ${SCHEMA_VERSION}): upgrade warden to read it`,
    );
    const check = new Database(path, { readonly: true });
    expect(check.prepare("SELECT v FROM meta WHERE k = 'schema'").pluck().get()).toBe(String(SCHEMA_VERSION + 1));
    check.close();
  });
});
