import { beforeAll, describe, expect, it } from 'vitest';
import { loadIamCatalog } from '../../../lib/adapters/iam-scope.ts';
import type { IamCatalog } from '../../../lib/core/iam/catalog.ts';
import { mapCloudTrailEvent, serviceOfEventSource } from '../../../lib/core/iam/cloudtrail-action.ts';

const table: [string, string, string[], string][] = [
  ['s3.amazonaws.com', 'GetObject', ['s3:GetObject'], 'same'],
  ['s3.amazonaws.com', 'PutObject', ['s3:PutObject'], 'same'],
  ['s3.amazonaws.com', 'ListObjectsV2', ['s3:ListBucket'], 'renamed'],
  ['s3.amazonaws.com', 'ListObjects', ['s3:ListBucket'], 'renamed'],
  ['s3.amazonaws.com', 'HeadObject', ['s3:GetObject'], 'renamed'],
  ['s3.amazonaws.com', 'HeadBucket', ['s3:ListBucket'], 'renamed'],
  ['s3.amazonaws.com', 'CreateMultipartUpload', ['s3:PutObject'], 'renamed'],
  ['s3.amazonaws.com', 'CopyObject', ['s3:PutObject', 's3:GetObject'], 'split'],
  ['s3.amazonaws.com', 'DeleteObjects', ['s3:DeleteObject'], 'renamed'],
  ['s3.amazonaws.com', 'ListBuckets', ['s3:ListAllMyBuckets'], 'renamed'],
  ['s3.amazonaws.com', 'GetBucketEncryption', ['s3:GetEncryptionConfiguration'], 'renamed'],
  ['s3.amazonaws.com', 'DeleteBucketCors', ['s3:PutBucketCORS'], 'renamed'],
  ['bedrock.amazonaws.com', 'InvokeModel', ['bedrock:InvokeModel'], 'same'],
  ['bedrock.amazonaws.com', 'InvokeModelWithResponseStream', ['bedrock:InvokeModelWithResponseStream'], 'same'],
  ['bedrock.amazonaws.com', 'Converse', ['bedrock:InvokeModel'], 'renamed'],
  ['bedrock.amazonaws.com', 'ConverseStream', ['bedrock:InvokeModelWithResponseStream'], 'renamed'],
  ['bedrock.amazonaws.com', 'InvokeAgent', ['bedrock:InvokeAgent'], 'same'],
  ['bedrock.amazonaws.com', 'Retrieve', ['bedrock:Retrieve'], 'same'],
  ['lambda.amazonaws.com', 'Invoke', ['lambda:InvokeFunction'], 'renamed'],
  ['lambda.amazonaws.com', 'InvokeWithResponseStream', ['lambda:InvokeFunction'], 'renamed'],
  ['lambda.amazonaws.com', 'GetFunction20150331v2', ['lambda:GetFunction'], 'version-suffix'],
  [
    'lambda.amazonaws.com',
    'UpdateFunctionConfiguration20150331v2',
    ['lambda:UpdateFunctionConfiguration'],
    'version-suffix',
  ],
  ['lambda.amazonaws.com', 'CreateFunction20150331', ['lambda:CreateFunction'], 'version-suffix'],
  ['kms.amazonaws.com', 'Decrypt', ['kms:Decrypt'], 'same'],
  ['kms.amazonaws.com', 'GenerateDataKey', ['kms:GenerateDataKey'], 'same'],
  ['kms.amazonaws.com', 'ReEncrypt', ['kms:ReEncryptFrom', 'kms:ReEncryptTo'], 'split'],
  ['sqs.amazonaws.com', 'DeleteMessageBatch', ['sqs:DeleteMessage'], 'renamed'],
  ['sqs.amazonaws.com', 'SendMessageBatch', ['sqs:SendMessage'], 'renamed'],
  ['sqs.amazonaws.com', 'ReceiveMessage', ['sqs:ReceiveMessage'], 'same'],
  ['sts.amazonaws.com', 'AssumeRole', ['sts:AssumeRole'], 'same'],
  ['sts.amazonaws.com', 'GetCallerIdentity', ['sts:GetCallerIdentity'], 'same'],
  ['monitoring.amazonaws.com', 'PutMetricData', ['cloudwatch:PutMetricData'], 'service-alias'],
  ['eks-auth.amazonaws.com', 'AssumeRoleForPodIdentity', ['eks-auth:AssumeRoleForPodIdentity'], 'same'],
];

describe('mapCloudTrailEvent', () => {
  let catalog: IamCatalog;
  beforeAll(async () => {
    catalog = await loadIamCatalog([
      's3',
      'bedrock',
      'lambda',
      'kms',
      'sts',
      'cloudwatch',
      'eks-auth',
      'dynamodb',
      'sqs',
    ]);
  });

  it.each(table)('%s %s -> %j (%s)', (source, name, actions, rule) => {
    const m = mapCloudTrailEvent(source, name);
    expect(m.actions).toEqual(actions);
    expect(m.rule).toBe(rule);
    // Every mapped action is a real IAM action in the Service Authorization Reference.
    for (const a of m.actions) expect(catalog.actionExists(a), a).toBe(true);
  });

  it('eventName Invoke is not itself an IAM action (why the mapping exists)', () => {
    expect(catalog.actionExists('lambda:Invoke')).toBe(false);
    expect(catalog.actionExists('s3:ListObjectsV2')).toBe(false);
    expect(catalog.actionExists('bedrock:Converse')).toBe(false);
  });

  it('marks calls IAM does not authorize with an identity policy', () => {
    expect(mapCloudTrailEvent('sts.amazonaws.com', 'GetCallerIdentity').requiresPermission).toBe(false);
    expect(mapCloudTrailEvent('sts.amazonaws.com', 'AssumeRoleWithWebIdentity').requiresPermission).toBe(false);
    expect(mapCloudTrailEvent('sts.amazonaws.com', 'AssumeRole').requiresPermission).toBe(true);
  });

  it('picks the PartiQL action from the statement verb', () => {
    expect(mapCloudTrailEvent('dynamodb.amazonaws.com', 'ExecuteStatement', 'SELECT * FROM t').actions).toEqual([
      'dynamodb:PartiQLSelect',
    ]);
    expect(mapCloudTrailEvent('dynamodb.amazonaws.com', 'ExecuteStatement').actions).toHaveLength(4);
  });

  it('maps service hosts', () => {
    expect(serviceOfEventSource('email.amazonaws.com')).toBe('ses');
    expect(serviceOfEventSource('S3.AMAZONAWS.COM')).toBe('s3');
  });
});
