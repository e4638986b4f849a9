/**
 * A whole one-line trail file parsed at once yields exactly the splitter's items (values, record numbers, lines), and
 * anything it cannot vouch for is left to the splitter.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { wholeTrailFile } from '../../../lib/app/ingest/trail-file.ts';
import { type SplitItem, splitText } from '../../../lib/core/sources/index.ts';

const MAX = 5 * 1024 * 1024;
const view = (items: SplitItem[]) =>
  items.map((i) => ({
    record: i.record,
    line: i.line,
    value: i.kind === 'record' ? (i.value !== undefined ? i.value : JSON.parse(i.text)) : '<too-large>',
  }));

describe('wholeTrailFile', () => {
  it('property: a one-line trail file gives the splitter items', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { maxLength: 15 }), fc.boolean(), (records, newline) => {
        const text = `${JSON.stringify({ Records: records })}${newline ? '\n' : ''}`;
        const items = wholeTrailFile(text, MAX);
        expect(items).toBeDefined();
        expect(view(items ?? [])).toEqual(view(splitText(text).items));
      }),
      { numRuns: 300 },
    );
  });

  it('re-serializes a record for a reject excerpt only when asked', () => {
    const [item] = wholeTrailFile(JSON.stringify({ Records: [{ eventID: 'a', n: 1 }] }), MAX) ?? [];
    expect(item?.kind === 'record' && JSON.parse(item.text)).toEqual({ eventID: 'a', n: 1 });
  });

  it.each([
    ['a malformed record', '{"Records":[{"eventID":"a"},{"eventTime":2026-11-02}]}'],
    ['a wrapper with another key', '{"Records":[{"eventID":"a"}],"Digest":true}'],
    ['pretty-printed records (line numbers)', JSON.stringify({ Records: [{ a: 1 }, { b: 2 }] }, null, 2)],
    ['no Records wrapper', '[{"eventID":"a"}]'],
    ['Records not an array', '{"Records":{"eventID":"a"}}'],
  ])('leaves %s to the splitter', (_, text) => {
    expect(wholeTrailFile(text, MAX)).toBeUndefined();
  });

  it('leaves a file longer than the record limit to the splitter (which names the record too large)', () => {
    const text = JSON.stringify({ Records: [{ blob: 'x'.repeat(5000) }] });
    expect(wholeTrailFile(text, 4096)).toBeUndefined();
    expect(splitText(text, { maxRecordChars: 4096 }).items.map((i) => i.kind)).toEqual(['too-large']);
  });
});
