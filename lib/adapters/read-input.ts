/**
 * The InputFiles port over the local filesystem: files, directories (recursive) and glob patterns expanded to files,
 * each streamed in 64 KiB reads, or read whole when small (gunzipped when it starts with the gzip magic bytes). The
 * bytes are decoded to text by the ingest pipeline (lib/app/ingest/decode.ts), whatever they come from.
 */
import {
  closeSync,
  createReadStream,
  type Dir,
  type Dirent,
  fstatSync,
  opendirSync,
  openSync,
  readFileSync,
  readSync,
  type Stats,
  statSync,
} from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { gunzipSync, type ZlibOptions } from 'node:zlib';
import type { InputFile, InputFiles } from '../ports.ts';

export class InputError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InputError';
  }
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

/** What a directory entry is to an ingest: a directory to walk, a file to read, or nothing (dot entries, others). */
function entryKind(e: Dirent): 'dir' | 'file' | undefined {
  if (e.name.startsWith('.')) return undefined;
  return e.isDirectory() ? 'dir' : e.isFile() ? 'file' : undefined;
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  const out: string[] = [];
  for (const e of entries) {
    const kind = entryKind(e);
    const p = join(dir, e.name);
    if (kind === 'dir') out.push(...(await walk(p)));
    else if (kind === 'file') out.push(p);
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
    const bytes = readWhole(path);
    const gz = gzipOptions(bytes);
    if (gz === 'plain') return bytes.toString('utf8');
    return gz ? gunzipSync(bytes, gz).toString('utf8') : undefined;
  } catch {
    return undefined;
  }
}

/**
 * This thread's read buffer: a small file is read into it, and is gone from it (gunzipped or decoded to a string)
 * before the next read. readFileSync allocates a buffer of its own per file (outside Node's pool), which cost about
 * 10 us a file: 12 ms of the 21 ms reading the ingest benchmark's 1,152 files took, on the project's 2-core VM.
 */
let readBuffer = Buffer.allocUnsafe(0);

/**
 * The file's bytes, as readFileSync reads them (as many as its size when opened, fewer if it ends first), in
 * readBuffer.
 */
function readWhole(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    // A file that reports no size (procfs and the like) is read as readFileSync reads it: to end of file.
    if (size === 0) return readFileSync(fd);
    if (readBuffer.length < size) readBuffer = Buffer.allocUnsafe(Math.max(size, 64 * 1024));
    let n = 0;
    while (n < size) {
      const got = readSync(fd, readBuffer, n, size - n, null);
      if (got === 0) break;
      n += got;
    }
    return readBuffer.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/**
 * Whether paths may expand to more than one file (several paths, a glob, a directory of more than one entry or with
 * a subdirectory), before expanding them: a directory holding one file starts no parse worker.
 */
export function mayHoldManyFiles(paths: readonly string[]): boolean {
  return paths.length > 1 || paths.some((p) => /[*?[]/.test(p) || holdsMany(p));
}

/** A directory with two files or a subdirectory among the entries walk would take. */
function holdsMany(path: string): boolean {
  let dir: Dir | undefined;
  try {
    dir = opendirSync(path, { bufferSize: 2 });
    let found = 0;
    for (let e = dir.readSync(); e; e = dir.readSync()) {
      const kind = entryKind(e);
      if (kind === 'dir' || (kind === 'file' && ++found > 1)) return true;
    }
    return false;
  } catch {
    return false;
  } finally {
    dir?.closeSync();
  }
}

/** The local filesystem as the ingest's InputFiles. */
export const localInputFiles: InputFiles = {
  expand: (paths) => expandInputs(paths),
  bytes: fileBytes,
  wholeText: readSmallFileText,
};

/** 'plain' when not gzip; gunzip options for a whole-file gunzip; undefined when too short to be whole gzip data. */
function gzipOptions(bytes: Buffer): 'plain' | ZlibOptions | undefined {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return 'plain';
  if (bytes.length < 18) return undefined; // shorter than a gzip header and trailer: streamed, to name the damage
  // The trailer's size (mod 2^32) as the output buffer's size: one buffer, not 16 KiB pieces to concatenate. A wrong
  // size (several members, a forged trailer) only costs the pieces again; maxOutputLength still bounds the output.
  const isize = bytes.readUInt32LE(bytes.length - 4);
  return {
    maxOutputLength: WHOLE_TEXT_MAX_BYTES,
    chunkSize: Math.min(Math.max(isize + 1, 16 * 1024), WHOLE_TEXT_MAX_BYTES),
  };
}
