/**
 * Emulator end to end: the synthesized Warden stack deployed into moto_server, driven the way AWS delivers data.
 * moto stores and routes (CloudFormation, S3 notifications to SQS, EventBridge rules to SQS, DynamoDB); it cannot
 * run Lambdas without Docker, so the test is the Lambda poller: it takes the message AWS would deliver from the
 * deployed queue and runs the bundled handler code from the cloud assembly in-process, its SDK clients pointed at
 * moto through AWS_ENDPOINT_URL. What moto's CloudFormation lacks is listed in support/deploy.ts and docs/deploy.md.
 */
import { gzipSync } from 'node:zlib';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoStore } from '../../lib/adapters/dynamo-store.ts';
import type { AggregateRow } from '../../lib/ports.ts';
import { type MotoServer, startMoto } from '../support/moto.ts';
import {
  bundleOf,
  type Deployed,
  deploy,
  emulatorTemplate,
  MOTO_UNSUPPORTED_TYPES,
  REGION,
  type Synthesized,
  synthesize,
} from './support/deploy.ts';
import { type Handler, lambdaContext, loadHandler, pollOnce } from './support/lambda-poller.ts';

const ACCOUNT = '123456789012';
const ROLE_SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/support-agent/pod-7f9c`;
const SUBJECT = `unattributed:${ROLE_SESSION}`;

let moto: MotoServer;
let synth: Synthesized;
let stack: Deployed;
let store: DynamoStore;
let sqs: SQSClient;
let s3: S3Client;
const handlers: Record<string, Handler> = {};

/** A CloudTrail S3 data event record, as in a trail file (`i` in 0..59: the minute of its time). */
function putObjectRecord(i: number, extra: Record<string, unknown> = {}) {
  const two = String(i).padStart(2, '0');
  return {
    eventVersion: '1.10',
    userIdentity: {
      type: 'AssumedRole',
      arn: ROLE_SESSION,
      accountId: ACCOUNT,
      sessionContext: { sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${ACCOUNT}:role/support-agent` } },
    },
    eventTime: `2026-11-20T10:${two}:00Z`,
    eventSource: 's3.amazonaws.com',
    eventName: 'PutObject',
    awsRegion: REGION,
    sourceIPAddress: '10.0.3.17',
    userAgent: 'aws-sdk-js/3',
    requestParameters: { bucketName: 'export-bucket', key: `customers/part-${i}.csv` },
    requestID: `REQ${i}`,
    eventID: `${String(i).padStart(8, '0')}-aaaa-bbbb-cccc-dddddddddddd`,
    readOnly: false,
    eventType: 'AwsApiCall',
    recipientAccountId: ACCOUNT,
    eventCategory: 'Data',
    ...extra,
  };
}

function trailFile(records: unknown[]): Buffer {
  return gzipSync(JSON.stringify({ Records: records }));
}

async function queueUrl(logicalFragment: string): Promise<string> {
  const physical = stack.find('AWS::SQS::Queue', logicalFragment);
  const out = await sqs.send(new GetQueueUrlCommand({ QueueName: physical.split('/').pop()! }));
  return out.QueueUrl!;
}

async function aggregates(): Promise<AggregateRow[]> {
  return store.aggregates(SUBJECT);
}

beforeAll(async () => {
  synth = await synthesize();
  moto = await startMoto({ region: REGION });
  stack = await deploy(synth, moto);
  const table = stack.find('AWS::DynamoDB::Table', '/Store/Table');
  // The bundled handlers read their configuration and endpoint from the environment, as in Lambda.
  Object.assign(process.env, {
    WARDEN_TABLE_NAME: table,
    WARDEN_PROMPT_CONTENT: 'hash-and-excerpt',
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    POWERTOOLS_LOG_LEVEL: 'WARN',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_TRACE_ENABLED: 'false',
    WARDEN_INGEST_PRINCIPALS: JSON.stringify([
      { principal: `arn:aws:iam::${ACCOUNT}:role/node-agent`, sources: ['node-agent'], clusters: ['prod'] },
    ]),
  });
  // moto's CloudFormation may report no physical id for the custom bus; the drift task then publishes to the
  // default bus, which exists in every moto account (the bus-to-queue path is tested in test/integration/drift).
  try {
    process.env.WARDEN_BUS_NAME = stack.find('AWS::Events::EventBus', '/Events/Bus');
  } catch {
    process.env.WARDEN_BUS_NAME = 'default';
  }
  for (const name of ['IngestObjects', 'IngestEvents', 'IngestHttp', 'Baselines', 'Drift', 'Reconcile/Task'])
    handlers[name] = await loadHandler(bundleOf(synth, name));
  store = new DynamoStore({ tableName: table, clientConfig: moto.clientConfig });
  sqs = new SQSClient(moto.clientConfig);
  s3 = new S3Client(moto.clientConfig);
  // Synth (bundling five functions) and the deploy take most of this file's time on a shared 2-core machine.
}, 400_000);

afterAll(async () => {
  await store?.close();
  await moto?.stop();
});

describe('deployment into moto_server', () => {
  it('creates every resource of the template except those moto cannot take', () => {
    const { removed } = emulatorTemplate(synth.template);
    const expected = Object.keys(synth.template.Resources)
      .filter((id) => !removed.includes(id))
      .sort();
    // moto creates a function's EventInvokeConfig (retries, failure destination) but lists it without its logical
    // id: those are matched by count.
    const isInvokeConfig = (id: string) => synth.template.Resources[id]!.Type === 'AWS::Lambda::EventInvokeConfig';
    expect(stack.logicalIds.filter((id) => id !== '').sort()).toEqual(expected.filter((id) => !isInvokeConfig(id)));
    expect(stack.logicalIds.filter((id) => id === '')).toHaveLength(expected.filter(isInvokeConfig).length);
    const removedTypes = new Set(removed.map((id) => synth.template.Resources[id]!.Type));
    for (const t of MOTO_UNSUPPORTED_TYPES) expect(removedTypes).toContain(t);
    // Only what moto lacks, the reconcile schedule and its invoke permission are left out.
    expect([...removedTypes].sort()).toEqual(
      [...MOTO_UNSUPPORTED_TYPES, 'AWS::Events::Rule', 'AWS::Lambda::Permission'].sort(),
    );
  });
});

describe('CloudTrail management events: EventBridge rule -> SQS -> IngestEvents -> table', () => {
  it('stores the observation of an event put on the default bus', async () => {
    const eb = new EventBridgeClient(moto.clientConfig);
    const detail = {
      ...putObjectRecord(0),
      eventSource: 'iam.amazonaws.com',
      eventName: 'ListRoles',
      eventCategory: 'Management',
      readOnly: true,
      requestParameters: null,
    };
    await eb.send(
      new PutEventsCommand({
        Entries: [{ Source: 'aws.iam', DetailType: 'AWS API Call via CloudTrail', Detail: JSON.stringify(detail) }],
      }),
    );
    const poll = await pollOnce(sqs, await queueUrl('/CloudTrail/Queue'), handlers.IngestEvents!, 1);
    expect(poll).toEqual({ messages: 1, failures: [] });
    const rows = await aggregates();
    expect(rows.map((r) => r.key)).toContain('api:iam:ListRoles:*');
  });
});

describe('trail files: S3 notification -> SQS -> IngestObjects -> table', () => {
  it('acknowledges the s3:TestEvent S3 sends to the queue when each bucket notification is configured', async () => {
    const before = await store.quarantine();
    const poll = await pollOnce(sqs, await queueUrl('/Objects/Queue'), handlers.IngestObjects!, 3);
    expect(poll).toEqual({ messages: 3, failures: [] });
    expect(await store.quarantine()).toEqual(before);
  });

  const key = `AWSLogs/${ACCOUNT}/CloudTrail/${REGION}/2026/11/20/${ACCOUNT}_CloudTrail_${REGION}_20261120T1005Z_a.json.gz`;

  it('stores the observations of a trail file put into the deployed bucket', async () => {
    const bucket = stack.find('AWS::S3::Bucket', '/CloudtrailBucket/');
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: trailFile([1, 2, 3].map((i) => putObjectRecord(i))) }),
    );
    const poll = await pollOnce(sqs, await queueUrl('/Objects/Queue'), handlers.IngestObjects!, 1);
    expect(poll).toEqual({ messages: 1, failures: [] });
    const row = (await aggregates()).find((r) => r.key === 'api:s3:PutObject:arn:aws:s3:::export-bucket/*');
    expect(row?.count).toBe(3);
  });

  it('stores nothing new when the same trail file is delivered again', async () => {
    const before = await aggregates();
    const bucket = stack.find('AWS::S3::Bucket', '/CloudtrailBucket/');
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: trailFile([1, 2, 3].map((i) => putObjectRecord(i))) }),
    );
    const poll = await pollOnce(sqs, await queueUrl('/Objects/Queue'), handlers.IngestObjects!, 1);
    expect(poll).toEqual({ messages: 1, failures: [] });
    const after = await aggregates();
    expect(after.map((r) => [r.key, r.window, r.count])).toEqual(before.map((r) => [r.key, r.window, r.count]));
  });

  it('stores the good records of a file with one corrupt record and quarantines that one', async () => {
    const bucket = stack.find('AWS::S3::Bucket', '/CloudtrailBucket/');
    const badKey = key.replace('_a.json.gz', '_bad.json.gz');
    const records = [putObjectRecord(4), putObjectRecord(5, { eventTime: 'yesterday at noon' }), putObjectRecord(6)];
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: badKey, Body: trailFile(records) }));
    const poll = await pollOnce(sqs, await queueUrl('/Objects/Queue'), handlers.IngestObjects!, 1);
    expect(poll).toEqual({ messages: 1, failures: [] });
    const row = (await aggregates()).find((r) => r.key === 'api:s3:PutObject:arn:aws:s3:::export-bucket/*');
    expect(row?.count).toBe(5);
    const q = (await store.quarantine()).filter((x) => x.location.file === `s3://${bucket}/${badKey}`);
    expect(q).toHaveLength(1);
    expect(q[0]!.reason).toMatch(/eventTime/);
  });

  it('a poison file (a number past 2^53, a body nested 5,000 deep) never sends its good records to the DLQ', async () => {
    const bucket = stack.find('AWS::S3::Bucket', '/CloudtrailBucket/');
    const poisonKey = key.replace('_a.json.gz', '_poison.json.gz');
    // built as text: JSON.stringify itself cannot write 5,000 levels
    const deep = `${'{"a":'.repeat(5000)}{"bucketName":"export-bucket","key":"x"}${'}'.repeat(5000)}`;
    const records = [
      putObjectRecord(7),
      putObjectRecord(8, { requestParameters: 'DEEP' }),
      putObjectRecord(9, { additionalEventData: { bytesTransferredIn: 1e20 } }),
      putObjectRecord(10),
    ];
    const exportRow = async () =>
      (await aggregates()).find((r) => r.key === 'api:s3:PutObject:arn:aws:s3:::export-bucket/*')!.count;
    // the deep record's bucket is out of reach: stored, it counts under the unqualified key `api:s3:PutObject:*`
    const putObjects = async () =>
      (await aggregates()).filter((r) => r.key.startsWith('api:s3:PutObject:')).reduce((n, r) => n + r.count, 0);
    const [before, allBefore] = [await exportRow(), await putObjects()];
    const body = gzipSync(JSON.stringify({ Records: records }).replace('"DEEP"', deep));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: poisonKey, Body: body }));
    const poll = await pollOnce(sqs, await queueUrl('/Objects/Queue'), handlers.IngestObjects!, 1);
    // the message is done: no batch item failure, so nothing is retried into the DLQ
    expect(poll).toEqual({ messages: 1, failures: [] });
    const [after, allAfter] = [await exportRow(), await putObjects()];
    const q = (await store.quarantine()).filter((x) => x.location.file === `s3://${bucket}/${poisonKey}`);
    // both good records stored; each poison record stored (bounded) or quarantined with its reason, never lost
    expect(after - before).toBeGreaterThanOrEqual(2);
    expect(allAfter - allBefore + q.length).toBe(4);
    // only the poison records (the 2nd and 3rd) may be quarantined
    for (const x of q) expect([2, 3]).toContain(x.location.record);
  });

  it('quarantines an SQS message that is not an S3 notification instead of retrying it forever', async () => {
    const { SendMessageCommand } = await import('@aws-sdk/client-sqs');
    const url = await queueUrl('/Objects/Queue');
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: '{"hello":"world"}' }));
    const poll = await pollOnce(sqs, url, handlers.IngestObjects!, 1);
    expect(poll).toEqual({ messages: 1, failures: [] });
    const q = await store.quarantine();
    expect(q.some((x) => x.reason === 'not-an-s3-notification')).toBe(true);
  });
});

describe('HTTPS ingest: IngestHttp (function URL payload)', () => {
  function request(body: string) {
    return {
      version: '2.0',
      rawPath: '/',
      body,
      isBase64Encoded: false,
      headers: { 'content-type': 'application/json' },
      requestContext: {
        requestId: 'r-1',
        http: { method: 'POST' },
        authorizer: { iam: { userArn: `arn:aws:iam::${ACCOUNT}:role/node-agent` } },
      },
    };
  }

  const nodeBatch = (cluster: string) =>
    JSON.stringify({
      schema: 'warden.node-agent/v1',
      agent: { node: 'ip-10-0-3-17', cluster, version: '1.0.0' },
      window: { start: '2026-11-20T10:00:00Z', end: '2026-11-20T10:01:00Z' },
      records: [
        {
          type: 'exec',
          path: '/usr/bin/python3',
          attribution: { namespace: 'support', pod: 'support-agent-1', deployment: 'support-agent' },
        },
      ],
    });

  it('ingests a node-agent batch of its own cluster and answers with the report', async () => {
    const res = (await handlers.IngestHttp!(request(nodeBatch('prod')), lambdaContext('http'))) as {
      statusCode: number;
      body: string;
    };
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ observations: 1, quarantined: 0, admitted: 1 });
    const rows = await store.aggregates('k8s:prod/support/support-agent');
    expect(rows.map((r) => r.key)).toContain('exec:/usr/bin/python3');
  });

  it("quarantines another cluster's subjects and CloudTrail records posted by the node agent", async () => {
    const ct = JSON.stringify(putObjectRecord(7, { eventName: 'GetObject', eventID: 'http-1' }));
    for (const body of [nodeBatch('staging'), ct]) {
      const res = (await handlers.IngestHttp!(request(body), lambdaContext('http'))) as { body: string };
      expect(JSON.parse(res.body)).toMatchObject({ admitted: 0, refused: 1, stored: 0 });
    }
    expect((await aggregates()).map((r) => r.key)).not.toContain('api:s3:GetObject:arn:aws:s3:::export-bucket/*');
  });

  it('refuses a body over the payload limit with 413', async () => {
    const res = (await handlers.IngestHttp!(request('x'.repeat(1024 * 1024 + 1)), lambdaContext('http'))) as {
      statusCode: number;
    };
    expect(res.statusCode).toBe(413);
  });
});

describe('scheduled tasks on what was ingested: Baselines, Reconcile, Drift (bundled handlers, deployed table)', () => {
  it('the baseline task folds the stored aggregates into the subject baseline', async () => {
    const r = (await handlers.Baselines!({ subjects: [SUBJECT] }, lambdaContext('baseline'))) as {
      refreshed: number;
      failed: number;
    };
    expect(r).toMatchObject({ refreshed: 1, failed: 0 });
    const doc = await store.getDoc<{ entries: { key: string }[]; version: number }>('baseline', SUBJECT, 'current');
    expect(doc?.body.entries.map((e) => e.key)).toContain('api:s3:PutObject:arn:aws:s3:::export-bucket/*');
  });

  it('the reconcile task loads the IAM catalog shipped in its bundle and names the unused grant', async () => {
    const role = `arn:aws:iam::${ACCOUNT}:role/support-agent`;
    await store.putDoc('declared-scope', SUBJECT, 'latest', {
      subject: SUBJECT,
      readAt: '2026-11-21T00:00:00.000Z',
      account: ACCOUNT,
      role: {
        arn: role,
        name: 'support-agent',
        via: 'irsa',
        policies: [
          {
            id: `${role}#inline/export`,
            name: 'export',
            kind: 'inline',
            document: {
              Version: '2012-10-17',
              Statement: [
                {
                  Sid: 'Export',
                  Effect: 'Allow',
                  Action: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'],
                  Resource: 'arn:aws:s3:::export-bucket/*',
                },
              ],
            },
          },
        ],
      },
    });
    // Minutes of CloudTrail: the unused grant is under test here, the history minimum in test/unit/reconcile.
    const rows = (await handlers['Reconcile/Task']!(
      { subjects: [SUBJECT], windowDays: 30, minHistoryDays: 0 },
      lambdaContext('reconcile'),
    )) as {
      subject: string;
      unusedExcess?: number;
      error?: string;
    }[];
    expect(rows[0]?.error).toBeUndefined();
    expect(rows[0]?.unusedExcess).toBeGreaterThan(0);
    const doc = await store.getDoc<{ findings: { category: string; unused?: { item: string }[] }[] }>(
      'reconcile',
      SUBJECT,
      'latest',
    );
    const unused = doc!.body.findings.flatMap((f) => f.unused ?? []).map((u) => u.item);
    expect(unused).toContain('s3:DeleteObject');
  });

  it('the drift task classifies the period and publishes on the deployed Warden bus', async () => {
    type Run = { items: number; to: string; subjects: number; remaining: number };
    // Incremental: the subjects that got data since their watermark are judged, all within the invocation.
    const r = (await handlers.Drift!({ sinceHours: 24 * 30 }, lambdaContext('drift'))) as Run;
    expect(typeof r.items).toBe('number');
    expect(r.subjects).toBeGreaterThan(0);
    expect(r.remaining).toBe(0);
    expect(Number.isNaN(Date.parse(r.to))).toBe(false);
    // Nothing new since: the next invocation judges and publishes nothing.
    const again = (await handlers.Drift!({ sinceHours: 24 * 30 }, lambdaContext('drift'))) as Run;
    expect(again).toMatchObject({ subjects: 0, items: 0, remaining: 0 });
  });
});
