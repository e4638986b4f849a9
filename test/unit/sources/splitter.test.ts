import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecordSplitter, type SplitItem, splitText } from '../../../lib/core/sources/splitter.ts';

const texts = (items: SplitItem[]) => items.map((i) => (i.kind === 'record' ? i.text : `<too-large:${i.size}>`));

/** Feeds text in chunks of `size` characters. */
function chunked(text: string, size: number, max?: number) {
  const s = new RecordSplitter(max ? { maxRecordChars: max } : {});
  const out: SplitItem[] = [];
  for (let i = 0; i < text.length; i += size) out.push(...s.push(text.slice(i, i + size)));
  out.push(...s.end());
  return { items: out, format: s.format };
}

describe('RecordSplitter formats', () => {
  const cases: { name: string; text: string; format: string; records: string[] }[] = [
    {
      name: 'CloudTrail trail file',
      text: '{"Records":[{"a":1},{"b":"x}\\"]"}\n,{"c":[1,{"d":2}]}]}',
      format: 'cloudtrail-records',
      records: ['{"a":1}', '{"b":"x}\\"]"}', '{"c":[1,{"d":2}]}'],
    },
    {
      name: 'trail file with whitespace and a trailing member',
      text: '  {\n  "Records" : [ {"a":1} ], "x": {"y": [1]} }\n',
      format: 'cloudtrail-records',
      records: ['{"a":1}'],
    },
    { name: 'bare array', text: '[{"a":1}, {"b":[2]}]', format: 'json-array', records: ['{"a":1}', '{"b":[2]}'] },
    {
      name: 'pretty-printed array',
      text: '[\n  {\n    "a": 1\n  },\n  {\n    "b": 2\n  }\n]\n',
      format: 'json-array',
      records: ['{\n    "a": 1\n  }', '{\n    "b": 2\n  }'],
    },
    { name: 'single object', text: '{"detail":{"x":"}"}}', format: 'json-values', records: ['{"detail":{"x":"}"}}'] },
    {
      name: 'NDJSON with a broken line',
      text: '{"a":1}\n{"b":2\n{"c":"\\u007b"}\r\n\n',
      format: 'ndjson',
      records: ['{"a":1}', '{"b":2', '{"c":"\\u007b"}'],
    },
    {
      name: 'concatenated pretty objects',
      text: '{\n "a":1\n}\n{\n "b":2\n}',
      format: 'json-values',
      records: ['{\n "a":1\n}', '{\n "b":2\n}'],
    },
    {
      name: 'text lines',
      text: 'version srcaddr\n2 123 eni-1\r\n\nlast',
      format: 'lines',
      records: ['version srcaddr', '2 123 eni-1', 'last'],
    },
    { name: 'scalars in an array', text: '[1, "s", null]', format: 'json-array', records: ['1', '"s"', 'null'] },
    {
      name: 'truncated trail file',
      text: '{"Records":[{"a":1},{"b":',
      format: 'cloudtrail-records',
      records: ['{"a":1}', '{"b":'],
    },
    { name: 'empty', text: ' \n ', format: 'unknown', records: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const whole = splitText(c.text);
      expect(texts(whole.items)).toEqual(c.records);
      expect(whole.format).toBe(c.format);
      for (const size of [1, 3, 7]) expect(texts(chunked(c.text, size).items)).toEqual(c.records);
    });
  }

  it('reports lines and record indexes', () => {
    const { items } = splitText('[\n{"a":1},\n\n{"b":2}]');
    expect(items.map((i) => [i.line, i.record])).toEqual([
      [2, 1],
      [4, 2],
    ]);
    const nd = splitText('{"a":1}\n\n{"b":2}\n');
    expect(nd.items.map((i) => i.line)).toEqual([1, 3]);
  });
});

describe('RecordSplitter limits', () => {
  it('turns an oversized record into too-large without losing its neighbours', () => {
    const big = `{"a":"${'y'.repeat(500)}"}`;
    const text = `{"Records":[{"x":1},${big},{"z":2}]}`;
    for (const size of [1000, 13, 64]) {
      const { items } = chunked(text, size, 100);
      expect(texts(items)).toEqual(['{"x":1}', `<too-large:${big.length}>`, '{"z":2}']);
      const tl = items[1]!;
      expect(tl.kind === 'too-large' && tl.excerpt.startsWith('{"a":"yyy')).toBe(true);
    }
  });

  it('does the same for text lines', () => {
    const text = `a\n${'z'.repeat(300)}\nb`;
    for (const size of [1000, 17]) expect(texts(chunked(text, size, 100).items)).toEqual(['a', '<too-large:300>', 'b']);
  });

  it('keeps memory bounded on a 10 MB line (the buffer never holds the whole line)', () => {
    const s = new RecordSplitter({ maxRecordChars: 1024 * 1024 });
    const chunk = 'x'.repeat(64 * 1024);
    const out: SplitItem[] = [...s.push('ok line\n')];
    for (let i = 0; i < 160; i++) out.push(...s.push(chunk));
    // biome-ignore lint/complexity/useLiteralKeys: reading a private field to assert the bound
    expect((s as unknown as { buf: string })['buf'].length).toBeLessThanOrEqual(1024 * 1024 + chunk.length);
    out.push(...s.push('\nafter\n'), ...s.end());
    expect(texts(out)).toEqual(['ok line', `<too-large:${160 * chunk.length}>`, 'after']);
  });
});

describe('RecordSplitter properties', () => {
  it('array of arbitrary JSON objects splits back into the same values, for any chunking', () => {
    fc.assert(
      fc.property(
        fc.array(fc.dictionary(fc.string(), fc.jsonValue()), { maxLength: 8 }),
        fc.integer({ min: 1, max: 50 }),
        (objs, size) => {
          const text = JSON.stringify({ Records: objs });
          const { items } = chunked(text, size);
          expect(items.map((i) => (i.kind === 'record' ? JSON.parse(i.text) : null))).toEqual(JSON.parse(text).Records);
        },
      ),
    );
  });

  it('NDJSON of arbitrary objects splits line by line', () => {
    fc.assert(
      fc.property(fc.array(fc.dictionary(fc.string(), fc.jsonValue()), { minLength: 1, maxLength: 8 }), (objs) => {
        const text = objs.map((o) => JSON.stringify(o)).join('\n');
        const { items } = splitText(text);
        expect(items.map((i) => (i.kind === 'record' ? JSON.parse(i.text) : null))).toEqual(
          JSON.parse(JSON.stringify(objs)),
        );
      }),
    );
  });

  it('never throws on arbitrary text and covers every non-blank line of line input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), fc.integer({ min: 1, max: 40 }), (text, size) => {
        const { items } = chunked(text, size, 64);
        for (const i of items) if (i.kind === 'record') expect(i.text.length).toBeLessThanOrEqual(64);
      }),
    );
  });
});
