/**
 * Names come from telemetry (issue #16 item 8): human output shows control characters and bidirectional overrides
 * as escapes instead of letting them drive the terminal; ordinary text, newlines and tabs pass unchanged.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { printable } from '../../../lib/cli/output.ts';

// biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence.
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

describe('printable', () => {
  it.each([
    ['role/r\u001b[31mRED', 'role/r\\u{1b}[31mRED'],
    ['a\rb', 'a\\u{d}b'],
    ['x\u0007y\u009bz', 'x\\u{7}y\\u{9b}z'],
    ['user\u202eexe.txt', 'user\\u{202e}exe.txt'],
    ['two\nlines\tand a tab', 'two\nlines\tand a tab'],
    ['k8s:prod-eks/support/support-agent — ünïcode ✓', 'k8s:prod-eks/support/support-agent — ünïcode ✓'],
  ])('%j -> %j', (input, out) => {
    expect(printable(input)).toBe(out);
  });

  it('leaves no raw control character, and changes nothing else', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        const p = printable(s);
        expect(p).not.toMatch(RAW);
        if (!RAW.test(s)) expect(p).toBe(s);
      }),
    );
  });
});
