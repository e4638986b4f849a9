/**
 * The SQS-fed ingest handlers on moto_server (DynamoDB and S3): the messages of one batch share one pipeline run per
 * delivery scope, so a subject's events of one hour are one aggregate-pack write, not one per message; each message
 * stays its own idempotency unit and unit of retry (a replayed batch adds nothing, a failed run reports every message
 * of it for redelivery); an untrusted account's event is quarantined, a missing object and a poison message are
 * quarantined and acknowledged. The scheduled drain (warden:objectBatchMinutes above 5) runs the same pipeline on
 * what it receives from the queue.
 */
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoStore } from '../../../lib/adapters/dynamo-store.ts';
import { lambdaContext, sqsEvent } from '../../e2e/support/lambda-poller.ts';
import { storeAt } from '../../support/dynalite.ts';
import { setLocalLambdaEnv } from '../../support/lambda-env.ts';
import { type MotoServer, startMoto } from '../../support/moto.ts';

const ACCOUNT = '111122223333';
const OTHER = '999988887777';
const BUCKET = 'org-trail';
const ROLE = `arn:aws:sts::${ACCOUNT}:assumed-role/support-agent/s1`;
const SUBJECT = `unattributed:${ROLE}`;

type SqsHandler = (event: unknown, context: unknown) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;
let moto: MotoServer;
let table: DynamoStore;
let ingestEvents: SqsHandler;
let ingestObjects: SqsHandler;
/** PutItem requests of the handlers' store, by sort key; `fail` makes the next ones throw. */
const puts: string[] = [];
const fault = { fail: false };

const record = (id: string, account: string, minute: number, name = 'GetSecretValue', hour = 10) => ({
  eventVersion: '1.10',
  userIdentity: { type: 'AssumedRole', arn: ROLE.replace(ACCOUNT, account), accountId: account },
  eventTime: `2026-11-02T${hour}:${String(minute).padStart(2, '0')}:00Z`,
  eventSource: 'secretsmanager.amazonaws.com',
  eventName: name,
  awsRegion: 'us-east-1',
  requestParameters: { secretId: 'agents/support' },
  eventID: id,
  recipientAccountId: account,
});

const envelope = (r: ReturnType<typeof record>) =>
  JSON.stringify({
    version: '0',
    id: `env-${r.eventID}`,
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.secretsmanager',
    account: r.recipientAccountId,
    time: r.eventTime,
    region: 'us-east-1',
    resources: [],
    detail: r,
  });

const messages = (bodies: string[]) =>
  sqsEvent(
    bodies.map((Body, i) => ({ MessageId: `m-${i}`, ReceiptHandle: 'r', Body })),
    'arn:aws:sqs:us-east-1:111122223333:q',
  );

const packPuts = () => puts.filter((sk) => sk.includes('#!pack:')).length;

beforeAll(async () => {
  moto = await startMoto();
  table = await storeAt(moto.clientConfig, 'warden-batched');
  setLocalLambdaEnv({
    WARDEN_TABLE_NAME: 'warden-batched',
    WARDEN_TRUSTED_ACCOUNTS: ACCOUNT,
    AWS_ENDPOINT_URL: moto.endpoint,
  });
  const { store } = await import('../../../lambdas/shared/runtime.ts');
  store.client.middlewareStack.add(
    (next, ctx) => async (args) => {
      if (ctx.commandName === 'PutItemCommand') {
        if (fault.fail) throw new Error('injected: DynamoDB unavailable');
        // The document client's native item, or the wire form.
        const sk = (args.input as { Item?: { sk?: string | { S?: string } } }).Item?.sk;
        const text = typeof sk === 'string' ? sk : sk?.S;
        if (text) puts.push(text);
      }
      return next(args);
    },
    { step: 'initialize', name: 'recordPuts' },
  );
  ingestEvents = (await import('../../../lambdas/ingest-events/handler.ts')).handler as unknown as SqsHandler;
  ingestObjects = (await import('../../../lambdas/ingest-objects/handler.ts')).handler as unknown as SqsHandler;
}, 180_000);

afterAll(async () => {
  await table?.close();
  await moto?.stop();
});

describe('IngestEvents', () => {
  const batch = messages([
    envelope(record('e-1', ACCOUNT, 1)),
    envelope(record('e-2', ACCOUNT, 2)),
    envelope(record('e-3', ACCOUNT, 3)),
    envelope(record('x-1', OTHER, 4)),
  ]);

  it('stores a batch in one pack write per subject and hour, and refuses the untrusted account', async () => {
    puts.length = 0;
    expect((await ingestEvents(batch, lambdaContext('IngestEvents'))).batchItemFailures).toEqual([]);
    expect(packPuts()).toBe(1);
    const rows = await table.aggregates(SUBJECT);
    expect(rows.map((r) => [r.key, r.count])).toEqual([['api:secretsmanager:GetSecretValue:*', 3]]);
    const refused = (await table.quarantine(100)).filter((q) => q.reason === 'unauthorized-subject');
    expect(refused).toHaveLength(1);
    expect(refused[0]?.detail).toContain(OTHER);
  });

  it('a redelivered batch adds nothing; a failed run reports every message of it for redelivery', async () => {
    puts.length = 0;
    await ingestEvents(batch, lambdaContext('IngestEvents'));
    expect(packPuts()).toBe(0);
    const next = messages([envelope(record('e-4', ACCOUNT, 5)), envelope(record('e-5', ACCOUNT, 6))]);
    fault.fail = true;
    const failed = await ingestEvents(next, lambdaContext('IngestEvents'));
    fault.fail = false;
    expect(failed.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['m-0', 'm-1']);
    await ingestEvents(next, lambdaContext('IngestEvents'));
    expect((await table.aggregates(SUBJECT))[0]?.count).toBe(5);
    const [subject] = (await table.subjects()).filter((s) => s.subject === SUBJECT);
    expect(subject?.observations).toBe(5);
  });
});

describe('IngestObjects', () => {
  const key = (n: number) =>
    `AWSLogs/${ACCOUNT}/CloudTrail/us-east-1/2026/11/02/${ACCOUNT}_CloudTrail_us-east-1_20261102T110${n}Z_x${n}.json`;
  const notification = (k: string) =>
    JSON.stringify({
      Records: [
        { eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { bucket: { name: BUCKET }, object: { key: k } } },
      ],
    });

  it('ingests the files of one batch together; a missing object and a poison message are quarantined', async () => {
    const s3 = new S3Client({ ...moto.clientConfig, forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    for (const n of [0, 5]) {
      const records = [0, 1, 2].map((i) => record(`f${n}-${i}`, ACCOUNT, n * 10 + i, 'DescribeSecret', 11));
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key(n), Body: JSON.stringify({ Records: records }) }));
    }
    puts.length = 0;
    const out = await ingestObjects(
      messages([notification(key(0)), notification(key(5)), notification(key(9)), 'not json']),
      lambdaContext('IngestObjects'),
    );
    expect(out.batchItemFailures).toEqual([]);
    expect(packPuts()).toBe(1);
    const rows = await table.aggregates(SUBJECT, { from: '2026-11-02T11:00:00.000Z' });
    expect(rows.map((r) => [r.key, r.count])).toEqual([['api:secretsmanager:DescribeSecret:*', 6]]);
    const reasons = (await table.quarantine(100)).map((q) => q.reason);
    expect(reasons).toContain('object-missing');
    expect(reasons).toContain('invalid-json');
  });

  it('drains the queue on a schedule: the same batch pipeline, successes deleted, a failed read left', async () => {
    const s3 = new S3Client({ ...moto.clientConfig, forcePathStyle: true });
    const sqs = new SQSClient(moto.clientConfig);
    const url = (await sqs.send(new CreateQueueCommand({ QueueName: 'objects' }))).QueueUrl!;
    for (const n of [1, 2]) {
      const records = [0, 1].map((i) => record(`d${n}-${i}`, ACCOUNT, n * 10 + i, 'ListSecrets', 12));
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key(n), Body: JSON.stringify({ Records: records }) }));
      await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: notification(key(n)) }));
    }
    // An object in a bucket that does not exist: not NoSuchKey, so the read is retried (its message left).
    await sqs.send(
      new SendMessageCommand({ QueueUrl: url, MessageBody: notification(key(3)).replace(BUCKET, 'gone-bucket') }),
    );
    process.env.WARDEN_OBJECTS_QUEUE_URL = url;
    puts.length = 0;
    const out = await (ingestObjects as unknown as (e: unknown, c: unknown) => Promise<unknown>)(
      { drain: 'objects' },
      lambdaContext('IngestObjects'),
    );
    expect(out).toEqual({ runs: 1, received: 3, deleted: 2, failed: 1, stoppedBy: 'empty' });
    expect(packPuts()).toBe(1);
    const rows = await table.aggregates(SUBJECT, { from: '2026-11-02T12:00:00.000Z' });
    expect(rows.map((r) => [r.key, r.count])).toEqual([['api:secretsmanager:ListSecrets:*', 4]]);
    const attrs = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    expect(attrs.Attributes).toMatchObject({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '1',
    });
  });
});
