import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore, parseStoreSpec, StoreSpecError } from '../../../lib/adapters/open-store.ts';
import { startMoto } from '../../support/moto.ts';
import { obs } from './fixtures.ts';

describe('parseStoreSpec', () => {
  it.each([
    ['embedded', { kind: 'embedded', path: '/w/.warden' }],
    ['embedded:memory', { kind: 'embedded', path: undefined }],
    ['embedded:data/db', { kind: 'embedded', path: '/w/data/db' }],
    ['dynalite:memory', { kind: 'dynalite', path: undefined }],
    ['dynalite:data/ddb', { kind: 'dynalite', path: '/w/data/ddb' }],
    [
      'dynamodb://warden?endpoint=http://127.0.0.1:5000&region=eu-west-1',
      { kind: 'dynamodb', table: 'warden', endpoint: 'http://127.0.0.1:5000', region: 'eu-west-1', create: true },
    ],
    [
      'dynamodb://warden-prod?endpoint=https://dynamodb.eu-west-1.amazonaws.com',
      { kind: 'dynamodb', table: 'warden-prod', endpoint: 'https://dynamodb.eu-west-1.amazonaws.com', create: false },
    ],
    ['dynamodb://warden-prod?create=1', { kind: 'dynamodb', table: 'warden-prod', create: true }],
  ])('%s', (spec, expected) => {
    expect(parseStoreSpec(spec, '/w')).toEqual({ region: undefined, endpoint: undefined, ...expected });
  });

  it.each(['mysql://x', 'embedded:', 'dynalite:', 'dynamodb://a', 'dynamodb://t?endpoint=ftp://x'])(
    'rejects %s',
    (spec) => {
      expect(() => parseStoreSpec(spec, '/w')).toThrow(StoreSpecError);
    },
  );
});

describe('openStore', () => {
  it.each([
    ['embedded', 'the embedded SQLite store'],
    ['dynalite', 'the DynamoDB store over dynalite'],
  ])('%s:DIR keeps data on disk across close and reopen (%s)', async (kind) => {
    const dir = join(mkdtempSync(join(tmpdir(), `warden-${kind}-`)), 'db');
    const a = await openStore(`${kind}:${dir}`);
    await a.write([obs('p1', '2026-10-05T08:00:00.000Z', 'dns:example.com')], []);
    await a.close();
    const b = await openStore(`${kind}:${dir}`);
    try {
      expect(b.description).toBe(`${kind}:${dir}`);
      expect((await b.subjects()).map((s) => s.observations)).toEqual([1]);
    } finally {
      await b.close();
    }
  });

  it('dynamodb:// with a loopback endpoint creates the table (moto_server)', async () => {
    const moto = await startMoto();
    try {
      const store = await openStore(`dynamodb://warden-open?endpoint=${moto.endpoint}&region=us-east-1`);
      try {
        const r = await store.write([obs('m1', '2026-10-05T08:00:00.000Z', 'dns:example.com')], []);
        expect(r.stored).toBe(1);
        expect(store.description).toBe(`dynamodb://warden-open?endpoint=${moto.endpoint}`);
      } finally {
        await store.close();
      }
    } finally {
      await moto.stop();
    }
  });
});
