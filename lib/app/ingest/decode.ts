/**
 * Decoding ingest inputs to text with bounded memory, from any byte stream (a local file, an S3 GetObject body, an
 * HTTPS body). Gzip is detected by its magic bytes, not the name, and decompressed as a stream, stopped past a size
 * cap or a gzip bomb's ratio; a truncated or corrupt gzip ends the text with a problem (the text decoded before it
 * is kept and parsed).
 */
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';

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
