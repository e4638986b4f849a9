import { brotliCompressSync, brotliDecompressSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  brotliEvidence,
  MAX_CHUNK_BYTES,
  packEvidence,
  packEvidenceBrotli,
  unpackEvidence,
  unpackEvidenceBrotli,
} from '../../../lib/adapters/store-evidence.ts';
import { COMPACT_ROWS } from '../../../lib/adapters/store-evidence-rows.ts';
import type { Observation } from '../../../lib/core/observation.ts';
import {
  aggregateBatch,
  boundedAttrs,
  combine,
  contributionDigest,
  MAX_ATTRS_BYTES,
} from '../../../lib/core/store/fold.ts';
import { foldBatch } from '../../../lib/core/store/folded.ts';
import { obs } from '../../integration/store/fixtures.ts';

const K = 'net:egress:10.0.0.1/32:443';

describe('aggregateBatch', () => {
  it('folds per (subject, key, hour) and keeps each segment contribution apart', () => {
    const b = aggregateBatch(
      [
        obs('1', '2026-10-05T08:10:00.000Z', K, { attrs: { bytes: 10, dstport: 443 } }),
        obs('2', '2026-10-05T08:20:00.000Z', K, { attrs: { bytes: 5, dstport: 443 }, count: 2 }),
        obs('3', '2026-10-05T08:30:00.000Z', K, { attrs: { bytes: 1 } }),
        obs('4', '2026-10-05T09:00:00.000Z', K),
        obs('5', '2026-10-05T08:40:00.000Z', K, { subject: 'k8s:prod/x/other' }),
      ],
      [0, 0, 1, 1, 1],
    );
    expect(b.aggregates.map((a) => [a.subject.split('/').pop(), a.window.slice(11, 13), [...a.parts.keys()]])).toEqual([
      ['support-agent', '08', [0, 1]],
      ['support-agent', '09', [1]],
      ['other', '08', [1]],
    ]);
    const first = b.aggregates[0];
    expect(first?.parts.get(0)).toMatchObject({
      count: 3,
      observations: 2,
      firstSeen: '2026-10-05T08:10:00.000Z',
      lastSeen: '2026-10-05T08:20:00.000Z',
      sums: { bytes: 15 },
      ids: ['1', '2'],
    });
    // Ports are identifiers, not volumes: never summed.
    expect(first?.parts.get(0)?.sums).not.toHaveProperty('dstport');
    expect(combine([...(first?.parts.values() ?? [])])).toMatchObject({ count: 4, sums: { bytes: 16 } });
  });

  it('drops an id repeated in the batch and normalizes time formats before comparing', () => {
    const b = aggregateBatch([
      obs('1', '2026-10-05T08:10:00Z', K),
      obs('1', '2026-10-05T08:10:00Z', K),
      obs('2', '2026-10-05T10:05:00+02:00', K),
    ]);
    expect(b.repeated).toBe(1);
    expect(b.aggregates).toHaveLength(1);
    expect(b.aggregates[0]?.parts.get(0)).toMatchObject({
      count: 2,
      firstSeen: '2026-10-05T08:05:00.000Z',
      lastSeen: '2026-10-05T08:10:00.000Z',
    });
  });

  it("keeps a successful call's attrs over an earlier failed call's, in every arrival order and both folds", () => {
    const failed = obs('a', '2026-10-05T08:01:00.000Z', K, { attrs: { errorCode: 'NoSuchKey', n: 'failed' } });
    const ok = obs('b', '2026-10-05T08:20:00.000Z', K, { attrs: { n: 'ok' } });
    const laterOk = obs('c', '2026-10-05T08:40:00.000Z', K, { attrs: { n: 'later ok' } });
    const denied = obs('d', '2026-10-05T08:00:00.000Z', K, { attrs: { errorCode: 'AccessDenied', n: 'denied' } });
    const orders = [
      [failed, ok, laterOk],
      [laterOk, ok, failed],
      [ok, failed, laterOk],
      [failed, laterOk, ok],
    ];
    for (const order of orders) {
      expect(aggregateBatch(order).aggregates[0]?.attrs).toEqual({ n: 'ok' });
      expect(foldBatch(order, undefined, brotliEvidence()).aggregates[0]?.attrs).toEqual({ n: 'ok' });
    }
    // Only failed calls: the earliest one's.
    for (const order of [
      [failed, denied],
      [denied, failed],
    ]) {
      expect(aggregateBatch(order).aggregates[0]?.attrs).toEqual({ errorCode: 'AccessDenied', n: 'denied' });
      expect(foldBatch(order, undefined, brotliEvidence()).aggregates[0]?.attrs).toEqual({
        errorCode: 'AccessDenied',
        n: 'denied',
      });
    }
  });

  it('keeps attrs of the earliest observation whatever the arrival order', () => {
    const a = obs('a', '2026-10-05T08:30:00.000Z', K, { attrs: { n: 'later' } });
    const b = obs('b', '2026-10-05T08:10:00.000Z', K, { attrs: { n: 'earliest' } });
    expect(aggregateBatch([a, b]).aggregates[0]?.attrs).toEqual({ n: 'earliest' });
    expect(aggregateBatch([b, a]).aggregates[0]?.attrs).toEqual({ n: 'earliest' });
  });

  it('keeps evidence for every layer but kernel', () => {
    const b = aggregateBatch([
      obs('1', '2026-10-05T08:10:00.000Z', 'syscall:openat', { layer: 'kernel' }),
      obs('2', '2026-10-05T08:11:00.000Z', K),
      obs('3', '2026-10-05T08:09:00.000Z', 'api:s3:GetObject:*'),
    ]);
    const ev = [...b.evidence.values()].flatMap((e) => e.observations.map((o) => o.id));
    expect(ev).toEqual(['3', '2']);
  });

  it('property: the contribution digest ignores order and changes with the id set', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 40 }), (ids) => {
        const reversed = [...ids].reverse();
        expect(contributionDigest({ ids })).toBe(contributionDigest({ ids: reversed }));
        expect(contributionDigest({ ids: ids.slice(1) })).not.toBe(contributionDigest({ ids }));
      }),
    );
  });

  it('bounds attrs kept on an aggregate', () => {
    const big = { a: 'x'.repeat(5000), b: 1, c: ['y'], d: 'short' };
    const out = boundedAttrs(big);
    expect(out).toEqual({ b: 1, d: 'short' });
    expect(JSON.stringify(out).length).toBeLessThanOrEqual(MAX_ATTRS_BYTES);
  });
});

describe('evidence chunks', () => {
  const many = (n: number, pad: number): Observation[] =>
    Array.from({ length: n }, (_, i) =>
      obs(`id-${i}`, new Date(Date.UTC(2026, 9, 5, 8, 0, i % 3600)).toISOString(), K, {
        attrs: { note: `${i}-${Math.random().toString(36).repeat(pad)}` },
      }),
    );

  it('round-trips and keeps every chunk under the item budget, even for incompressible data', () => {
    const input = many(4000, 40);
    const chunks = packEvidence(input);
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) expect(c.data.length).toBeLessThanOrEqual(MAX_CHUNK_BYTES);
    expect(chunks.flatMap((c) => unpackEvidence(c.data))).toEqual(input);
  });

  it('is deterministic: the same observations give the same chunk ids', () => {
    const input = many(50, 1);
    expect(packEvidence(input).map((c) => c.id)).toEqual(packEvidence(structuredClone(input)).map((c) => c.id));
  });

  it('embedded (Brotli) chunks: compact rows of their observations, about 1 MB each, in order', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary' }), { minLength: 1, maxLength: 40 }), (notes) => {
        const input = notes.map((note, i) =>
          obs(`id-${i}`, '2026-10-05T08:00:00.000Z', K, { attrs: { note: note.repeat(1 + (i % 3) * 20_000) } }),
        );
        const chunks = packEvidenceBrotli(input);
        const groups = chunks.map((c) => unpackEvidenceBrotli(c.data));
        expect(groups.flat()).toEqual(JSON.parse(JSON.stringify(input)));
        for (const [i, c] of chunks.entries()) {
          const text = brotliDecompressSync(c.data).toString('utf8');
          const parsed = JSON.parse(text) as unknown[];
          // The header (format, shared fields), then one row per observation.
          expect(parsed[0]).toBe(COMPACT_ROWS);
          expect(parsed.length - 2).toBe(groups[i]?.length);
          expect(c.count).toBe(groups[i]?.length);
          if ((groups[i]?.length ?? 0) > 1) expect(Buffer.byteLength(text)).toBeLessThanOrEqual(1024 * 1024);
        }
      }),
      { numRuns: 15 },
    );
  });

  it('embedded chunks read back exactly what was added: shared fields, derived ids, and rows that differ', () => {
    const base = (id: string, extra: Partial<Observation> = {}): Observation => ({
      ...obs(id, '2026-10-05T08:00:00.000Z', 'api:s3:GetObject:*', { subject: 'unattributed:é ✓' }),
      ...extra,
    });
    const input: Observation[] = [
      base('cloudtrail:e-1', { correlation: { eventId: 'e-1' } }), // id = source:eventId, left out of its row
      base('cloudtrail:e-2', { correlation: { eventId: 'other' } }),
      base('x', { correlation: {} }),
      base('cloudtrail:e-4', { subject: 'k8s:prod/a/b' }), // another subject: written whole
      base('cloudtrail:e-5', { source: 'bedrock-invocation', kind: 'model', layer: 'application' }),
      base('cloudtrail:e-6', { count: 3, correlation: { eventId: 'e-6', requestId: 'r' }, attrs: { n: [1, 2] } }),
    ];
    const chunks = packEvidenceBrotli(input);
    expect(chunks.flatMap((c) => unpackEvidenceBrotli(c.data))).toEqual(input);
    const text = brotliDecompressSync(chunks[0]?.data as Uint8Array).toString('utf8');
    expect(text).not.toContain('"cloudtrail:e-1"');
    // The subject in the header and in the one row of another source (written whole), not in every row.
    expect(text.split('unattributed:é ✓').length - 1).toBe(2);
  });

  it('the embedded reader refuses a chunk of a format it does not know instead of misreading it', () => {
    const newer = brotliCompressSync(Buffer.from(JSON.stringify(['warden-evidence/3', {}, [1, 2]])));
    expect(() => unpackEvidenceBrotli(newer)).toThrow('evidence chunk of an unknown format "warden-evidence/3"');
  });

  it('the embedded reader still reads chunks written before compact rows (JSON arrays, JSON lines)', () => {
    const input = many(5, 1);
    const array = brotliCompressSync(Buffer.from(JSON.stringify(input)));
    const lines = brotliCompressSync(Buffer.from(input.map((o) => JSON.stringify(o)).join('\n')));
    expect(unpackEvidenceBrotli(array)).toEqual(input);
    expect(unpackEvidenceBrotli(lines)).toEqual(input);
  });

  it('keeps a single huge observation, with its attrs dropped', () => {
    const huge = obs('huge', '2026-10-05T08:00:00.000Z', K, {
      attrs: { blob: Array.from({ length: 600_000 }, () => Math.random().toString(36)[2]).join('') },
    });
    const [c] = packEvidence([huge]);
    expect(unpackEvidence(c?.data as Uint8Array)[0]).toMatchObject({ id: 'huge', attrs: { truncated: true } });
  });
});
