import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ingestStream, ingestStreams, type NamedStream } from '../../../lib/app/ingest/pipeline.ts';
import { cliSummary } from '../../../lib/app/ingest/report.ts';
import type { Observation, Reject } from '../../../lib/core/observation.ts';
import { generateSample } from '../../../lib/demo/ingest-sample.ts';
import type { WriteOptions, WriteReport } from '../../../lib/ports.ts';

/** Records every write; a store that changes nothing (the pipeline logic is under test, not the store). */
function recordingWriter() {
  const calls: { observations: Observation[]; rejects: Reject[]; segments: number[] | undefined }[] = [];
  return {
    calls,
    async write(observations: Observation[], rejects: Reject[], opts?: WriteOptions): Promise<WriteReport> {
      calls.push({ observations, rejects, segments: opts?.segments });
      return {
        observations: observations.length,
        stored: 0,
        duplicates: 0,
        quarantined: rejects.length,
        writeRequests: 0,
      };
    },
  };
}

function bytes(name: string, data: string | Uint8Array, chunk = 4096): NamedStream {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  return {
    name,
    stream: (async function* () {
      for (let i = 0; i < buf.length; i += chunk) yield buf.subarray(i, i + chunk);
    })(),
  };
}

const ct = (id: string, name = 'GetObject') =>
  JSON.stringify({
    eventVersion: '1.09',
    eventTime: '2026-10-05T08:00:00Z',
    eventSource: 's3.amazonaws.com',
    eventName: name,
    awsRegion: 'us-east-1',
    eventID: id,
    userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::111122223333:assumed-role/r/s' },
    requestParameters: { bucketName: 'b', key: 'k' },
  });

describe('ingestStreams', () => {
  it('parses the generated sample (gzip CloudTrail + VPC flow) with every record accounted for', async () => {
    const w = recordingWriter();
    const files = generateSample({ hours: 3 });
    const r = await ingestStreams(
      w,
      files.map((f) => bytes(f.path, f.bytes, 1000)),
    );
    const records = files.reduce((n, f) => n + f.records, 0);
    expect(r.inputs).toBe(6);
    expect(r.records).toBe(records);
    expect(r.observations).toBe(records);
    expect(r.rejects).toBe(0);
    expect(Object.keys(r.bySource).sort()).toEqual(['cloudtrail', 'vpc-flow']);
    // Small inputs share one write.
    expect(w.calls).toHaveLength(1);
  });

  it('gives each input its own segments, cut at segmentSize records-worth of observations, never split over writes', async () => {
    const w = recordingWriter();
    const a = Array.from({ length: 7 }, (_, i) => ct(`a${i}`)).join('\n');
    const b = Array.from({ length: 3 }, (_, i) => ct(`b${i}`)).join('\n');
    await ingestStreams(w, [bytes('a.jsonl', a), bytes('b.jsonl', b)], { segmentSize: 3, batchSize: 5 });
    const flat = w.calls.flatMap((c) => c.observations.map((o, i) => `${o.correlation.eventId}@${c.segments?.[i]}`));
    const segOf = (id: string) => Number(flat.find((x) => x.startsWith(`${id}@`))?.split('@')[1]);
    expect(flat.map((x) => x.split('@')[0])).toEqual([
      ...Array.from({ length: 7 }, (_, i) => `a${i}`),
      'b0',
      'b1',
      'b2',
    ]);
    // a: [a0 a1 a2] [a3 a4 a5] [a6]  b: [b0 b1 b2]
    expect(new Set(['a0', 'a1', 'a2'].map(segOf)).size).toBe(1);
    expect(segOf('a3')).not.toBe(segOf('a2'));
    expect(segOf('a6')).not.toBe(segOf('b0'));
    // A write only ever holds whole segments.
    for (const c of w.calls) {
      const ids = c.observations.map((o) => o.id);
      expect(c.segments).toHaveLength(ids.length);
      const bySeg = new Map<number, string[]>();
      for (const [i, id] of ids.entries()) {
        const seg = c.segments?.[i] ?? -1;
        bySeg.set(seg, [...(bySeg.get(seg) ?? []), id]);
      }
      for (const group of bySeg.values()) expect([1, 3]).toContain(group.length);
    }
  });

  it('quarantines bad records with reason and location while the rest of the input is kept', async () => {
    const w = recordingWriter();
    const text = [ct('ok1'), '{"eventVersion": broken', ct('ok2'), 'not a known format at all'].join('\n');
    const r = await ingestStream(w, bytes('mixed.jsonl', text));
    expect(r.observations).toBe(2);
    const rejects = w.calls.flatMap((c) => c.rejects);
    expect(rejects.map((x) => [x.reason, x.location.file, x.location.line])).toEqual([
      ['invalid-json', 'mixed.jsonl', 2],
      ['unknown-source', 'mixed.jsonl', 4],
    ]);
    expect(cliSummary(r)).toEqual({
      records: 4,
      observations: 2,
      stored: 0,
      quarantined: 2,
      byReason: { 'invalid-json': 1, 'unknown-source': 1 },
      bySource: { cloudtrail: 2 },
    });
  });

  it('keeps the records before the cut of a truncated gzip and quarantines the truncation', async () => {
    const w = recordingWriter();
    const text = Array.from({ length: 200 }, (_, i) => ct(`t${i}`)).join('\n');
    const gz = gzipSync(text);
    const r = await ingestStream(w, bytes('cut.json.gz', gz.subarray(0, Math.floor(gz.length * 0.6)), 97));
    expect(r.observations).toBeGreaterThan(10);
    expect(r.observations).toBeLessThan(200);
    expect(r.byReason['truncated-gzip']).toBe(1);
    const trunc = w.calls.flatMap((c) => c.rejects).find((x) => x.reason === 'truncated-gzip');
    expect(trunc?.location).toEqual({ file: 'cut.json.gz' });
  });

  it('rejects a 10 MB line as record-too-large and parses the lines around it', async () => {
    const w = recordingWriter();
    const text = `${ct('before')}\n{"eventVersion":"${'x'.repeat(10 * 1024 * 1024)}"}\n${ct('after')}\n`;
    const r = await ingestStream(w, bytes('huge.jsonl', text, 1 << 20));
    expect(r.observations).toBe(2);
    expect(r.byReason).toEqual({ 'record-too-large': 1 });
  });

  it('honours a fixed --source (records of another format are rejected, not detected)', async () => {
    const w = recordingWriter();
    const r = await ingestStream(w, bytes('x.jsonl', ct('c1')), { source: 'vpc-flow' });
    expect(r.observations).toBe(0);
    expect(r.rejects).toBe(1);
  });

  it('property: arbitrary bytes never throw and every record becomes an observation, skip or reject', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.constant(ct('p')), fc.string(), fc.constant('{"Records":[')), { maxLength: 20 }),
        fc.uint8Array({ maxLength: 300 }),
        async (lines, junk) => {
          const w = recordingWriter();
          const data = Buffer.concat([Buffer.from(lines.join('\n')), junk]);
          const r = await ingestStream(w, bytes('fuzz', data, 17));
          const skipped = Object.values(r.skipped).reduce((n, v) => n + v, 0);
          expect(r.rejects).toBe(w.calls.reduce((n, c) => n + c.rejects.length, 0));
          expect(r.observations).toBe(w.calls.reduce((n, c) => n + c.observations.length, 0));
          // Nothing is silently dropped: each record gave an observation, a skip or a reject.
          expect(r.observations + skipped + r.rejects).toBeGreaterThanOrEqual(r.records);
        },
      ),
      { numRuns: 150 },
    );
  });
});
