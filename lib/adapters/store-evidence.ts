/**
 * Evidence chunks: individual observations packed as compressed JSON lines into a few chunks per (subject, hour).
 * A chunk's id is the digest of the observation ids it holds, so writing the same chunk twice is recognised
 * (conditional put, insert-or-ignore); readers also drop repeated ids, which covers re-deliveries that were batched
 * differently and so landed in different chunks.
 *
 * Two codecs: Brotli JSON lines for DynamoDB items (gzip before; each item under the 400 KB limit),
 * and Brotli JSON arrays for the embedded store: observations stringified one by one straight into the chunk's UTF-8
 * buffer (no joined string to flatten and encode), Brotli at quality 0 (12x smaller in about a fifth of the CPU of
 * gzip level 1). The embedded reader still reads JSON-lines chunks written before.
 */
import { brotliCompressSync, brotliDecompressSync, constants, gunzipSync } from 'node:zlib';
import type { Observation } from '../core/observation.ts';
import { digest } from '../core/store/digest.ts';
import type { EvidenceCodec, PackedChunk } from '../core/store/folded.ts';
import { Arena, BrotliEvidenceWriter, RAW_CHUNK_TARGET } from './store-evidence-brotli.ts';
import { COMPACT_ROWS, fromCompactRows } from './store-evidence-rows.ts';

/** Upper bound for the compressed payload of one DynamoDB chunk item (the rest of the item is a few hundred bytes). */
export const MAX_CHUNK_BYTES = 340 * 1024;

export type EvidenceChunk = PackedChunk;

// Node 20's Buffer.from(string) encoded UTF-8 slower than TextEncoder in our measurements (59 MB of evidence JSON:
// 260-500 ms against 20-250 ms, on a busy machine); both write a lone surrogate as U+FFFD.
const utf8 = new TextEncoder();

interface Codec {
  compress(raw: Uint8Array): Buffer;
  decompress(data: Uint8Array): Buffer;
  maxBytes: number;
}

/**
 * DynamoDB chunks: Brotli at quality 5 (about a tenth smaller than gzip for the same CPU: a write is billed by the
 * started KB, and most chunks are one subject's few observations of one batch); chunks written before are gzip, told
 * apart by gzip's magic bytes.
 */
const dynamoCodec: Codec = {
  compress: (b) =>
    brotliCompressSync(b, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 5,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_SIZE_HINT]: b.length,
      },
    }),
  decompress: (d) => (d[0] === 0x1f && d[1] === 0x8b ? gunzipSync(d) : brotliDecompressSync(d)),
  maxBytes: MAX_CHUNK_BYTES,
};

const brotliCodec: Codec = {
  // A small chunk's output buffer about its compressed size (JSON evidence compresses 5-50x) rather than zlib's
  // 16 KiB: a chunk of a few observations then costs about 10 us instead of 80 (fresh pages are faulted in).
  compress: (b) =>
    brotliCompressSync(b, {
      chunkSize: Math.min(Math.max(b.length >> 3, 1024), 16 * 1024),
      params: { [constants.BROTLI_PARAM_QUALITY]: 0, [constants.BROTLI_PARAM_SIZE_HINT]: b.length },
    }),
  decompress: (d) => brotliDecompressSync(d),
  maxBytes: Number.POSITIVE_INFINITY,
};

/** Packs time-sorted observations into chunks for DynamoDB items; a single oversized observation is truncated. */
export const packEvidence = (observations: readonly Observation[]) => pack(observations, dynamoCodec);
export const unpackEvidence = (data: Uint8Array) => unpack(data, dynamoCodec);

/**
 * The embedded store's evidence codec: Brotli chunks written as observations come (store-evidence-brotli.ts). One
 * per folder: its writers share a buffer arena, reused from batch to batch.
 */
export function brotliEvidence(): EvidenceCodec {
  const arena = new Arena();
  return () => new BrotliEvidenceWriter(arena, brotliCodec.compress);
}
/** Packs observations into Brotli chunks, in the order given (the embedded store). */
export function packEvidenceBrotli(observations: readonly Observation[]): EvidenceChunk[] {
  const w = brotliEvidence()();
  for (const o of observations) w.add(o);
  return w.finish();
}
export const unpackEvidenceBrotli = (data: Uint8Array) => unpack(data, brotliCodec);

function chunk(group: readonly Observation[], data: Buffer): EvidenceChunk {
  return {
    id: digest(group.map((o) => o.id).sort()),
    data,
    count: group.length,
    firstTime: (group[0] as Observation).time,
    lastTime: (group[group.length - 1] as Observation).time,
  };
}

function pack(observations: readonly Observation[], codec: Codec): EvidenceChunk[] {
  const out: EvidenceChunk[] = [];
  let group: Observation[] = [];
  let lines: string[] = [];
  let size = 0;
  for (const o of observations) {
    const line = JSON.stringify(o);
    if (group.length > 0 && size + line.length + 1 > RAW_CHUNK_TARGET) {
      out.push(...compress(group, lines, codec));
      group = [];
      lines = [];
      size = 0;
    }
    group.push(o);
    lines.push(line);
    size += line.length + 1;
  }
  if (group.length > 0) out.push(...compress(group, lines, codec));
  return out;
}

function compress(group: Observation[], lines: string[], codec: Codec): EvidenceChunk[] {
  const data = codec.compress(utf8.encode(lines.join('\n')));
  if (data.length > codec.maxBytes) {
    if (group.length > 1) {
      const mid = Math.ceil(group.length / 2);
      return [
        ...compress(group.slice(0, mid), lines.slice(0, mid), codec),
        ...compress(group.slice(mid), lines.slice(mid), codec),
      ];
    }
    // One huge observation (attrs from a hostile record): keep its identity, drop the attrs that made it huge.
    const o = { ...(group[0] as Observation), attrs: { truncated: true } };
    return compress([o], [JSON.stringify(o)], codec);
  }
  return [chunk(group, data)];
}

/**
 * A chunk is compact rows (format 2, the embedded store's writer), a JSON array of observations (its chunks written
 * before), or JSON lines (gzip chunks, and Brotli chunks written before arrays).
 */
function unpack(data: Uint8Array, codec: Codec): Observation[] {
  const text = codec.decompress(data).toString('utf8');
  if (text.startsWith('[')) {
    const list = JSON.parse(text) as unknown[];
    if (list[0] === COMPACT_ROWS) return fromCompactRows(list);
    // A chunk of observations starts with one; a format name this reader does not know is a newer Warden's.
    if (typeof list[0] === 'string') throw new Error(`evidence chunk of an unknown format ${JSON.stringify(list[0])}`);
    return list as Observation[];
  }
  return text.split('\n').map((line) => JSON.parse(line) as Observation);
}
