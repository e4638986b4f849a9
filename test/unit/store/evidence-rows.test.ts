/**
 * The embedded store's evidence rows (format 2): shared fields once per chunk, derived ids and repeated keys left out,
 * read back as JSON would give them back, whatever the rows written whole in between.
 */
import { brotliDecompressSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { packEvidenceBrotli, unpackEvidenceBrotli } from '../../../lib/adapters/store-evidence.ts';
import type { Observation } from '../../../lib/core/observation.ts';

const KEYS = ['eventId', 'requestId', 'principalArn', 'a', 'b', '__proto__', 'constructor', '1', 'toString'];
const value = fc.oneof(
  fc.constantFrom('x', 'y', '', 'é ✓', 0, 1, -0, Number.NaN, true, false, null, undefined),
  fc.constantFrom([1, 2], ['a'], []),
  fc.string({ unit: 'binary', maxLength: 4 }),
);
const fields = fc.dictionary(fc.constantFrom(...KEYS), value, { maxKeys: 6 });

const observation = fc
  .record({
    id: fc.constantFrom('cloudtrail:e-1', 'cloudtrail:x', 'vpc-flow:e-1', 'e-1', ''),
    time: fc.constantFrom('2026-10-05T08:00:00.000Z', '2026-10-05T09:30:00.000Z'),
    subject: fc.constantFrom('k8s:prod/a/one', 'k8s:prod/a/one', 'k8s:prod/a/two'),
    source: fc.constantFrom('cloudtrail', 'cloudtrail', 'cloudtrail', 'vpc-flow'),
    key: fc.constantFrom('api:s3:GetObject:*', 'api:s3:GetObject:*', 'api:sts:GetCallerIdentity:*'),
    count: fc.constantFrom(1, 1, 3),
    correlation: fields,
    attrs: fields,
    // The same correlation or attrs object as the row before (a parser may share one).
    shareCorrelation: fc.boolean(),
    eventIdFromId: fc.boolean(),
  })
  .map(
    (r): Observation & { shareCorrelation: boolean } =>
      ({
        v: 1,
        id: r.id,
        time: r.time,
        source: r.source,
        subject: r.subject,
        layer: r.source === 'vpc-flow' ? 'network' : 'cloud-api',
        kind: r.source === 'vpc-flow' ? 'net' : 'api',
        key: r.key,
        count: r.count,
        correlation: r.eventIdFromId ? { ...r.correlation, eventId: r.id.split(':')[1] ?? r.id } : r.correlation,
        attrs: r.attrs,
        shareCorrelation: r.shareCorrelation,
      }) as Observation & { shareCorrelation: boolean },
  );

describe('embedded evidence rows', () => {
  it('property: a chunk reads back JSON.parse(JSON.stringify(observations)), in order', () => {
    fc.assert(
      fc.property(fc.array(observation, { minLength: 1, maxLength: 30 }), (rows) => {
        const input: Observation[] = [];
        for (const { shareCorrelation, ...o } of rows) {
          const prev = input[input.length - 1];
          input.push(shareCorrelation && prev ? { ...o, correlation: prev.correlation } : o);
        }
        const chunks = packEvidenceBrotli(input);
        expect(chunks.flatMap((c) => unpackEvidenceBrotli(c.data))).toEqual(JSON.parse(JSON.stringify(input)));
      }),
      { numRuns: 400 },
    );
  });

  it('writes the shared fields once, derived ids and repeated keys not at all', () => {
    const input: Observation[] = Array.from({ length: 200 }, (_, i) => ({
      v: 1,
      id: `cloudtrail:0000000${i}-0eeb-433c-af7c-211c7c7e5bed`,
      time: new Date(Date.UTC(2026, 9, 5, 8, 0, i)).toISOString(),
      source: 'cloudtrail',
      subject: 'unattributed:arn:aws:sts::111122223333:assumed-role/support-agent-irsa/botocore-session-20731',
      layer: 'cloud-api',
      kind: 'api',
      key: i % 3 === 0 ? 'api:s3:GetObject:arn:aws:s3:::tickets/*' : 'api:bedrock:InvokeModel:*',
      count: 1,
      correlation: {
        eventId: `0000000${i}-0eeb-433c-af7c-211c7c7e5bed`,
        requestId: `REQ${i}`,
        principalArn: 'arn:aws:sts::111122223333:assumed-role/support-agent-irsa/botocore-session-20731',
        accessKeyId: 'ASIA2E41DA9168EC6BB6',
      },
      attrs: {
        eventName: i % 3 === 0 ? 'GetObject' : 'InvokeModel',
        eventSource: i % 3 === 0 ? 's3.amazonaws.com' : 'bedrock.amazonaws.com',
        readOnly: true,
        userAgent: 'Boto3/1.35.36 md/Botocore#1.35.36 ua/2.0 os/linux#6.1 md/arch#x86_64 lang/python#3.12.7',
        awsRegion: 'us-east-1',
      },
    }));
    const [chunk] = packEvidenceBrotli(input);
    const text = brotliDecompressSync(chunk?.data as Uint8Array).toString('utf8');
    expect(unpackEvidenceBrotli(chunk?.data as Uint8Array)).toEqual(input);
    expect(text.length).toBeLessThan(JSON.stringify(input).length * 0.75);
    expect(text.split('assumed-role/support-agent-irsa').length - 1).toBe(1 + input.length); // header, principalArn
    expect(text).not.toContain('"cloudtrail:');
    // A key when it changes: i % 3 === 0 starts a run of GetObject, then one of InvokeModel.
    expect(text.split('api:s3:GetObject').length - 1).toBe(Math.ceil(input.length / 3));
  });
});
