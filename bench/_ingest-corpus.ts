/**
 * Corpora for the ingest benchmark, written to a directory as a user would point `warden ingest` at them:
 * CloudTrail trail files of five minutes each (gzip, `{"Records":[...]}`), as CloudTrail delivers them to S3.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { generateSample } from '../lib/demo/ingest-sample.ts';

export interface Corpus {
  dir: string;
  files: number;
  records: number;
  bytes: number;
}

/** `hours` of the two sample agents at `scale`, cut into five-minute trail files. */
export function writeTrailCorpus(dir: string, opts: { hours: number; scale: number; seed?: number }): Corpus {
  mkdirSync(dir, { recursive: true });
  const out: Corpus = { dir, files: 0, records: 0, bytes: 0 };
  const hourly = generateSample({ hours: opts.hours, scale: opts.scale, gzip: true, seed: opts.seed ?? 3 });
  for (const f of hourly.filter((x) => x.source === 'cloudtrail')) {
    const records = (JSON.parse(gunzipSync(f.bytes).toString('utf8')) as { Records: { eventTime: string }[] }).Records;
    const slots = new Map<number, unknown[]>();
    for (const r of records) {
      const slot = Math.floor(Date.parse(r.eventTime) / 300_000);
      const list = slots.get(slot);
      if (list) list.push(r);
      else slots.set(slot, [r]);
    }
    for (const [slot, list] of [...slots].sort((a, b) => a[0] - b[0])) {
      const stamp = new Date(slot * 300_000).toISOString().replace(/[-:]/g, '').slice(0, 13);
      const bytes = gzipSync(JSON.stringify({ Records: list }));
      writeFileSync(join(dir, `111122223333_CloudTrail_us-east-1_${stamp}Z_${out.files}.json.gz`), bytes);
      out.files++;
      out.records += list.length;
      out.bytes += bytes.length;
    }
  }
  return out;
}

/** The bare reference, run in its own process: read, gunzip and JSON.parse every file; prints the record count. */
export const BARE_SCRIPT = `
const { readdirSync, readFileSync } = require('node:fs');
const { gunzipSync } = require('node:zlib');
const dir = process.argv[1];
let n = 0;
for (const f of readdirSync(dir).sort()) n += JSON.parse(gunzipSync(readFileSync(dir + '/' + f)).toString('utf8')).Records.length;
process.stdout.write(String(n));
`;
