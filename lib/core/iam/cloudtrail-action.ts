/**
 * CloudTrail eventSource/eventName -> the IAM action(s) that authorized the call.
 *
 * Most events are `<prefix>.amazonaws.com` + the IAM action name. The known differences, each tested in
 * test/unit/iam/cloudtrail-action.test.ts:
 * - eventSource host != IAM prefix: `monitoring` -> `cloudwatch`, `email` -> `ses`, `eks-auth` stays `eks-auth` ...
 * - Lambda: eventName `Invoke` (and `InvokeWithResponseStream`) is authorized by `lambda:InvokeFunction`; management
 *   events carry an API version suffix (`GetFunction20150331v2` -> `lambda:GetFunction`).
 * - S3 data events name the REST operation: `ListObjects`/`ListObjectsV2`/`HeadBucket` -> `s3:ListBucket`,
 *   `HeadObject`/`SelectObjectContent` -> `s3:GetObject`, multipart and copy operations -> `s3:PutObject`,
 *   `DeleteObjects` -> `s3:DeleteObject`, `ListBuckets` -> `s3:ListAllMyBuckets`, bucket sub-resource operations
 *   (`GetBucketEncryption` -> `s3:GetEncryptionConfiguration`, `DeleteBucketCors` -> `s3:PutBucketCORS` ...).
 * - Bedrock: `Converse` is authorized by `bedrock:InvokeModel` and `ConverseStream` by
 *   `bedrock:InvokeModelWithResponseStream` (a streaming call needs the streaming action, not InvokeModel).
 * - KMS: `ReEncrypt` needs both `kms:ReEncryptFrom` (source key) and `kms:ReEncryptTo` (destination key).
 * - STS: `GetCallerIdentity` needs no permission (`requiresPermission: false`); `AssumeRoleWithWebIdentity` is
 *   authorized by the role's trust policy, not the caller's identity policy.
 * - DynamoDB PartiQL `ExecuteStatement` maps to `dynamodb:PartiQL<Verb>` by the statement's first word.
 */

export interface MappedAction {
  /** IAM actions (`service:Name`) that authorize the event; usually one. */
  actions: string[];
  /** IAM service prefix. */
  service: string;
  /** `same` when eventName is the IAM action name, else the rule that applied. */
  rule: 'same' | 'renamed' | 'split' | 'version-suffix' | 'service-alias';
  /** False for calls IAM never authorizes (`sts:GetCallerIdentity`) or authorizes via a trust policy. */
  requiresPermission: boolean;
  note?: string;
}

/** eventSource host prefix -> IAM service prefix, where they differ. */
const SERVICE_ALIASES: Record<string, string> = {
  monitoring: 'cloudwatch',
  email: 'ses',
  'bedrock-agent': 'bedrock',
  'bedrock-agent-runtime': 'bedrock',
  'bedrock-runtime': 'bedrock',
  'api.ecr': 'ecr',
  'api.sagemaker': 'sagemaker',
  'runtime.sagemaker': 'sagemaker',
  'streams.dynamodb': 'dynamodb',
  'api.mediatailor': 'mediatailor',
  elasticmapreduce: 'elasticmapreduce',
  es: 'es',
  apigateway: 'apigateway',
  'execute-api': 'execute-api',
};

const S3_RENAMES: Record<string, string[]> = {
  ListObjects: ['ListBucket'],
  ListObjectsV2: ['ListBucket'],
  HeadBucket: ['ListBucket'],
  HeadObject: ['GetObject'],
  SelectObjectContent: ['GetObject'],
  GetObjectAttributes: ['GetObjectAttributes'],
  CreateMultipartUpload: ['PutObject'],
  UploadPart: ['PutObject'],
  CompleteMultipartUpload: ['PutObject'],
  UploadPartCopy: ['PutObject', 'GetObject'],
  CopyObject: ['PutObject', 'GetObject'],
  AbortMultipartUpload: ['AbortMultipartUpload'],
  DeleteObjects: ['DeleteObject'],
  ListObjectVersions: ['ListBucketVersions'],
  ListMultipartUploads: ['ListBucketMultipartUploads'],
  ListParts: ['ListMultipartUploadParts'],
  ListBuckets: ['ListAllMyBuckets'],
  GetBucketEncryption: ['GetEncryptionConfiguration'],
  PutBucketEncryption: ['PutEncryptionConfiguration'],
  DeleteBucketEncryption: ['PutEncryptionConfiguration'],
  GetBucketLifecycle: ['GetLifecycleConfiguration'],
  GetBucketLifecycleConfiguration: ['GetLifecycleConfiguration'],
  PutBucketLifecycle: ['PutLifecycleConfiguration'],
  PutBucketLifecycleConfiguration: ['PutLifecycleConfiguration'],
  DeleteBucketLifecycle: ['PutLifecycleConfiguration'],
  GetBucketReplication: ['GetReplicationConfiguration'],
  PutBucketReplication: ['PutReplicationConfiguration'],
  DeleteBucketReplication: ['PutReplicationConfiguration'],
  GetBucketCors: ['GetBucketCORS'],
  PutBucketCors: ['PutBucketCORS'],
  DeleteBucketCors: ['PutBucketCORS'],
  DeleteBucketTagging: ['PutBucketTagging'],
  DeleteBucketWebsite: ['DeleteBucketWebsite'],
  GetBucketNotificationConfiguration: ['GetBucketNotification'],
  PutBucketNotificationConfiguration: ['PutBucketNotification'],
  DeleteObjectTagging: ['DeleteObjectTagging'],
};

const BEDROCK_RENAMES: Record<string, string[]> = {
  Converse: ['InvokeModel'],
  ConverseStream: ['InvokeModelWithResponseStream'],
};

const LAMBDA_RENAMES: Record<string, string[]> = {
  Invoke: ['InvokeFunction'],
  InvokeWithResponseStream: ['InvokeFunction'],
};

/** SQS's batch calls are authorized by the single-message action (the SQS developer guide's API permissions). */
const SQS_RENAMES: Record<string, string[]> = {
  SendMessageBatch: ['SendMessage'],
  DeleteMessageBatch: ['DeleteMessage'],
  ChangeMessageVisibilityBatch: ['ChangeMessageVisibility'],
};

const KMS_SPLITS: Record<string, string[]> = {
  ReEncrypt: ['ReEncryptFrom', 'ReEncryptTo'],
};

const NO_PERMISSION: Record<string, string> = {
  'sts:GetCallerIdentity': 'GetCallerIdentity works even when an explicit deny names it',
  'sts:AssumeRoleWithWebIdentity': 'authorized by the role trust policy (IRSA), not by an identity policy',
  'sts:AssumeRoleWithSAML': 'authorized by the role trust policy, not by an identity policy',
};

const PARTIQL: Record<string, string> = {
  select: 'PartiQLSelect',
  insert: 'PartiQLInsert',
  update: 'PartiQLUpdate',
  delete: 'PartiQLDelete',
};

/** IAM service prefix for a CloudTrail eventSource (`s3.amazonaws.com` -> `s3`). */
export function serviceOfEventSource(eventSource: string): string {
  const host = eventSource.toLowerCase().replace(/\.amazonaws\.com(\.cn)?$/, '');
  return SERVICE_ALIASES[host] ?? host;
}

/**
 * Maps one CloudTrail event to the IAM action(s) that authorized it.
 *
 * @example mapCloudTrailEvent('lambda.amazonaws.com', 'Invoke').actions // ['lambda:InvokeFunction']
 * @param statement for DynamoDB `ExecuteStatement`: requestParameters.statement, to pick the PartiQL action.
 */
export function mapCloudTrailEvent(eventSource: string, eventName: string, statement?: string): MappedAction {
  const service = serviceOfEventSource(eventSource);
  const alias = service !== eventSource.toLowerCase().replace(/\.amazonaws\.com(\.cn)?$/, '');
  const done = (names: string[], rule: MappedAction['rule'], note?: string): MappedAction => {
    const actions = names.map((n) => `${service}:${n}`);
    const np = actions.length === 1 ? NO_PERMISSION[actions[0]!] : undefined;
    return {
      actions,
      service,
      rule: rule === 'same' && alias ? 'service-alias' : rule,
      requiresPermission: np === undefined,
      ...(note || np ? { note: note ?? np } : {}),
    };
  };
  const table =
    service === 's3'
      ? S3_RENAMES
      : service === 'bedrock'
        ? BEDROCK_RENAMES
        : service === 'lambda'
          ? LAMBDA_RENAMES
          : service === 'kms'
            ? KMS_SPLITS
            : service === 'sqs'
              ? SQS_RENAMES
              : undefined;
  const renamed = table?.[eventName];
  if (renamed) {
    if (renamed.length === 1 && renamed[0] === eventName) return done(renamed, 'same');
    return done(renamed, renamed.length > 1 ? 'split' : 'renamed');
  }
  if (service === 'lambda') {
    const m = /^(.+?)20\d{6}(v\d+)?$/.exec(eventName);
    if (m) {
      const base = m[1]!;
      return done(LAMBDA_RENAMES[base] ?? [base], 'version-suffix');
    }
  }
  if (service === 'dynamodb' && eventName === 'ExecuteStatement') {
    const verb = statement?.trim().split(/\s+/)[0]?.toLowerCase();
    const action = verb ? PARTIQL[verb] : undefined;
    if (action) return done([action], 'renamed');
    return done(
      ['PartiQLSelect', 'PartiQLInsert', 'PartiQLUpdate', 'PartiQLDelete'],
      'split',
      'statement unknown: any PartiQL action',
    );
  }
  return done([eventName], 'same');
}
