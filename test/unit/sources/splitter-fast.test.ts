/**
 * The splitter's trail-file fast path: `{"Records":[...]}` on one line is parsed a slice of records at a time. These
 * tests pin that it yields exactly what the exact scanner yields (values, record numbers, lines), that it really
 * engages on trail files, and that anything it cannot prove (a separator inside a nested array, a malformed record,
 * newlines) goes to the exact scanner without losing or duplicating a record.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { noIdentity } from '../../../lib/core/identity/types.ts';
import { parseText } from '../../../lib/core/sources/index.ts';
import { RecordSplitter, type SplitItem } from '../../../lib/core/sources/splitter.ts';

function split(text: string, size: number, max?: number) {
  const s = new RecordSplitter(max ? { maxRecordChars: max } : {});
  const out: SplitItem[] = [];
  for (let i = 0; i < text.length; i += size) out.push(...s.push(text.slice(i, i + size)));
  out.push(...s.end());
  return out;
}

/** The record as a value, whichever path produced it. */
const recordValue = (i: SplitItem) =>
  i.kind === 'record' ? (i.value !== undefined ? i.value : JSON.parse(i.text)) : `<too-large>`;
const fastCount = (items: SplitItem[]) => items.filter((i) => i.kind === 'record' && i.value !== undefined).length;

const record = (n: number, extra: Record<string, unknown> = {}) => ({
  eventVersion: '1.09',
  eventTime: '2026-11-02T10:00:00Z',
  eventSource: 's3.amazonaws.com',
  eventName: 'GetObject',
  eventID: `id-${n}`,
  requestParameters: { bucketName: 'b', key: `k/${n}` },
  ...extra,
});

describe('splitter fast path', () => {
  it('engages on a one-line trail file and yields the same records as the exact scanner', () => {
    const recs = Array.from({ length: 300 }, (_, n) => record(n));
    const text = JSON.stringify({ Records: recs });
    // With small chunks the record cut by each chunk end goes through the exact scanner, so fewer are fast.
    for (const [size, share] of [
      [64 * 1024, 0.95],
      [4096, 0.9],
      [333, 0.3],
    ] as const) {
      const items = split(text, size);
      expect(items.map(recordValue)).toEqual(recs);
      expect(items.map((i) => i.record)).toEqual(recs.map((_, n) => n + 1));
      expect(items.every((i) => i.line === 1)).toBe(true);
      expect(fastCount(items)).toBeGreaterThan(recs.length * share);
    }
  });

  it('a fast-path record re-serializes to its text on demand', () => {
    const recs = [record(1), record(2), record(3)];
    const items = split(JSON.stringify({ Records: recs }), 1 << 16);
    const fast = items.find((i) => i.kind === 'record' && i.value !== undefined);
    expect(fast && fast.kind === 'record' && JSON.parse(fast.text)).toEqual(fast && recordValue(fast));
  });

  it('a separator inside a nested array is not taken for a record boundary', () => {
    const nested = record(1, { resources: [{ eventVersion: 'x' }, { eventVersion: 'y' }] });
    const recs = [record(0), nested, record(2), nested, record(4)];
    const text = JSON.stringify({ Records: recs });
    expect(text).toContain('},{"eventVersion":"y"');
    for (const size of [7, 100, 1 << 16]) expect(split(text, size).map(recordValue)).toEqual(recs);
  });

  it('a malformed record is left to the exact scanner: it alone is bad, the others are kept', () => {
    const good = Array.from({ length: 40 }, (_, n) => JSON.stringify(record(n)));
    const bad = '{"eventVersion":"1.09","eventTime":2026-11-02}';
    const text = `{"Records":[${[...good.slice(0, 20), bad, ...good.slice(20)].join(',')}]}`;
    const items = split(text, 1 << 16);
    expect(items).toHaveLength(41);
    const texts = items.map((i) => (i.kind === 'record' && i.value === undefined ? i.text : ''));
    expect(texts[20]).toBe(bad);
    expect(items.filter((_, n) => n !== 20).map(recordValue)).toEqual(good.map((g) => JSON.parse(g)));
  });

  it('pretty-printed trail files keep exact line numbers (no fast path across newlines)', () => {
    const recs = [record(1), record(2), record(3)];
    const text = JSON.stringify({ Records: recs }, null, 2);
    const items = split(text, 1 << 16);
    expect(items.map(recordValue)).toEqual(recs);
    expect(fastCount(items)).toBe(0);
    expect(items.map((i) => i.line)).toEqual([3, 14, 25]);
  });

  it('records larger than the limit are still too-large items, never parsed whole by the fast path', () => {
    const big = record(1, { blob: 'x'.repeat(5000) });
    const recs = [record(0), big, record(2), record(3)];
    const items = split(JSON.stringify({ Records: recs }), 1 << 16, 4096);
    expect(items.map((i) => i.kind)).toEqual(['record', 'too-large', 'record', 'record']);
  });

  it('property: any records sharing a first key split back into the same values, for any chunking', () => {
    fc.assert(
      fc.property(
        fc.array(fc.dictionary(fc.string(), fc.jsonValue()), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 400 }),
        (objs, size) => {
          // Same first key everywhere, and values that may themselves hold the separator text.
          const recs = objs.map((o, n) => ({ eventVersion: n % 3 === 0 ? '},{"eventVersion":' : 'v', ...o }));
          const text = JSON.stringify({ Records: recs });
          expect(split(text, size).map(recordValue)).toEqual(JSON.parse(text).Records);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('ids do not depend on the path a record took', () => {
  it('a CloudTrail record without eventID gets the same id from a trail file and from NDJSON', () => {
    const recs = [record(1), { ...record(2), eventID: undefined }, record(3), { ...record(4), eventID: undefined }];
    const ctx = { identity: noIdentity, promptContent: 'hash-only' as const, excerptChars: 0 };
    const trail = parseText(JSON.stringify({ Records: recs }), ctx);
    const ndjson = parseText(recs.map((r) => JSON.stringify(r)).join('\n'), ctx);
    expect(trail.rejects).toEqual([]);
    expect(trail.observations.map((o) => o.id)).toEqual(ndjson.observations.map((o) => o.id));
    expect(new Set(trail.observations.map((o) => o.id)).size).toBe(4);
  });
});
