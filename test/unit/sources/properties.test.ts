/**
 * Property tests for outside input: parsers never throw, every record ends as observations, a skip or a reject with a
 * reason, and a bad record never takes its neighbours down.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRecordParser, parseText, RecordSplitter, splitItemReject } from '../../../lib/core/sources/index.ts';
import type { RecordResult } from '../../../lib/core/sources/types.ts';
import { ctx, fixtures } from './helpers.ts';

const ctEnvelope = JSON.parse(readFileSync(path.join(fixtures, 'cloudtrail-eventbridge-putobject.json'), 'utf8'));
const invocation = JSON.parse(readFileSync(path.join(fixtures, 'bedrock-invocation-s3.jsonl'), 'utf8').split('\n')[0]!);
const tracePart = JSON.parse(readFileSync(path.join(fixtures, 'bedrock-agent-traces.jsonl'), 'utf8').split('\n')[2]!);
const flowJson = {
  srcaddr: '10.0.0.1',
  dstaddr: '8.8.8.8',
  srcport: 50000,
  dstport: 53,
  start: 1772460300,
  action: 'ACCEPT',
};

/** Paths of every field (objects and arrays descended) of a JSON value. */
function paths(v: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(v)) return v.flatMap((x, i) => [[...prefix, i], ...paths(x, [...prefix, i])]);
  if (typeof v === 'object' && v !== null)
    return Object.entries(v).flatMap(([k, x]) => [[...prefix, k], ...paths(x, [...prefix, k])]);
  return [];
}

function setAt(v: unknown, p: (string | number)[], value: unknown): unknown {
  const copy = structuredClone(v) as Record<string | number, unknown>;
  let cur = copy;
  for (const k of p.slice(0, -1)) cur = cur[k] as Record<string | number, unknown>;
  cur[p[p.length - 1]!] = value;
  return copy;
}

/** Accounts for every record: observations, skips or rejects with a non-empty reason. */
function accounted(r: RecordResult): boolean {
  return (
    r.observations.length > 0 ||
    Object.keys(r.skipped ?? {}).length > 0 ||
    (r.rejects.length > 0 && r.rejects.every((x) => x.reason.length > 0))
  );
}

const wrongValue = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 20 }),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 }),
);

describe('never throws', () => {
  it('on arbitrary bytes decoded as text, in any chunking', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.integer({ min: 1, max: 64 }), (bytes, size) => {
        const text = Buffer.from(bytes).toString('utf8');
        const s = new RecordSplitter({ maxRecordChars: 128 });
        const p = createRecordParser(ctx(), 'auto');
        for (let i = 0; i <= text.length; i += size) {
          const items = i < text.length ? s.push(text.slice(i, i + size)) : s.end();
          for (const it of items) {
            if (it.kind === 'too-large') expect(splitItemReject(it, 'unknown').reason).toBe('record-too-large');
            else expect(accounted(p.parse({ text: it.text, line: it.line }))).toBe(true);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('on JSON-shaped garbage and arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        for (const source of ['auto', 'cloudtrail', 'bedrock-invocation', 'bedrock-trace', 'vpc-flow'] as const) {
          const r = createRecordParser(ctx(), source).parse({ text: JSON.stringify(v) ?? 'null' });
          expect(accounted(r)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  const samples: [string, unknown][] = [
    ['CloudTrail envelope', ctEnvelope],
    ['model invocation log', invocation],
    ['agent trace part', tracePart],
    ['flow JSON record', flowJson],
  ];
  for (const [name, sample] of samples) {
    it(`with a wrong type in any field of a ${name}, and the rest of the batch still parses`, () => {
      const all = paths(sample);
      const good = JSON.stringify(sample);
      const baseline = parseText(good, ctx()).observations.length;
      expect(baseline).toBeGreaterThan(0);
      fc.assert(
        fc.property(fc.constantFrom(...all), wrongValue, (p, value) => {
          const bad = JSON.stringify(setAt(sample, p, value));
          const r = parseText(`${good}\n${bad}\n${good}`, ctx());
          expect(r.records).toBe(3);
          expect(r.observations.length).toBeGreaterThanOrEqual(2 * baseline);
          for (const x of r.rejects) expect(x.reason).toMatch(/^[a-z-]+(:[\w.-]+)?$/);
        }),
        { numRuns: Math.min(400, all.length * 8) },
      );
    });
  }
});

describe('CloudWatch payloads', () => {
  const good = {
    messageType: 'DATA_MESSAGE',
    logEvents: [{ id: '1', timestamp: 1, message: JSON.stringify(invocation) }],
  };
  const gz = gzipSync(JSON.stringify(good));

  it('truncated gzip at any length is a clear reject and the next payload still parses', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: gz.length - 1 }), (n) => {
        const cut = JSON.stringify({ awslogs: { data: gz.subarray(0, n).toString('base64') } });
        const whole = JSON.stringify({ awslogs: { data: gz.toString('base64') } });
        const r = parseText(`${cut}\n${whole}`, ctx());
        expect(r.observations).toHaveLength(1);
        expect(r.rejects).toHaveLength(1);
        expect(['truncated-gzip', 'invalid-gzip', 'invalid-base64']).toContain(r.rejects[0]!.reason);
      }),
    );
  });

  it('corrupted gzip bytes never throw', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: gz.length - 1 }), fc.integer({ min: 0, max: 255 }), (i, b) => {
        const bytes = Buffer.from(gz);
        bytes[i] = b;
        const r = parseText(JSON.stringify({ awslogs: { data: bytes.toString('base64') } }), ctx());
        expect(accounted(r)).toBe(true);
      }),
    );
  });
});

describe('huge records', () => {
  it('a 10 MB line is rejected as record-too-large and its neighbours still parse', () => {
    const line = JSON.stringify(ctEnvelope.detail);
    const huge = `{"eventVersion":"1.09","pad":"${'x'.repeat(10 * 1024 * 1024)}"}`;
    const r = parseText(`${line}\n${huge}\n${line.replace('0a4f1d6e', '1b5f2e7f')}\n`, ctx());
    expect(r.records).toBe(3);
    expect(r.observations).toHaveLength(2);
    expect(r.rejects.map((x) => x.reason)).toEqual(['record-too-large']);
    expect(r.rejects[0]!.excerpt.length).toBeLessThanOrEqual(2048);
    expect(r.rejects[0]!.location.line).toBe(2);
  });

  it('a 10 MB element inside a trail file is rejected the same way', () => {
    const rec = ctEnvelope.detail;
    const huge = { ...rec, eventID: 'huge', requestParameters: { pad: 'y'.repeat(10 * 1024 * 1024) } };
    const text = JSON.stringify({ Records: [rec, huge, { ...rec, eventID: 'after' }] });
    const r = parseText(text, ctx());
    expect(r.observations.map((o) => o.correlation.eventId)).toEqual([rec.eventID, 'after']);
    expect(r.rejects.map((x) => x.reason)).toEqual(['record-too-large']);
  });
});
