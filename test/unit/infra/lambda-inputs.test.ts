import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkRequest } from '../../../lambdas/ingest-http/request.ts';
import { parseS3Notification } from '../../../lambdas/shared/s3-event.ts';
import { backfillWindow } from '../../../lib/adapters/cloudtrail-backfill.ts';

describe('S3 notification bodies', () => {
  it('decodes URL-encoded keys and keeps only object-created records', () => {
    const body = JSON.stringify({
      Records: [
        {
          eventSource: 'aws:s3',
          eventName: 'ObjectCreated:Put',
          s3: { bucket: { name: 'b' }, object: { key: 'AWSLogs/a+b%3Dc.json.gz', size: 3 } },
        },
        {
          eventSource: 'aws:s3',
          eventName: 'ObjectRemoved:Delete',
          s3: { bucket: { name: 'b' }, object: { key: 'x' } },
        },
      ],
    });
    expect(parseS3Notification(body)).toEqual({
      ok: true,
      objects: [{ bucket: 'b', key: 'AWSLogs/a b=c.json.gz', size: 3 }],
    });
  });

  it('treats the s3:TestEvent as announcing nothing', () => {
    expect(parseS3Notification('{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"b"}')).toEqual({
      ok: true,
      objects: [],
    });
  });

  it.each([
    ['not json', 'invalid-json'],
    ['{"Records":[{"eventSource":"aws:sqs"}]}', 'not-an-s3-notification'],
    ['[]', 'not-an-s3-notification'],
  ])('rejects %s as %s', (body, reason) => {
    expect(parseS3Notification(body)).toMatchObject({ ok: false, reason });
  });

  it('never throws on any text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (s) => {
        const r = parseS3Notification(s);
        return r.ok === true || typeof r.reason === 'string';
      }),
    );
  });
});

describe('function URL requests', () => {
  const req = (over: Record<string, unknown> = {}) => ({
    body: '{"a":1}',
    isBase64Encoded: false,
    requestContext: {
      requestId: 'r',
      http: { method: 'POST' },
      authorizer: { iam: { userArn: 'arn:aws:iam::1:role/agent' } },
    },
    ...over,
  });

  it('accepts a POST within the limit and names the caller', () => {
    expect(checkRequest(req(), 100)).toMatchObject({ ok: true, requestId: 'r', caller: 'arn:aws:iam::1:role/agent' });
  });

  it.each([
    [
      req({
        requestContext: {
          requestId: 'r',
          http: { method: 'GET' },
          authorizer: { iam: { userArn: 'arn:aws:iam::1:role/a' } },
        },
      }),
      405,
    ],
    // No authenticated caller: refused before anything else is looked at.
    [req({ requestContext: { requestId: 'r', http: { method: 'POST' } } }), 401],
    [req({ requestContext: { requestId: 'r', http: { method: 'POST' }, authorizer: { iam: {} } } }), 401],
    [req({ body: '' }), 400],
    [req({ body: 'x'.repeat(101) }), 413],
    [req({ body: Buffer.alloc(101).toString('base64'), isBase64Encoded: true }), 413],
    [{ hello: 'world' }, 400],
  ])('answers %# with %i', (event, status) => {
    expect(checkRequest(event, 100)).toMatchObject({ ok: false, status });
  });

  it('decodes base64 bodies (gzip batches arrive that way)', () => {
    const r = checkRequest(req({ body: Buffer.from('hello').toString('base64'), isBase64Encoded: true }), 100);
    expect(r.ok && r.body.toString()).toBe('hello');
  });
});

describe('backfill window', () => {
  it.each([
    [7, '2026-11-21T00:00:00.000Z'],
    [365, '2026-08-30T00:00:00.000Z'],
    [0, '2026-11-27T00:00:00.000Z'],
  ])('%i days -> from %s', (days, start) => {
    expect(backfillWindow(new Date('2026-11-28T00:00:00Z'), days).start.toISOString()).toBe(start);
  });
});
