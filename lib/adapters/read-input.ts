/**
 * Reading ingest inputs with bounded memory: files, directories (recursive) and glob patterns, or any byte stream
 * (an S3 GetObject body). Gzip is detected by its magic bytes, not the file name, and decompressed as a stream; a
 * truncated or corrupt gzip ends the text with a problem (the text decoded before it is kept and parsed).
 */
import { createReadStream, readFileSync, type Stats, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip, gunzipSync } from 'node:zlib';

export class InputError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InputError';
  }
}

/** Why decoding stopped early; becomes a reject of the input. */
export interface DecodeProblem {
  reason: 'truncated-gzip' | 'corrupt-gzip' | 'read-error' | 'decompressed-too-large';
  detail: string;
}

export interface DecodedText {
  /** Decoded UTF-8 text, chunk by chunk. */
  chunks: AsyncIterable<string>;
  /** Set once `chunks` is exhausted, when the input ended badly. */
  problem(): DecodeProblem | undefined;
  /** Compressed (raw) bytes consumed so far, for progress. */
  bytesRead(): number;
}

const GZIP_MAGIC = [0x1f, 0x8b] as const;

export interface DecodeOptions {
  /** Stop after this many decompressed bytes (the HTTPS endpoint's cap); default: no absolute cap. */
  maxDecodedBytes?: number;
}

/**
 * Past this many decompressed bytes, a compression ratio above {@link MAX_GZIP_RATIO} stops the input: log files
 * compress 5-30x, a gzip bomb about 1000x. Bounds the time a hostile object can cost where no absolute cap is set.
 */
export const RATIO_CHECK_AFTER_BYTES = 64 * 1024 * 1024;
export const MAX_GZIP_RATIO = 200;

/** Decodes a byte stream to text, gunzipping when it starts with the gzip magic bytes. */
export function decodeBytes(source: AsyncIterable<Uint8Array>, opts: DecodeOptions = {}): DecodedText {
  let problem: DecodeProblem | undefined;
  let read = 0;
  async function* counted(it: AsyncIterator<Uint8Array>, first: Uint8Array[]): AsyncGenerator<Uint8Array> {
    let done = false;
    try {
      for (const c of first) yield c;
      while (true) {
        const r = await it.next();
        if (r.done) {
          done = true;
          return;
        }
        read += r.value.length;
        yield r.value;
      }
    } finally {
      // Stopped early (a decompression cap): release the source (an S3 socket) now, not at garbage collection.
      if (!done) await it.return?.();
    }
  }
  async function* text(): AsyncGenerator<string> {
    const it = source[Symbol.asyncIterator]();
    const head: Uint8Array[] = [];
    let headLen = 0;
    // Enough bytes to see the magic number (chunks can be 1 byte long).
    while (headLen < 2) {
      let r: IteratorResult<Uint8Array>;
      try {
        r = await it.next();
      } catch (err) {
        problem = { reason: 'read-error', detail: (err as Error).message };
        return;
      }
      if (r.done) break;
      read += r.value.length;
      head.push(r.value);
      headLen += r.value.length;
    }
    const first = Buffer.concat(head.map((h) => Buffer.from(h.buffer, h.byteOffset, h.byteLength)));
    const gz = first.length >= 2 && first[0] === GZIP_MAGIC[0] && first[1] === GZIP_MAGIC[1];
    // StringDecoder keeps a multi-byte character split across chunks whole, and is faster than TextDecoder here.
    const decoder = new StringDecoder('utf8');
    const bytes: AsyncIterable<Uint8Array> = counted(it, first.length ? [first] : []);
    try {
      if (!gz) {
        for await (const c of bytes) {
          const s = decoder.write(c as Buffer);
          if (s) yield s;
        }
      } else {
        const gunzip = createGunzip();
        const src = Readable.from(bytes);
        src.on('error', (err) => gunzip.destroy(err));
        src.pipe(gunzip);
        let decoded = 0;
        for await (const c of gunzip as AsyncIterable<Buffer>) {
          decoded += c.length;
          const over = decompressionOver(decoded, read, opts.maxDecodedBytes);
          if (over) {
            problem = { reason: 'decompressed-too-large', detail: over };
            src.destroy();
            gunzip.destroy();
            break;
          }
          const s = decoder.write(c as Buffer);
          if (s) yield s;
        }
      }
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (gz && /unexpected end of file/i.test(e.message)) {
        problem = { reason: 'truncated-gzip', detail: 'gzip stream ends before its end marker (truncated object)' };
      } else if (gz && (e.code?.startsWith('Z_') || /header|invalid|distance|block/i.test(e.message))) {
        problem = { reason: 'corrupt-gzip', detail: `gzip data is corrupt: ${e.message}` };
      } else {
        problem = { reason: 'read-error', detail: e.message };
      }
    }
    const tail = decoder.end();
    if (tail) yield tail;
  }
  return { chunks: text(), problem: () => problem, bytesRead: () => read };
}

/** Why decompression must stop here, or undefined. */
function decompressionOver(decoded: number, compressed: number, max: number | undefined): string | undefined {
  if (max !== undefined && decoded > max) return `decompressed size exceeds ${max} bytes`;
  if (decoded > RATIO_CHECK_AFTER_BYTES && decoded > MAX_GZIP_RATIO * Math.max(compressed, 1))
    return `compression ratio above ${MAX_GZIP_RATIO}:1 after ${decoded} bytes (a gzip bomb, not a log file)`;
  return undefined;
}

export interface InputFile {
  path: string;
  size: number;
}

/** Expands paths, directories (recursively, sorted) and glob patterns (`*`, `?`, `**`) into files. */
export async function expandInputs(inputs: readonly string[], cwd = process.cwd()): Promise<InputFile[]> {
  if (inputs.length === 0) throw new InputError('no input paths given');
  const out: InputFile[] = [];
  const seen = new Set<string>();
  const add = (path: string, st: Stats) => {
    if (seen.has(path)) return;
    seen.add(path);
    out.push({ path, size: st.size });
  };
  for (const input of inputs) {
    const abs = resolve(cwd, input);
    if (/[*?[]/.test(input)) {
      const matches = await globFiles(abs);
      if (matches.length === 0) throw new InputError(`no files match ${input}`);
      for (const m of matches) add(m, statSync(m));
      continue;
    }
    let st: Stats;
    try {
      st = statSync(abs);
    } catch (err) {
      throw new InputError(`cannot read ${input}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { cause: err });
    }
    if (st.isDirectory()) {
      for (const f of await walk(abs)) add(f, statSync(f));
    } else if (st.isFile()) add(abs, st);
    else throw new InputError(`not a file or directory: ${input}`);
  }
  return out;
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  const out: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

async function globFiles(absPattern: string): Promise<string[]> {
  const parts = absPattern.split(sep);
  const firstWild = parts.findIndex((p) => /[*?[]/.test(p));
  const base = parts.slice(0, firstWild).join(sep) || sep;
  const re = globRegex(parts.slice(firstWild).join('/'));
  let files: string[];
  try {
    files = await walk(base);
  } catch {
    return [];
  }
  return files.filter((f) =>
    re.test(
      f
        .slice(base.length + 1)
        .split(sep)
        .join('/'),
    ),
  );
}

/** Glob to RegExp: `**` any depth, `*` within a segment, `?` one character, `[...]` a class. */
export function globRegex(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*' && glob[i + 1] === '*') {
      re += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${glob
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** A file as a byte stream (64 KiB reads), opened only when iterated (a small file may be read whole instead). */
export function fileBytes(path: string): AsyncIterable<Uint8Array> {
  return {
    async *[Symbol.asyncIterator]() {
      yield* createReadStream(path, { highWaterMark: 64 * 1024 });
    },
  };
}

/** Files up to this size are read and decompressed in one call (fewer stream steps for many small trail files). */
export const WHOLE_FILE_MAX_BYTES = 4 * 1024 * 1024;
/** ... as long as their decompressed text stays under this; larger ones are streamed. */
const WHOLE_TEXT_MAX_BYTES = 32 * 1024 * 1024;

/**
 * A small file's whole text (gunzipped when it starts with the gzip magic bytes), or undefined when it is too large,
 * or its gzip data is damaged: the caller then streams it, which keeps what decodes before the damage.
 */
export function readSmallFileText(path: string, size: number): string | undefined {
  if (size > WHOLE_FILE_MAX_BYTES) return undefined;
  try {
    const bytes = readFileSync(path);
    const gz = bytes.length >= 2 && bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
    return (gz ? gunzipSync(bytes, { maxOutputLength: WHOLE_TEXT_MAX_BYTES }) : bytes).toString('utf8');
  } catch {
    return undefined;
  }
}
