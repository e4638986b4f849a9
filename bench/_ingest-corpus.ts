/**
 * Corpora for the ingest benchmark, written to a directory as a user would point `warden ingest` at them:
 * CloudTrail trail files of five minutes each (gzip, `{"Records":[...]}`), as CloudTrail delivers them to S3, from the
 * sample generator or from real public CloudTrail; and the bare reference readers.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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

/**
 * The bare reference plus the least a store of every record's evidence does, with no Warden code: each record
 * stringified again into one JSON array per file, compressed by Brotli at quality 0 (the embedded store's evidence
 * codec). It shows how much of the 0.5x budget storing per-record evidence takes by itself.
 */
export const BARE_EVIDENCE_SCRIPT = `
const { readdirSync, readFileSync } = require('node:fs');
const { gunzipSync, brotliCompressSync, constants } = require('node:zlib');
const dir = process.argv[1];
let n = 0;
for (const f of readdirSync(dir).sort()) {
  const records = JSON.parse(gunzipSync(readFileSync(dir + '/' + f)).toString('utf8')).Records;
  n += records.length;
  const json = '[' + records.map((r) => JSON.stringify(r)).join(',') + ']';
  brotliCompressSync(Buffer.from(json), { params: { [constants.BROTLI_PARAM_QUALITY]: 0 } });
}
process.stdout.write(String(n));
`;

/**
 * Real public CloudTrail (../shared/data/public: Stratus Red Team detonation logs, Panther scenario trails), each
 * record repeated `copies` times an hour apart with its own eventID, time-sorted and cut into gzip trail files of
 * `perFile` records: real record shapes (identities, request parameters, errors) at a size worth timing.
 */
export function writePublicTrailCorpus(dir: string, pub: string, opts: { copies: number; perFile: number }): Corpus {
  const records: Record<string, unknown>[] = [];
  const stratus = join(pub, 'stratus-red-team', 'detonation-logs');
  for (const f of readdirSync(stratus)
    .filter((n) => n.endsWith('.json'))
    .sort()) {
    const v = JSON.parse(readFileSync(join(stratus, f), 'utf8')) as unknown;
    records.push(...((Array.isArray(v) ? v : (v as { Records: unknown[] }).Records) as Record<string, unknown>[]));
  }
  const panther = join(pub, 'panther-analysis', 'scenarios');
  for (const f of readdirSync(panther)
    .filter((n) => n.includes('cloudtrail'))
    .sort())
    for (const line of readFileSync(join(panther, f), 'utf8').split('\n'))
      if (line.trim()) records.push(JSON.parse(line) as Record<string, unknown>);
  const all: Record<string, unknown>[] = [];
  for (let k = 0; k < opts.copies; k++)
    for (const [i, r] of records.entries())
      all.push({
        ...r,
        eventTime: new Date(Date.parse(String(r.eventTime)) + k * 3_600_000).toISOString().replace('.000Z', 'Z'),
        eventID: `${String(r.eventID ?? i)}-${k}`,
      });
  all.sort((a, b) => String(a.eventTime).localeCompare(String(b.eventTime)));
  mkdirSync(dir, { recursive: true });
  const out: Corpus = { dir, files: 0, records: 0, bytes: 0 };
  for (let i = 0; i < all.length; i += opts.perFile) {
    const list = all.slice(i, i + opts.perFile);
    const bytes = gzipSync(JSON.stringify({ Records: list }));
    writeFileSync(join(dir, `public_CloudTrail_${String(out.files).padStart(5, '0')}.json.gz`), bytes);
    out.files++;
    out.records += list.length;
    out.bytes += bytes.length;
  }
  return out;
}

/**
 * The bare reference for any inputs (files or directories, recursively, sorted): read, gunzip when gzip, then
 * JSON.parse the whole text when it is JSON, else each line that is a JSON object (other lines just counted);
 * prints the records seen.
 */
export const BARE_ANY_SCRIPT = `
const { readdirSync, readFileSync, statSync } = require('node:fs');
const { gunzipSync } = require('node:zlib');
const files = [];
const walk = (p) => statSync(p).isDirectory() ? readdirSync(p).sort().forEach((n) => walk(p + '/' + n)) : files.push(p);
process.argv.slice(1).forEach(walk);
let n = 0;
for (const f of files) {
  let b = readFileSync(f);
  if (b[0] === 0x1f && b[1] === 0x8b) b = gunzipSync(b);
  const text = b.toString('utf8');
  let whole;
  try { whole = JSON.parse(text); } catch {}
  if (whole !== undefined) n += Array.isArray(whole) ? whole.length : Array.isArray(whole.Records) ? whole.Records.length : 1;
  else for (const line of text.split('\\n')) if (line.startsWith('{')) { JSON.parse(line); n++; } else if (line.trim()) n++;
}
process.stdout.write(String(n));
`;
