import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cloudTrailRecordSchema, matchesRecordSchema } from '../../../lib/core/sources/cloudtrail-schema.ts';
import { cloudTrailParser, iamAction, parseText, servicePrefix } from '../../../lib/core/sources/index.ts';
import { ctx, fixtures, tableIdentity } from './helpers.ts';

const base = {
  eventVersion: '1.09',
  eventTime: '2026-03-02T14:05:10Z',
  eventSource: 's3.amazonaws.com',
  eventName: 'GetObject',
  awsRegion: 'us-east-1',
  recipientAccountId: '111122223333',
  eventID: 'e-1',
  requestID: 'r-1',
  userIdentity: {
    type: 'AssumedRole',
    arn: 'arn:aws:sts::111122223333:assumed-role/app-role/sess-1',
    accessKeyId: 'ASIAEXAMPLE',
    sessionContext: {
      sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/app-role', userName: 'app-role' },
    },
  },
};
const parse = (rec: unknown, c = ctx()) => cloudTrailParser.parse({ text: JSON.stringify(rec), line: 1 }, c);
const one = (rec: unknown, c = ctx()) => {
  const r = parse(rec, c);
  expect(r.rejects).toEqual([]);
  expect(r.observations).toHaveLength(1);
  return r.observations[0]!;
};

describe('cloudtrail keys', () => {
  const cases: { name: string; rec: Record<string, unknown>; key: string; attrs?: Record<string, unknown> }[] = [
    {
      name: 'S3 object-level data event generalizes the object key',
      rec: { eventName: 'GetObject', requestParameters: { bucketName: 'b1', key: 'a/b.csv' } },
      key: 'api:s3:GetObject:arn:aws:s3:::b1/*',
    },
    {
      name: 'S3 bucket-level event',
      rec: { eventName: 'ListObjects', requestParameters: { bucketName: 'b1' } },
      key: 'api:s3:ListObjects:arn:aws:s3:::b1',
    },
    {
      name: 'Lambda Invoke data event uses the IAM action and the function ARN',
      rec: {
        eventSource: 'lambda.amazonaws.com',
        eventName: 'Invoke',
        resources: [{ type: 'AWS::Lambda::Function', ARN: 'arn:aws:lambda:us-east-1:111122223333:function:tickets' }],
      },
      key: 'api:lambda:InvokeFunction:arn:aws:lambda:us-east-1:111122223333:function:tickets',
      attrs: { eventName: 'Invoke' },
    },
    {
      name: 'Lambda management event drops the API version suffix and is a deploy event',
      rec: { eventSource: 'lambda.amazonaws.com', eventName: 'UpdateFunctionCode20150331v2', readOnly: false },
      key: 'api:lambda:UpdateFunctionCode:*',
      attrs: { deployEvent: true },
    },
    {
      name: 'Bedrock InvokeModel with a foundation model id',
      rec: {
        eventSource: 'bedrock.amazonaws.com',
        eventName: 'InvokeModel',
        requestParameters: { modelId: 'anthropic.claude-3-5-sonnet-20241022-v2:0' },
      },
      key: 'api:bedrock:InvokeModel:arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet-20241022-v2:0',
      attrs: { modelId: 'anthropic.claude-3-5-sonnet-20241022-v2:0' },
    },
    {
      name: 'Bedrock runtime InvokeModelWithResponseStream with an inference profile id',
      rec: {
        eventSource: 'bedrock-runtime.amazonaws.com',
        eventName: 'InvokeModelWithResponseStream',
        requestParameters: { modelId: 'us.anthropic.claude-3-5-haiku-20241022-v1:0' },
      },
      key: 'api:bedrock:InvokeModelWithResponseStream:arn:aws:bedrock:us-east-1:111122223333:inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0',
    },
    {
      name: 'Bedrock Converse maps to the InvokeModel action',
      rec: {
        eventSource: 'bedrock.amazonaws.com',
        eventName: 'Converse',
        requestParameters: { modelId: 'arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0' },
      },
      key: 'api:bedrock:InvokeModel:arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0',
      attrs: { eventName: 'Converse' },
    },
    {
      name: 'Bedrock InvokeAgent names the agent alias',
      rec: {
        eventSource: 'bedrock.amazonaws.com',
        eventName: 'InvokeAgent',
        requestParameters: { agentId: 'AGENT12345', agentAliasId: 'ALIAS67890', sessionId: 's-1' },
      },
      key: 'api:bedrock:InvokeAgent:arn:aws:bedrock:us-east-1:111122223333:agent-alias/AGENT12345/ALIAS67890',
    },
    {
      name: 'Bedrock Retrieve names the knowledge base',
      rec: {
        eventSource: 'bedrock.amazonaws.com',
        eventName: 'Retrieve',
        requestParameters: { knowledgeBaseId: 'KB1' },
      },
      key: 'api:bedrock:Retrieve:arn:aws:bedrock:us-east-1:111122223333:knowledge-base/KB1',
    },
    {
      name: 'Bedrock agent deploy events',
      rec: { eventSource: 'bedrock.amazonaws.com', eventName: 'UpdateAgentActionGroup', readOnly: false },
      key: 'api:bedrock:UpdateAgentActionGroup:*',
      attrs: { deployEvent: true },
    },
    {
      name: 'EKS mutating events are deploy events',
      rec: { eventSource: 'eks.amazonaws.com', eventName: 'UpdateNodegroupVersion', readOnly: false },
      key: 'api:eks:UpdateNodegroupVersion:*',
      attrs: { deployEvent: true },
    },
    {
      name: 'ECR PutImage through api.ecr is a deploy event',
      rec: { eventSource: 'ecr.amazonaws.com', eventName: 'PutImage' },
      key: 'api:ecr:PutImage:*',
      attrs: { deployEvent: true },
    },
    {
      name: 'read-only EKS events are not',
      rec: { eventSource: 'eks.amazonaws.com', eventName: 'DescribeCluster', readOnly: true },
      key: 'api:eks:DescribeCluster:*',
      attrs: { readOnly: true },
    },
    {
      name: 'AccessDenied kept as attributes',
      rec: {
        eventSource: 'iam.amazonaws.com',
        eventName: 'CreateUser',
        errorCode: 'AccessDenied',
        errorMessage: 'User: x is not authorized',
      },
      key: 'api:iam:CreateUser:*',
      attrs: { errorCode: 'AccessDenied', errorMessage: 'User: x is not authorized' },
    },
    {
      name: 'monitoring.amazonaws.com is cloudwatch',
      rec: { eventSource: 'monitoring.amazonaws.com', eventName: 'PutMetricData' },
      key: 'api:cloudwatch:PutMetricData:*',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const o = one({ ...base, ...c.rec });
      expect(o.key).toBe(c.key);
      expect(o.layer).toBe('cloud-api');
      expect(o.kind).toBe('api');
      if (c.attrs) expect(o.attrs).toMatchObject(c.attrs);
      if (!c.attrs || !('deployEvent' in c.attrs)) expect(o.attrs.deployEvent).toBeUndefined();
    });
  }

  it('maps service prefixes and actions', () => {
    expect(servicePrefix('bedrock-agent-runtime.amazonaws.com')).toBe('bedrock');
    expect(servicePrefix('email.amazonaws.com')).toBe('ses');
    expect(servicePrefix('sts.amazonaws.com')).toBe('sts');
    expect(iamAction('lambda', 'GetFunction20150331v2')).toBe('GetFunction');
    expect(iamAction('s3', 'PutObject')).toBe('PutObject');
  });
});

describe('cloudtrail times', () => {
  const cases: [unknown, string][] = [
    ['2026-03-02T14:05:10Z', '2026-03-02T14:05:10.000Z'],
    ['2026-03-02T14:05:10.5Z', '2026-03-02T14:05:10.500Z'],
    ['2026-03-02T14:05:10.123456789Z', '2026-03-02T14:05:10.123Z'],
    ['2026-03-02T16:05:10+02:00', '2026-03-02T14:05:10.000Z'],
    ['2026-03-02T09:05:10-0500', '2026-03-02T14:05:10.000Z'],
    ['2025-03-26 16:43:57.000000000', '2025-03-26T16:43:57.000Z'],
    [1772460310, '2026-03-02T14:05:10.000Z'],
  ];
  for (const [t, iso] of cases)
    it(`eventTime ${JSON.stringify(t)}`, () => expect(one({ ...base, eventTime: t }).time).toBe(iso));

  it('rejects an unparseable time', () => {
    expect(parse({ ...base, eventTime: 'yesterday' }).rejects[0]!.reason).toBe('invalid-time:eventTime');
  });
});

describe('cloudtrail envelope, identity and correlation (golden)', () => {
  const text = readFileSync(path.join(fixtures, 'cloudtrail-eventbridge-putobject.json'), 'utf8');

  it('parses the EventBridge envelope into the golden observation', () => {
    const r = parseText(text, ctx({ file: 'eb.json' }));
    expect(r.rejects).toEqual([]);
    expect(r.observations).toEqual([
      {
        v: 1,
        id: 'cloudtrail:0a4f1d6e-7b8c-4d9e-8f01-23456789abcd',
        time: '2026-03-02T14:05:10.123Z',
        source: 'cloudtrail',
        subject:
          'unattributed:arn:aws:sts::111122223333:assumed-role/support-agent-pod-role/eks-prod-support-a-7c9f6d8b5-x2x4q-3e1f',
        layer: 'cloud-api',
        kind: 'api',
        key: 'api:s3:PutObject:arn:aws:s3:::acme-weekly-export/*',
        count: 1,
        correlation: {
          eventId: '0a4f1d6e-7b8c-4d9e-8f01-23456789abcd',
          requestId: '7HX1Q8EXAMPLE',
          principalArn:
            'arn:aws:sts::111122223333:assumed-role/support-agent-pod-role/eks-prod-support-a-7c9f6d8b5-x2x4q-3e1f',
          accessKeyId: 'ASIAEXAMPLEKEY000001',
          roleSession: 'arn:aws:iam::111122223333:role/support-agent-pod-role/eks-prod-support-a-7c9f6d8b5-x2x4q-3e1f',
        },
        attrs: {
          eventName: 'PutObject',
          eventSource: 's3.amazonaws.com',
          readOnly: false,
          eventType: 'AwsApiCall',
          eventCategory: 'Data',
          managementEvent: false,
          sourceIPAddress: '10.0.12.34',
          userAgent: '[aws-sdk-js/3.700.0 ua/2.1 os/linux lang/js md/nodejs#20.18.0 api/s3#3.700.0]',
          recipientAccountId: '111122223333',
          awsRegion: 'us-east-1',
          identityType: 'AssumedRole',
          resource: 'arn:aws:s3:::acme-weekly-export/exports/2026-03-02/customers-0001.csv',
          bytesTransferredIn: 482113,
          bytesTransferredOut: 0,
        },
      },
    ]);
  });

  it('gives the same id for the envelope and the raw record (idempotent across delivery paths)', () => {
    const detail = JSON.parse(text).detail;
    const a = parseText(text, ctx()).observations[0]!;
    const b = parseText(JSON.stringify({ Records: [detail] }), ctx()).observations[0]!;
    expect(b).toEqual(a);
  });

  it('resolves the subject through the identity resolver by role', () => {
    const identity = tableIdentity({
      principals: { 'arn:aws:iam::111122223333:role/support-agent-pod-role': 'k8s:prod/support/support-agent' },
    });
    expect(parseText(text, ctx({ identity })).observations[0]!.subject).toBe('k8s:prod/support/support-agent');
  });

  it('passes Pod Identity session tags to the resolver', () => {
    const identity = tableIdentity({ principals: { 'tags:support/support-agent': 'k8s:prod/support/support-agent' } });
    const o = one(
      {
        ...base,
        eventSource: 'eks-auth.amazonaws.com',
        eventName: 'AssumeRoleForPodIdentity',
        requestParameters: { clusterName: 'prod', token: 'HIDDEN' },
        responseElements: { subject: { namespace: 'support', serviceAccount: 'support-agent' } },
      },
      ctx({ identity }),
    );
    expect(o.subject).toBe('k8s:prod/support/support-agent');
    expect(o.key).toBe('api:eks-auth:AssumeRoleForPodIdentity:*');
  });

  it('attributes InvokeAgent to the Bedrock agent when the principal is unknown', () => {
    const o = one({
      ...base,
      eventSource: 'bedrock.amazonaws.com',
      eventName: 'InvokeAgent',
      requestParameters: { agentId: 'AGENT12345', agentAliasId: 'ALIAS67890' },
    });
    expect(o.subject).toBe('bedrock:us-east-1/AGENT12345');
  });

  it('falls back to the invoking service for AWS service events', () => {
    const o = one({ ...base, userIdentity: { type: 'AWSService', invokedBy: 'eks.amazonaws.com' } });
    expect(o.subject).toBe('unattributed:eks.amazonaws.com');
  });
});

describe('cloudtrail rejects', () => {
  const cases: [string, unknown, string][] = [
    ['not JSON', '{"eventName":', 'invalid-json'],
    ['an array', [1], 'not-an-object'],
    ['missing eventName', { ...base, eventName: undefined }, 'missing-field:eventName'],
    ['eventSource a number', { ...base, eventSource: 3 }, 'wrong-type:eventSource'],
    ['userIdentity a string', { ...base, userIdentity: 'root' }, 'wrong-type:userIdentity'],
    ['resources an object', { ...base, resources: { ARN: 'x' } }, 'wrong-type:resources'],
    [
      'envelope detail a string',
      { 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.s3', detail: 'x' },
      'wrong-type:detail',
    ],
  ];
  for (const [name, rec, reason] of cases) {
    it(name, () => {
      const text = typeof rec === 'string' ? rec : JSON.stringify(rec);
      const r = cloudTrailParser.parse({ text, line: 3 }, ctx({ file: 'f.json' }));
      expect(r.observations).toEqual([]);
      expect(r.rejects).toHaveLength(1);
      expect(r.rejects[0]).toMatchObject({ source: 'cloudtrail', reason, location: { file: 'f.json', line: 3 } });
    });
  }
});

describe('cloudtrail fast shape check', () => {
  const sample = JSON.parse(readFileSync(path.join(fixtures, 'cloudtrail-eventbridge-putobject.json'), 'utf8')).detail;
  const fieldPaths = (v: unknown, prefix: (string | number)[] = []): (string | number)[][] =>
    Array.isArray(v)
      ? v.flatMap((x, i) => [[...prefix, i], ...fieldPaths(x, [...prefix, i])])
      : typeof v === 'object' && v !== null
        ? Object.entries(v).flatMap(([k, x]) => [[...prefix, k], ...fieldPaths(x, [...prefix, k])])
        : [];
  const all = [
    ...fieldPaths(sample),
    ['readOnly'],
    ['userIdentity', 'sessionContext', 'sessionTags'],
    ['resources', 5],
  ];

  it('agrees with the zod schema on any single-field change', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...all),
        fc.oneof(fc.jsonValue(), fc.constant(undefined), fc.constantFrom('True', 'false', '')),
        (p, value) => {
          const copy = structuredClone(sample) as Record<string | number, unknown>;
          let cur = copy;
          for (const k of p.slice(0, -1)) {
            if (typeof cur[k] !== 'object' || cur[k] === null) return;
            cur = cur[k] as Record<string | number, unknown>;
          }
          cur[p[p.length - 1]!] = value;
          expect(matchesRecordSchema(copy)).toBe(cloudTrailRecordSchema.safeParse(copy).success);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
