/**
 * The explicit bounds of the parsers (issue #16): impossible times, numbers past their meaning, content nested past
 * the walk bound, and a malformed first NDJSON line that must not swallow the lines after it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseText, splitText } from '../../../lib/core/sources/index.ts';
import { contentAttrs } from '../../../lib/core/sources/redact.ts';
import {
  boundedJson,
  boundedNum,
  deeperThan,
  MAX_WALK_DEPTH,
  NUMERIC_BOUNDS,
  normalizeTime,
} from '../../../lib/core/sources/util.ts';
import { ctx, fixtures } from './helpers.ts';

const ctRecord = JSON.parse(readFileSync(path.join(fixtures, 'cloudtrail-eventbridge-putobject.json'), 'utf8')).detail;
const invocation = JSON.parse(
  readFileSync(path.join(fixtures, 'bedrock-invocation-s3.jsonl'), 'utf8').split('\n')[0] as string,
);

describe('normalizeTime rejects impossible times', () => {
  it.each([
    ['9999-12-31T23:59:59Z'],
    ['2026-02-30T10:00:00Z'],
    ['2025-02-29T10:00:00Z'],
    ['2026-04-31T00:00:00.000Z'],
    ['2026-13-01T00:00:00Z'],
    ['2026-00-10T00:00:00Z'],
    ['2100-01-01T00:00:00Z'],
    ['1969-12-31T23:59:59Z'],
    ['2099-12-31T23:59:59-02:00'],
    [4102444800],
    [253402300799999],
  ])('%s', (t) => {
    expect(normalizeTime(t)).toBeUndefined();
  });

  it.each([
    ['2024-02-29T10:00:00Z', '2024-02-29T10:00:00.000Z'],
    ['2026-03-02T14:05:10.123456Z', '2026-03-02T14:05:10.123Z'],
    ['2099-12-31T23:59:59Z', '2099-12-31T23:59:59.000Z'],
    [1772460300, '2026-03-02T14:05:00.000Z'],
  ])('keeps %s', (t, iso) => {
    expect(normalizeTime(t)).toBe(iso);
  });

  it('a CloudTrail record of year 9999 is quarantined, its neighbour stored', () => {
    const r = parseText(
      [JSON.stringify({ ...ctRecord, eventTime: '9999-03-02T14:05:10Z' }), JSON.stringify(ctRecord)].join('\n'),
      ctx(),
    );
    expect(r.observations).toHaveLength(1);
    expect(r.rejects.map((x) => x.reason)).toEqual(['invalid-time:eventTime']);
  });
});

describe('numeric bounds', () => {
  it('boundedNum names the field and the bound', () => {
    expect(boundedNum(1e20, 'bytes', NUMERIC_BOUNDS.bytes)).toMatchObject({ ok: false, reason: 'out-of-range:bytes' });
    expect(boundedNum('12', 'bytes', NUMERIC_BOUNDS.bytes)).toEqual({ ok: true, value: 12 });
    expect(boundedNum(undefined, 'bytes', 10)).toEqual({ ok: true, value: undefined });
    expect(boundedNum(-1, 'bytes', 10)).toMatchObject({ ok: false, reason: 'out-of-range:bytes' });
    expect(boundedNum('abc', 'bytes', 10)).toMatchObject({ ok: false, reason: 'wrong-type:bytes' });
    expect(boundedNum([[[]]], 'bytes', 10)).toMatchObject({ ok: false, detail: 'expected a number, got array' });
  });

  it.each([
    [
      'vpc-flow bytes',
      '2 1 eni-1 10.0.0.5 52.216.1.1 40000 443 6 10 100000000000000000000 1772460300 1772460360 ACCEPT OK',
      'out-of-range:bytes',
    ],
    [
      'vpc-flow port',
      '2 1 eni-1 10.0.0.5 52.216.1.1 40000 70000 6 10 10 1772460300 1772460360 ACCEPT OK',
      'out-of-range:dstport',
    ],
    [
      'vpc-flow start',
      '2 1 eni-1 10.0.0.5 52.216.1.1 40000 443 6 10 10 99999999999 1772460360 ACCEPT OK',
      'out-of-range:start',
    ],
    [
      'model tokens',
      JSON.stringify({ ...invocation, input: { ...invocation.input, inputTokenCount: 1e20 } }),
      'out-of-range:input.inputTokenCount',
    ],
    [
      'CloudTrail bytes',
      JSON.stringify({ ...ctRecord, additionalEventData: { bytesTransferredIn: 1e20 } }),
      'out-of-range:additionalEventData.bytesTransferredIn',
    ],
    [
      'node-agent size',
      JSON.stringify({
        schema: 'warden.node-agent/v1',
        agent: { node: 'n', cluster: 'c', version: '1' },
        window: { start: '2026-03-02T14:00:00Z', end: '2026-03-02T14:01:00Z' },
        records: [{ type: 'open', path: '/m.gguf', size: 1e20 }],
      }),
      'out-of-range:size',
    ],
  ])('%s past its bound: the record is quarantined with the field named', (_n, text, reason) => {
    const r = parseText(text, ctx());
    expect(r.observations).toEqual([]);
    expect(r.rejects.map((x) => x.reason)).toEqual([reason]);
  });
});

describe('depth bounds', () => {
  const deep = (n: number): unknown => {
    let v: unknown = { text: 'leaf' };
    for (let i = 0; i < n; i++) v = { a: v };
    return v;
  };

  it('deeperThan and boundedJson walk without recursion past the bound', () => {
    expect(deeperThan(deep(MAX_WALK_DEPTH - 2))).toBe(false);
    expect(deeperThan(deep(50_000))).toBe(true);
    expect(boundedJson({ a: [1, { b: 'c' }] })).toBe('{"a":[1,{"b":"c"}]}');
    const cut = JSON.parse(boundedJson(deep(50_000)));
    expect(deeperThan(cut, MAX_WALK_DEPTH)).toBe(false);
    expect(boundedJson(deep(50_000))).toContain('"[too-deep]"');
  });

  it('a model body nested 5,000 deep keeps its invocation on record, hashed and flagged', () => {
    let body = '{"text":"ZD-1 hi"}';
    for (let i = 0; i < 5000; i++) body = `{"a":${body}}`;
    const text = JSON.stringify({ ...invocation, input: { inputBodyJson: 'HOLE' } }).replace('"HOLE"', body);
    const r = parseText(`${text}\n${JSON.stringify({ ...invocation, requestId: 'next' })}`, ctx());
    expect(r.rejects).toEqual([]);
    expect(r.observations).toHaveLength(2);
    expect(r.observations[0]!.attrs).toMatchObject({ inputTooDeep: true, inputSha256: expect.any(String) });
  });

  it('contentAttrs hashes the same deep body the same way every time', () => {
    const a = contentAttrs('input', deep(1000), ctx());
    expect(a).toEqual(contentAttrs('input', deep(1000), ctx()));
    expect(a.inputSha256).not.toEqual(contentAttrs('input', deep(10), ctx()).inputSha256);
  });
});

describe('a malformed line does not swallow the lines after it', () => {
  const good = (i: number) => JSON.stringify({ ...ctRecord, eventID: `e-${i}` });
  it.each([
    ['cut after a value', `{"eventVersion":"1.08", broken`],
    ['cut inside a string', `{"eventVersion":"1.0`],
    ['cut after a colon', `{"eventVersion":`],
    ['cut after an open array', `{"resources":[`],
    ['cut inside a nested object', `{"userIdentity":{"type":"Ass`],
    ['cut, then a blank line', `{"eventVersion":"1.0\n`],
  ])('first line %s', (_n, bad) => {
    for (const eol of ['\n', '\r\n']) {
      const r = parseText([bad.replace('\n', eol), good(1), good(2)].join(eol) + eol, ctx());
      expect(r.records).toBe(3);
      expect(r.observations.map((o) => o.correlation.eventId)).toEqual(['e-1', 'e-2']);
      expect(r.rejects).toHaveLength(1);
      expect(r.rejects[0]!.location.line).toBe(1);
    }
  });

  it('pretty-printed and multi-line JSON still split by value', () => {
    const pretty = `${JSON.stringify({ a: 1, b: { c: [1, 2] } }, null, 2)}\n${JSON.stringify({ d: 2 }, null, 0)}\n`;
    expect(splitText(pretty).items.map((i) => (i.kind === 'record' ? JSON.parse(i.text) : i))).toEqual([
      { a: 1, b: { c: [1, 2] } },
      { d: 2 },
    ]);
  });
});
