/**
 * Coverage readers and rules against moto_server's CloudTrail, Bedrock, EC2 and EKS APIs, and the backfill path
 * into a DynamoDB table on moto. moto does not implement CloudTrail LookupEvents: only that call is mocked
 * (aws-sdk-client-mock), everything else is the emulator.
 */

import {
  CloudTrailClient,
  CreateTrailCommand,
  LookupEventsCommand,
  StartLoggingCommand,
} from '@aws-sdk/client-cloudtrail';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestLookupEvents } from '../../lambdas/shared/ingest.ts';
import { backfillWindow, runBackfill } from '../../lib/adapters/cloudtrail-backfill.ts';
import { coverageClients, readCoverageInput } from '../../lib/adapters/coverage-readers.ts';
import { DynamoStore } from '../../lib/adapters/dynamo-store.ts';
import { checkCoverage } from '../../lib/core/coverage/index.ts';
import { type MotoServer, startMoto } from '../support/moto.ts';

const REGION = 'us-east-1';
let moto: MotoServer;

beforeAll(async () => {
  moto = await startMoto({ region: REGION });
});

afterAll(async () => {
  await moto?.stop();
});

describe('coverage against moto_server', () => {
  it('reports the missing Bedrock data events and Bedrock invocation logging of a management-only trail', async () => {
    const s3 = new S3Client(moto.clientConfig);
    await s3.send(new CreateBucketCommand({ Bucket: 'org-trail' }));
    const ct = new CloudTrailClient(moto.clientConfig);
    await ct.send(new CreateTrailCommand({ Name: 'org', S3BucketName: 'org-trail', IsMultiRegionTrail: true }));
    await ct.send(new StartLoggingCommand({ Name: 'org' }));

    const input = await readCoverageInput({
      region: REGION,
      clients: coverageClients(moto.clientConfig),
      clusterNames: [],
    });
    expect(input.readErrors).toEqual([]);
    const report = checkCoverage(input);
    const status = Object.fromEntries(report.checks.map((c) => [c.check, c.status]));
    expect(status).toMatchObject({
      'management-events': 'ok',
      's3-data-events': 'missing',
      'bedrock-data-events': 'missing',
      'bedrock-invocation-logging': 'missing',
    });
    const bedrock = report.gaps.find((g) => g.check === 'bedrock-data-events');
    expect(bedrock?.hides).toMatch(/InvokeAgent/);
    expect(report.gaps.find((g) => g.check === 'bedrock-invocation-logging')?.hides).toMatch(/prompts/);
  });

  it('says unknown, not missing, for a cluster it cannot read', async () => {
    const input = await readCoverageInput({
      region: REGION,
      clients: coverageClients(moto.clientConfig),
      clusterNames: ['no-such-cluster'],
    });
    const report = checkCoverage(input);
    expect(report.checks.find((c) => c.check === 'vpc-flow-logs')).toMatchObject({
      target: 'cluster:no-such-cluster',
      status: 'unknown',
    });
  });
});

describe('backfill (LookupEvents mocked: moto does not implement it) into a table on moto_server', () => {
  function event(i: number) {
    return {
      eventVersion: '1.09',
      userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::123456789012:assumed-role/agent/s1' },
      eventTime: `2026-10-0${i}T08:00:00Z`,
      eventSource: 'bedrock.amazonaws.com',
      eventName: 'UpdateAgent',
      awsRegion: REGION,
      requestParameters: { agentId: 'AGENT1' },
      eventID: `backfill-${i}`,
      eventType: 'AwsApiCall',
      recipientAccountId: '123456789012',
    };
  }

  it('ingests every page of management events, and a second run stores nothing new', async () => {
    const client = new CloudTrailClient({ region: REGION });
    const mock = mockClient(client);
    mock
      .on(LookupEventsCommand, { NextToken: undefined })
      .resolves({ Events: [1, 2].map((i) => ({ CloudTrailEvent: JSON.stringify(event(i)) })), NextToken: 'p2' })
      .on(LookupEventsCommand, { NextToken: 'p2' })
      .resolves({ Events: [{ CloudTrailEvent: JSON.stringify(event(3)) }] });
    const store = new DynamoStore({ tableName: 'warden-backfill', clientConfig: moto.clientConfig, createTable: true });
    const window = backfillWindow(new Date('2026-11-28T00:00:00Z'), 365);
    expect(window.start.toISOString()).toBe('2026-08-30T00:00:00.000Z');
    const run = async () => {
      let stored = 0;
      const report = await runBackfill({
        client,
        window,
        ingest: async (name, text) => {
          const r = await ingestLookupEvents(store, name, text, { promptContent: 'hash-only' });
          stored += r.stored;
          return r;
        },
      });
      return { ...report, stored };
    };
    const first = await run();
    expect(first).toMatchObject({ pages: 2, events: 3, done: true });
    expect(first.stored).toBeGreaterThan(0);
    const subjects = await store.subjects();
    expect(subjects.length).toBeGreaterThan(0);
    const second = await run();
    expect(second).toMatchObject({ pages: 2, events: 3, stored: 0 });
    await store.close();
    mock.restore();
  });
});

describe('warden coverage (CLI) against moto_server', () => {
  it('prints the report as JSON with the gaps', async () => {
    const { execFile } = await import('node:child_process');
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        ['bin/warden.js', 'coverage', '--json', '--region', REGION, '--endpoint', moto.endpoint],
        { env: { ...process.env, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' } },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      ),
    );
    const report = JSON.parse(out) as { gaps: { check: string; status: string }[] };
    expect(report.gaps).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ check: 'bedrock-data-events', status: 'missing' }),
        expect.objectContaining({ check: 'bedrock-invocation-logging', status: 'missing' }),
      ]),
    );
  });
});
