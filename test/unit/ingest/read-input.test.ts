import { mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  expandInputs,
  globRegex,
  InputError,
  mayHoldManyFiles,
  readSmallFileText,
  WHOLE_FILE_MAX_BYTES,
} from '../../../lib/adapters/read-input.ts';
import { decodeBytes } from '../../../lib/app/ingest/decode.ts';

async function* chunksOf(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function decodeAll(bytes: Uint8Array, size = 7) {
  const d = decodeBytes(chunksOf(bytes, size));
  let text = '';
  for await (const c of d.chunks) text += c;
  return { text, problem: d.problem(), read: d.bytesRead() };
}

const sample = '{"Records":[{"eventID":"1"},{"eventID":"2"}]}\nline two ünïcödé €\n';

describe('decodeBytes', () => {
  it('passes plain text through, whatever the chunking (multi-byte characters split across chunks)', async () => {
    for (const size of [1, 2, 3, 64 * 1024]) {
      const r = await decodeAll(Buffer.from(sample), size);
      expect(r).toEqual({ text: sample, problem: undefined, read: Buffer.byteLength(sample) });
    }
  });

  it('gunzips by magic bytes, not by name, also when the magic arrives one byte at a time', async () => {
    for (const size of [1, 5, 1 << 16]) {
      const r = await decodeAll(gzipSync(sample), size);
      expect(r.text).toBe(sample);
      expect(r.problem).toBeUndefined();
    }
  });

  it('stops a gzip input past maxDecodedBytes, keeping the text decoded before the cap', async () => {
    const text = 'x'.repeat(1024 * 1024);
    const d = decodeBytes(chunksOf(gzipSync(text), 4096), { maxDecodedBytes: 64 * 1024 });
    let out = '';
    for await (const c of d.chunks) out += c;
    expect(d.problem()).toMatchObject({ reason: 'decompressed-too-large' });
    expect(out.length).toBeLessThanOrEqual(64 * 1024);
    expect(text.startsWith(out)).toBe(true);
  });

  it('stops a gzip bomb by its compression ratio when no absolute cap is set', async () => {
    // 80 MiB of zeros gzip to ~80 KB: a ratio near 1000, far above any log file.
    const bomb = gzipSync(Buffer.alloc(80 * 1024 * 1024));
    const d = decodeBytes(chunksOf(bomb, 16 * 1024));
    let decoded = 0;
    for await (const c of d.chunks) decoded += c.length;
    expect(d.problem()).toMatchObject({ reason: 'decompressed-too-large' });
    expect(d.problem()?.detail).toMatch(/ratio/);
    expect(decoded).toBeLessThan(80 * 1024 * 1024);
  });

  it('reads concatenated gzip members (as some S3 writers produce)', async () => {
    const r = await decodeAll(Buffer.concat([gzipSync('a\n'), gzipSync('b\n')]));
    expect(r.text).toBe('a\nb\n');
  });

  it('property: a gzip truncated anywhere yields a prefix of the text and a truncated-gzip problem', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 3000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        async (s, f) => {
          const gz = gzipSync(s);
          const cut = 2 + Math.floor(f * (gz.length - 3));
          const r = await decodeAll(gz.subarray(0, cut), 13);
          expect(s.startsWith(r.text.replace(/\ufffd$/, ''))).toBe(true);
          expect(r.problem?.reason).toBe('truncated-gzip');
        },
      ),
      { numRuns: 150 },
    );
  });

  it('reports corrupt gzip data as corrupt-gzip, keeping what decoded before', async () => {
    const gz = Buffer.from(gzipSync('x'.repeat(10_000)));
    gz.fill(0xff, 12, 40);
    const r = await decodeAll(gz);
    expect(r.problem?.reason).toBe('corrupt-gzip');
  });

  it('property: arbitrary bytes never throw; only gzip-looking input can report a gzip problem', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2000 }), fc.boolean(), async (bytes, magic) => {
        const input = magic ? Buffer.concat([Buffer.from([0x1f, 0x8b]), bytes]) : Buffer.from(bytes);
        const r = await decodeAll(input, 11);
        const gz = input[0] === 0x1f && input[1] === 0x8b;
        if (!gz) expect(r.problem).toBeUndefined();
        else expect(['truncated-gzip', 'corrupt-gzip', undefined]).toContain(r.problem?.reason);
      }),
      { numRuns: 200 },
    );
  });

  it('reports a failing byte source as read-error', async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('abc\n');
      throw new Error('connection reset');
    }
    const d = decodeBytes(failing());
    let text = '';
    for await (const c of d.chunks) text += c;
    expect(text).toBe('abc\n');
    expect(d.problem()).toEqual({ reason: 'read-error', detail: 'connection reset' });
  });
});

describe('globRegex', () => {
  it.each([
    ['*.json', 'a.json', true],
    ['*.json', 'dir/a.json', false],
    ['**/*.json', 'dir/sub/a.json', true],
    ['**/*.json', 'a.json', true],
    ['logs/**', 'logs/x/y.gz', true],
    ['file?.log', 'file1.log', true],
    ['file?.log', 'file12.log', false],
    ['[ab].txt', 'b.txt', true],
    ['[!ab].txt', 'c.txt', true],
    ['a.b', 'axb', false],
  ])('%s matches %s: %s', (glob, path, expected) => {
    expect(globRegex(glob).test(path)).toBe(expected);
  });
});

describe('expandInputs', () => {
  const root = mkdtempSync(join(tmpdir(), 'warden-inputs-'));
  mkdirSync(join(root, 'd', 'sub'), { recursive: true });
  for (const f of ['d/b.json', 'd/a.json', 'd/sub/c.log.gz', 'd/.hidden', 'top.json'])
    writeFileSync(join(root, f), 'x');

  it('walks directories recursively in sorted order, skipping dot files', async () => {
    const files = await expandInputs(['d'], root);
    expect(files.map((f) => f.path.slice(root.length + 1))).toEqual(['d/a.json', 'd/b.json', 'd/sub/c.log.gz']);
  });

  it('expands globs and drops duplicates', async () => {
    const files = await expandInputs(['d/*.json', 'd/a.json', 'top.json'], root);
    expect(files.map((f) => f.path.slice(root.length + 1))).toEqual(['d/a.json', 'd/b.json', 'top.json']);
  });

  it('sorts names as localeCompare does (not by code unit)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-order-'));
    const names = ['B.json', 'a.json', '_x.json', 'a10.json', 'a2.json', 'É.json', 'e.json'];
    for (const n of names) writeFileSync(join(dir, n), 'x');
    const files = await expandInputs([dir]);
    expect(files.map((f) => f.path.slice(dir.length + 1))).toEqual([...names].sort((a, b) => a.localeCompare(b)));
  });

  it.each([[['missing.json']], [['d/*.csv']], [[]]])('rejects %j with an InputError', async (paths) => {
    await expect(expandInputs(paths, root)).rejects.toBeInstanceOf(InputError);
  });
});

describe('mayHoldManyFiles', () => {
  const root = mkdtempSync(join(tmpdir(), 'warden-many-'));
  for (const f of ['one/a.json', 'one/.hidden', 'two/a.json', 'two/b.json', 'nested/sub/a.json', 'empty/.keep'])
    mkdirSync(join(root, f, '..'), { recursive: true });
  for (const f of ['one/a.json', 'one/.hidden', 'two/a.json', 'two/b.json', 'nested/sub/a.json', 'empty/.keep'])
    writeFileSync(join(root, f), 'x');

  it.each([
    [['one'], false],
    [['empty'], false],
    [['one/a.json'], false],
    [['missing'], false],
    [['two'], true],
    [['nested'], true],
    [['one/a.json', 'two/a.json'], true],
    [['one/*.json'], true],
  ])('%j: %s', (paths, many) => {
    expect(mayHoldManyFiles(paths.map((p) => join(root, p)))).toBe(many);
  });
});

describe('readSmallFileText', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-small-'));
  const write = (name: string, data: string | Uint8Array) => {
    const path = join(dir, name);
    writeFileSync(path, data);
    return path;
  };
  const read = (path: string) => readSmallFileText(path, statSync(path).size);

  it('reads plain and gzip files whole, one after the other (a smaller file after a larger one)', () => {
    const large = `${'x'.repeat(200_000)}${sample}`;
    const files = [
      [write('large.json', large), large],
      [write('small.json.gz', gzipSync(sample)), sample],
      [write('plain.json', sample), sample],
      [write('large.json.gz', gzipSync(large)), large],
      [write('empty.json', ''), ''],
      [write('members.gz', Buffer.concat([gzipSync('first '), gzipSync(sample)])), `first ${sample}`],
      [write('tiny.txt', 'a'), 'a'],
    ] as const;
    for (const [path, text] of files) expect(read(path)).toBe(text);
  });

  it('leaves damaged gzip data and large files to the streamed path (undefined)', () => {
    const gz = gzipSync(sample.repeat(20));
    const corrupt = Buffer.from(gz);
    corrupt[gz.length - 6] = (corrupt[gz.length - 6] as number) ^ 0xff; // the CRC
    expect(read(write('corrupt.gz', corrupt))).toBeUndefined();
    expect(read(write('truncated.gz', gz.subarray(0, gz.length - 12)))).toBeUndefined();
    expect(read(write('short.gz', gz.subarray(0, 10)))).toBeUndefined();
    expect(readSmallFileText(write('big.json', sample), WHOLE_FILE_MAX_BYTES + 1)).toBeUndefined();
    expect(readSmallFileText(join(dir, 'missing.json'), 10)).toBeUndefined();
  });
});
