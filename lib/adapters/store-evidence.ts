/**
 * Evidence chunks: individual observations packed as gzipped JSON lines into a few items per (subject, hour), each
 * item under the DynamoDB 400 KB limit. A chunk's id is the digest of the observation ids it holds, so writing the
 * same chunk twice is recognised (conditional put); readers also drop repeated ids, which covers re-deliveries that
 * were batched differently and so landed in different chunks.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Observation } from '../core/observation.ts';
import { digest } from '../core/store/digest.ts';

/** Upper bound for the compressed payload of one chunk item (the rest of the item is a few hundred bytes). */
export const MAX_CHUNK_BYTES = 340 * 1024;
/** Raw JSON gathered before compressing a chunk; observations compress ~5-10x, so this usually fits in one item. */
const RAW_CHUNK_TARGET = 1024 * 1024;

export interface EvidenceChunk {
  id: string;
  data: Uint8Array;
  count: number;
  firstTime: string;
  lastTime: string;
}

/** Packs time-sorted observations into chunks; a single observation larger than a chunk is kept truncated. */
export function packEvidence(observations: readonly Observation[]): EvidenceChunk[] {
  const out: EvidenceChunk[] = [];
  let group: Observation[] = [];
  let size = 0;
  for (const o of observations) {
    const n = JSON.stringify(o).length + 1;
    if (group.length > 0 && size + n > RAW_CHUNK_TARGET) {
      out.push(...compress(group));
      group = [];
      size = 0;
    }
    group.push(o);
    size += n;
  }
  if (group.length > 0) out.push(...compress(group));
  return out;
}

function compress(group: Observation[]): EvidenceChunk[] {
  const lines = group.map((o) => JSON.stringify(o));
  const data = gzipSync(Buffer.from(lines.join('\n')));
  if (data.length > MAX_CHUNK_BYTES) {
    if (group.length > 1) {
      const mid = Math.ceil(group.length / 2);
      return [...compress(group.slice(0, mid)), ...compress(group.slice(mid))];
    }
    // One huge observation (attrs from a hostile record): keep its identity, drop the attrs that made it huge.
    const o = group[0] as Observation;
    return compress([{ ...o, attrs: { truncated: true } }]);
  }
  return [
    {
      id: digest(group.map((o) => o.id).sort()),
      data,
      count: group.length,
      firstTime: (group[0] as Observation).time,
      lastTime: (group[group.length - 1] as Observation).time,
    },
  ];
}

export function unpackEvidence(data: Uint8Array): Observation[] {
  const text = gunzipSync(data).toString('utf8');
  return text.split('\n').map((line) => JSON.parse(line) as Observation);
}
