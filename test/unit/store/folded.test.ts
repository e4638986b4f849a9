/**
 * The streaming fold (BatchFolder) against the batch fold it replaces on the parse path (aggregateBatch), and the
 * embedded store's evidence writers sharing one arena.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { brotliEvidence, unpackEvidenceBrotli } from '../../../lib/adapters/store-evidence.ts';
import type { Observation } from '../../../lib/core/observation.ts';
import { idDigest } from '../../../lib/core/store/digest.ts';
import { aggregateBatch, hasNaturalId, summedAttrs } from '../../../lib/core/store/fold.ts';
import { foldBatch } from '../../../lib/core/store/folded.ts';
import { obs } from '../../integration/store/fixtures.ts';

const KEYS = ['api:s3:GetObject:*', 'net:egress:10.0.0.1/32:443', 'syscall:openat', 'api:bedrock:InvokeModel:*'];
const SUBJECTS = ['k8s:prod/a/one', 'k8s:prod/a/two', 'bedrock:us-east-1/AGENT'];

const observation = fc
  .record({
    id: fc.integer({ min: 0, max: 60 }),
    minute: fc.integer({ min: 0, max: 3000 }),
    key: fc.constantFrom(...KEYS),
    subject: fc.constantFrom(...SUBJECTS),
    count: fc.constantFrom(1, 1, 1, 3),
    bytes: fc.option(fc.integer({ min: 0, max: 10_000 }), { nil: undefined }),
    offset: fc.boolean(),
  })
  .map((r): Observation => {
    const t = new Date(Date.UTC(2026, 9, 5, 8, r.minute));
    // Some times arrive with an offset, as sources write them; the fold normalizes them.
    const time = r.offset ? t.toISOString().replace('.000Z', '+00:00') : t.toISOString();
    return obs(`id-${r.id}`, time, r.key, {
      subject: r.subject,
      count: r.count,
      layer: r.key.startsWith('syscall') ? 'kernel' : undefined,
      attrs: r.bytes === undefined ? { region: 'us-east-1' } : { bytes: r.bytes, region: 'us-east-1' },
    });
  });

describe('BatchFolder', () => {
  it('property: folds a batch as aggregateBatch does (aggregates, parts, units, natural ids, evidence)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(observation, fc.integer({ min: 0, max: 3 })), { maxLength: 80 }), (rows) => {
        const observations = rows.map(([o]) => o);
        const segments = rows.map(([, s]) => s).sort((a, b) => a - b);
        const want = aggregateBatch(observations, segments);
        const got = foldBatch(observations, segments, brotliEvidence());
        expect(got.observations).toBe(observations.length);
        expect(
          got.aggregates.map((a) => ({
            ...a,
            parts: a.parts.map((p) => ({ ...p, natural: p.natural ? JSON.parse(p.natural) : [] })),
          })),
        ).toEqual(
          want.aggregates.map((a) => ({
            subject: a.subject,
            key: a.key,
            window: a.window,
            layer: a.layer,
            kind: a.kind,
            attrs: a.attrs,
            parts: [...a.parts].map(([seg, c]) => {
              const natural = c.members.filter(hasNaturalId);
              return {
                unit: want.units.get(seg),
                count: c.count,
                observations: c.observations,
                firstSeen: c.firstSeen,
                lastSeen: c.lastSeen,
                sources: [...c.sources],
                sums: c.sums,
                naturalIds: natural.map((o) => idDigest(o.id)).join(''),
                natural: natural
                  .filter((o) => summedAttrs(o) || o.count !== 1)
                  .map((o) => ({
                    id: idDigest(o.id),
                    count: o.count,
                    ...(summedAttrs(o) ? { sums: summedAttrs(o) } : {}),
                  })),
              };
            }),
          })),
        );
        // Evidence: the same observations per (subject, hour), in arrival order rather than sorted, packed per
        // (subject, day) with each chunk's first and last times bounding its observations.
        const byHour = (list: Observation[]) => list.map((o) => `${o.subject} ${o.time.slice(0, 13)} ${o.id}`).sort();
        const packed = got.evidence.flatMap((e) =>
          e.chunks.flatMap((c) => {
            const list = unpackEvidenceBrotli(c.data);
            for (const o of list) {
              expect(o.subject).toBe(e.subject);
              expect(o.time >= c.firstTime && o.time <= c.lastTime).toBe(true);
              expect(o.time.slice(0, 10)).toBe(c.firstTime.slice(0, 10));
            }
            return list;
          }),
        );
        expect(byHour(packed)).toEqual(byHour([...want.evidence.values()].flatMap((e) => e.observations)));
      }),
      { numRuns: 150 },
    );
  });
});

describe('Brotli evidence writers sharing an arena', () => {
  it.each([
    ['one at a time', 1],
    ['in runs (written together)', 7],
  ])(
    'keep every writer exact when the arena fills and seals their open chunks (about 8 MB), observations %s',
    (_, run) => {
      const codec = brotliEvidence();
      const writers = Array.from({ length: 20 }, () => codec());
      const added: Observation[][] = writers.map(() => []);
      // 240 observations of 30 to 60 KB (about 11 MB) over 20 writers: each holds about 540 KB, under a chunk's 1 MB,
      // so only a full arena makes a writer cut a second chunk.
      for (let i = 0; i < 240; i++) {
        const r = Math.floor(i / run);
        const w = (r * 7 + (r % 3)) % writers.length;
        const o = obs(`id-${i}`, '2026-10-05T08:00:00.000Z', KEYS[0] as string, {
          attrs: { pad: 'x'.repeat(30_000 + (i % 4) * 10_000), note: i % 11 === 0 ? 'é ✓ \ud83d\ude00' : `${i}` },
        });
        writers[w]?.add(o);
        added[w]?.push(o);
      }
      let chunks = 0;
      for (const [w, writer] of writers.entries()) {
        const packed = writer.finish();
        chunks += packed.length;
        expect(packed.flatMap((c) => unpackEvidenceBrotli(c.data))).toEqual(JSON.parse(JSON.stringify(added[w])));
        expect(packed.reduce((n, c) => n + c.count, 0)).toBe(added[w]?.length);
      }
      expect(chunks).toBeGreaterThan(writers.length);
    },
  );
});
