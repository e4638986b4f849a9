/**
 * The Warden stack as CloudFormation: every resource type it creates has an assertion here (a test checks that the
 * list is complete), cdk-nag AwsSolutions finds nothing unacknowledged, and one snapshot (asset hashes masked) shows
 * any other change in review. Both stacks are synthesized once: bundling is the slow part.
 */
import type { App } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadIamCatalog } from '../../../lib/adapters/iam-scope.ts';
import type { IamCatalog } from '../../../lib/core/iam/catalog.ts';
import { propsFromContext } from '../../../lib/infra/props.ts';
import { defaultStack, fullStack, nagFindings, templateOf } from './synth.ts';

let def: { app: App; t: Template };
let full: { app: App; t: Template };

beforeAll(async () => {
  catalog = await loadIamCatalog([
    'xray',
    'cloudtrail',
    'ec2',
    'logs',
    's3',
    'iam',
    'bedrock',
    'states',
    'dynamodb',
    'kms',
  ]);
  const d = defaultStack();
  def = { app: d.app, t: templateOf(d.stack) };
  const f = fullStack();
  full = { app: f.app, t: templateOf(f.stack) };
});

type Check = (t: Template) => void;

/**
 * `*` resources beyond the actions that accept no resource type (checked against the IAM action catalog): CDK's own
 * custom resource adding notifications to an existing bucket (deploy time only).
 */
const STAR_EXCEPTIONS = ['s3:PutBucketNotification'];
let catalog: IamCatalog;

/** One assertion per resource type the stacks create. */
const byType: Record<string, Check> = {
  'AWS::KMS::Key': (t) => t.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true }),
  'AWS::DynamoDB::Table': (t) =>
    t.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: Match.anyValue() },
      GlobalSecondaryIndexes: [Match.objectLike({ IndexName: 'gsi1', Projection: { ProjectionType: 'ALL' } })],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    }),
  'AWS::Lambda::Function': (t) => {
    const fns = t.findResources('AWS::Lambda::Function', { Properties: { Runtime: 'nodejs22.x' } });
    expect(Object.keys(fns).length).toBeGreaterThanOrEqual(5);
    for (const f of Object.values(fns)) {
      expect(f.Properties).toMatchObject({ Architectures: ['arm64'], TracingConfig: { Mode: 'Active' } });
      expect(f.Properties.Environment.Variables).toHaveProperty('WARDEN_TABLE_NAME');
    }
  },
  'AWS::Lambda::EventSourceMapping': (t) => {
    // Every SQS consumer reports partial batch failures (the CloudTrail queue and the rollout worker; the Objects
    // queue is drained on a schedule by default: test/unit/infra/objects-drain.test.ts).
    const all = Object.keys(t.findResources('AWS::Lambda::EventSourceMapping')).length;
    expect(all).toBe(2);
    t.resourcePropertiesCountIs(
      'AWS::Lambda::EventSourceMapping',
      { FunctionResponseTypes: ['ReportBatchItemFailures'] },
      all,
    );
  },
  'AWS::Lambda::Url': (t) => t.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM' }),
  'AWS::SQS::Queue': (t) => {
    // Two ingest queues and the rollout worker queue, each with a DLQ, plus Failures (rule targets) and
    // AsyncFailures (failed asynchronous invocations); all encrypted.
    const queues = t.findResources('AWS::SQS::Queue');
    expect(Object.keys(queues)).toHaveLength(8);
    const withDlq = Object.values(queues).filter((q) => q.Properties?.RedrivePolicy);
    expect(withDlq).toHaveLength(3);
    for (const q of Object.values(queues)) expect(q.Properties.SqsManagedSseEnabled).toBe(true);
  },
  'AWS::SQS::QueuePolicy': (t) =>
    t.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    }),
  'AWS::S3::Bucket': (t) => {
    t.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: Match.anyValue(),
      PublicAccessBlockConfiguration: Match.objectLike({ BlockPublicAcls: true, RestrictPublicBuckets: true }),
    });
    // The audit chain's anchors: versioned, Object Lock with a default retention, never deleted with the stack.
    t.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        ObjectLockEnabled: true,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: Match.anyValue() } },
        },
        VersioningConfiguration: { Status: 'Enabled' },
      }),
    });
  },
  'AWS::S3::BucketPolicy': (t) =>
    t.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    }),
  'AWS::Logs::LogGroup': (t) => {
    for (const g of Object.values(t.findResources('AWS::Logs::LogGroup'))) {
      expect(g.Properties.RetentionInDays).toBeGreaterThan(0);
    }
  },
  'AWS::IAM::Role': (t) =>
    t.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })] },
    }),
  'AWS::IAM::Policy': (t) => {
    // Least privilege: no statement grants `*` actions, and `*` resources only for actions the Service Authorization
    // Reference lists without a resource type (they accept nothing narrower).
    for (const p of Object.values(t.findResources('AWS::IAM::Policy'))) {
      for (const s of p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]) {
        const actions = ([] as string[]).concat(s.Action);
        expect(actions).not.toContain('*');
        if (s.Resource === '*' || (Array.isArray(s.Resource) && s.Resource.includes('*'))) {
          for (const a of actions) {
            if (STAR_EXCEPTIONS.includes(a)) continue;
            expect(catalog.action(a)?.wildcardOnly, `${a} on *`).toBe(true);
          }
        }
      }
    }
  },
  'AWS::Events::EventBus': (t) => t.resourceCountIs('AWS::Events::EventBus', 1),
  'AWS::Events::Rule': (t) => {
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'detail-type': ['AWS API Call via CloudTrail'] },
      Targets: [Match.objectLike({ Arn: Match.anyValue() })],
    });
    // Every target of every rule retries and dead-letters to the Failures queue.
    for (const r of Object.values(t.findResources('AWS::Events::Rule'))) {
      for (const target of r.Properties.Targets)
        expect(target).toMatchObject({
          RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 21_600 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [expect.stringMatching(/Failures/), 'Arn'] } },
        });
    }
    t.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 day)' });
    // Baselines hourly; drift every 15 minutes (warden:driftMinutes), and not on ingest (test/unit/infra/drift-schedule).
    t.resourcePropertiesCountIs('AWS::Events::Rule', { ScheduleExpression: 'rate(1 hour)' }, 1);
    t.resourcePropertiesCountIs('AWS::Events::Rule', { ScheduleExpression: 'rate(15 minutes)' }, 2);
  },
  'AWS::Lambda::EventInvokeConfig': (t) => {
    // Every function invoked asynchronously (schedules, the ingest rule, the CloudWatch Logs subscription) sends a
    // failed event to AsyncFailures after two retries; SQS-fed functions have their queue's DLQ instead.
    const configs = Object.values(t.findResources('AWS::Lambda::EventInvokeConfig'));
    expect(configs.length).toBeGreaterThanOrEqual(4);
    for (const c of configs)
      expect(c.Properties).toMatchObject({
        MaximumRetryAttempts: 2,
        DestinationConfig: {
          OnFailure: { Destination: { 'Fn::GetAtt': [expect.stringMatching(/AsyncFailures/), 'Arn'] } },
        },
      });
    const invokedAsync = new Set<string>();
    for (const r of Object.values(t.findResources('AWS::Events::Rule')))
      for (const target of r.Properties.Targets)
        if (JSON.stringify(target.Arn).includes('Arn') && !JSON.stringify(target.Arn).includes('Queue'))
          invokedAsync.add(JSON.stringify(target.Arn['Fn::GetAtt']?.[0]));
    for (const f of Object.values(t.findResources('AWS::Logs::SubscriptionFilter')))
      invokedAsync.add(JSON.stringify(f.Properties.DestinationArn['Fn::GetAtt']?.[0]));
    expect(invokedAsync.size).toBeGreaterThanOrEqual(3);
    const protectedFns = new Set(configs.map((c) => JSON.stringify(c.Properties.FunctionName.Ref)));
    for (const fn of invokedAsync) expect(protectedFns, fn).toContain(fn);
  },
  'AWS::Lambda::Permission': (t) =>
    t.hasResourceProperties('AWS::Lambda::Permission', { Principal: 'events.amazonaws.com' }),
  'AWS::Logs::SubscriptionFilter': (t) =>
    t.hasResourceProperties('AWS::Logs::SubscriptionFilter', {
      LogGroupName: '/aws/bedrock/invocations',
      FilterPattern: '',
    }),
  'AWS::CloudWatch::Alarm': (t) => {
    // Details in operations.test.ts: DLQ depth, errors and throttles per function, quarantine rate, drift run age.
    expect(Object.keys(t.findResources('AWS::CloudWatch::Alarm')).length).toBeGreaterThanOrEqual(20);
  },
  'AWS::CloudWatch::Dashboard': (t) => t.resourceCountIs('AWS::CloudWatch::Dashboard', 1),
  // The rollout (always): the shared ASL definition, every step an SQS task-token request to the worker queue.
  'AWS::StepFunctions::StateMachine': (t) => {
    t.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      DefinitionString: Match.anyValue(),
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL' }),
    });
    const sm = Object.values(t.findResources('AWS::StepFunctions::StateMachine'))[0]!;
    const text = JSON.stringify(sm.Properties.DefinitionString);
    expect(text).toContain('arn:aws:states:::sqs:sendMessage.waitForTaskToken');
    expect(text).toContain('MeasureBlastRadius');
    expect(text).toContain('WithinThreshold');
  },
  'AWS::SecretsManager::Secret': (t) =>
    t.hasResourceProperties('AWS::SecretsManager::Secret', { Description: Match.stringLikeRegexp('webhookSecret') }),
  'Custom::S3BucketNotifications': (t) =>
    t.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: 'org-trail-bucket',
      NotificationConfiguration: {
        QueueConfigurations: [
          Match.objectLike({
            Events: ['s3:ObjectCreated:*'],
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'AWSLogs/' }] } },
          }),
        ],
      },
    }),
};

function types(t: Template): string[] {
  return [
    ...new Set(Object.values(t.toJSON().Resources as Record<string, { Type: string }>).map((r) => r.Type)),
  ].sort();
}

describe('resource assertions', () => {
  it('has an assertion for every resource type either stack creates', () => {
    const all = [...new Set([...types(def.t), ...types(full.t)])].sort();
    expect(all).toEqual(Object.keys(byType).sort());
  });

  it('default stack: every resource type satisfies its assertion', () => {
    for (const type of types(def.t)) byType[type]!(def.t);
  });

  it('full stack: every resource type satisfies its assertion', () => {
    for (const type of types(full.t)) byType[type]!(full.t);
  });

  it('created buckets receive object-created notifications on the objects queue, after its policy exists', () => {
    const buckets = def.t.findResources('AWS::S3::Bucket', {
      Properties: {
        NotificationConfiguration: { QueueConfigurations: [Match.objectLike({ Event: 's3:ObjectCreated:*' })] },
      },
    });
    expect(Object.keys(buckets)).toHaveLength(3);
    for (const b of Object.values(buckets))
      expect(b.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/ObjectsQueuePolicy/)]));
  });

  it('retains the table and key by default and not when retainData is false', () => {
    def.t.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
    full.t.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
  });

  it('passes retention and prompt-content policy to the functions', () => {
    full.t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ WARDEN_PROMPT_CONTENT: 'hash-only', WARDEN_RETENTION_DAYS: '90' }) },
    });
    full.t.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  it('lets CloudWatch Logs invoke the Bedrock invocation log subscriber', () => {
    full.t.hasResourceProperties('AWS::Lambda::Permission', { Principal: Match.stringLikeRegexp('logs') });
  });

  it('turns a source off with false', () => {
    // Access logs, the created bedrock-invocation bucket, the rollout proposals and the audit anchor bucket;
    // cloudtrail is an existing bucket.
    expect(Object.keys(full.t.findResources('AWS::S3::Bucket'))).toHaveLength(4);
  });
});

describe('cdk-nag AwsSolutions', () => {
  const findings = nagFindings;

  it('has no unacknowledged finding on the default stack', () => {
    expect(findings(def.app)).toEqual([]);
  });

  it('has no unacknowledged finding with every option on', () => {
    expect(findings(full.app)).toEqual([]);
  });
});

describe('context', () => {
  it('reads props from cdk.json-style context, parsing JSON given on the command line', () => {
    const ctx: Record<string, unknown> = {
      'warden:clusterNames': 'prod,staging',
      'warden:buckets': '{"cloudtrail":{"bucketName":"org-trail"},"vpc-flow":false}',
      'warden:retentionDays': '30',
      'warden:promptContent': 'raw',
    };
    expect(propsFromContext((k) => ctx[k])).toMatchObject({
      clusterNames: ['prod', 'staging'],
      buckets: { cloudtrail: { bucketName: 'org-trail' }, 'vpc-flow': false },
      retentionDays: 30,
      promptContent: 'raw',
      retainData: true,
    });
  });

  it('names every bad setting', () => {
    expect(() => propsFromContext((k) => ({ 'warden:promptContent': 'all', 'warden:retentionDays': -1 })[k])).toThrow(
      /warden:retentionDays.*warden:promptContent|warden:promptContent.*warden:retentionDays/,
    );
  });
});

describe('snapshot', () => {
  it('matches the reviewed template (asset hashes masked)', () => {
    const json = JSON.stringify(def.t.toJSON(), null, 1).replace(/[0-9a-f]{64}(\.zip)?/g, '<asset-hash>$1');
    expect(JSON.parse(json)).toMatchSnapshot();
  });
});
