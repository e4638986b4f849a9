/**
 * `Ingestion`: every source the way AWS delivers it, into the one table.
 * - S3 object-created notifications (trail files and data events, Bedrock invocation logs, VPC flow logs)
 *   -> `Objects` queue -> `IngestObjects` (batches, partial batch responses).
 * - CloudTrail management events from EventBridge -> `CloudTrail` queue -> `IngestEvents`.
 * - Node-agent batches and Bedrock Agent traces -> `IngestHttp` function URL with AWS_IAM auth (SigV4).
 * - Optional: Bedrock invocation logs in CloudWatch Logs -> subscription -> `IngestLogs`.
 * - `Backfill`: up to 90 days of management events from CloudTrail LookupEvents, invoked on demand.
 * Bad records never fail a batch: the pipeline quarantines them in the table with their reason.
 */
import { CfnOutput, type CfnResource, Duration, Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as logsDestinations from 'aws-cdk-lib/aws-logs-destinations';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import { Construct, type IDependable } from 'constructs';
import { bucketBase, LogBucket } from './buckets.ts';
import { WardenFunction } from './function.ts';
import { acknowledge, acknowledgeBucketRead, acknowledgeNotificationsHandler } from './nag.ts';
import {
  BUCKET_SOURCES,
  type BucketSource,
  type BucketWatch,
  DEFAULTS,
  type IngestPrincipal,
  MAX_SQS_WINDOW_MINUTES,
} from './props.ts';
import { QueueWithDlq } from './queue.ts';

export interface IngestionProps {
  /** Gives a function the store's data plane (Store.grantData). */
  grantStore: (f: WardenFunction) => void;
  buckets: Partial<Record<BucketSource, BucketWatch>>;
  retentionDays: number;
  retainData: boolean;
  promptContent: string;
  maxPayloadBytes: number;
  bedrockInvocationLogGroupName?: string;
  /** Environment every Warden function gets (table name, policies). */
  environment: Record<string, string>;
  /** HTTPS ingest principals and their scopes (lambdas/shared/trust.ts). */
  ingestPrincipals?: IngestPrincipal[];
  /** Clusters whose node-agent roles the HTTPS function reads from EKS (Pod Identity, IRSA). */
  clusterNames?: string[];
  trustedAccounts?: string[];
  ingestQuotaPerHour?: number;
  /** Minutes between object ingest runs: an SQS batching window up to 5, a scheduled drain above (WardenProps). */
  objectBatchMinutes?: number;
  /** Makes the drain schedule's target (retried, dead-lettered: Operations.lambdaTarget). */
  target: (fn: WardenFunction, input: Record<string, unknown>) => events.IRuleTarget;
}

/** Construct IDs of the functions (stable: they are part of the deployed contract). */
export const FUNCTION_IDS = ['IngestObjects', 'IngestEvents', 'IngestHttp', 'Backfill', 'IngestLogs'] as const;

export class Ingestion extends Construct {
  readonly objects: QueueWithDlq;
  readonly cloudTrail: QueueWithDlq;
  readonly ingestObjects: WardenFunction;
  readonly ingestEvents: WardenFunction;
  readonly ingestHttp: WardenFunction;
  readonly backfill: WardenFunction;
  readonly ingestLogs?: WardenFunction;
  /** The schedule draining the `Objects` queue (objectBatchMinutes above 5), invoking IngestObjects asynchronously. */
  readonly objectsDrain?: events.Rule;
  readonly httpUrl: lambda.FunctionUrl;
  /** Watched buckets by source (created or imported). */
  readonly buckets: Partial<Record<BucketSource, s3.IBucket>> = {};
  /** Server access logs of every bucket Warden creates. */
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: IngestionProps) {
    super(scope, id);
    const env = {
      ...props.environment,
      ...(props.trustedAccounts?.length ? { WARDEN_TRUSTED_ACCOUNTS: props.trustedAccounts.join(',') } : {}),
    };
    const common = { retentionDays: props.retentionDays, environment: env };
    const batchMinutes = props.objectBatchMinutes ?? DEFAULTS.objectBatchMinutes;
    const drains = batchMinutes > MAX_SQS_WINDOW_MINUTES;

    this.ingestObjects = new WardenFunction(this, 'IngestObjects', {
      ...common,
      name: 'ingest-objects',
      description: 'Warden: ingest log files announced by S3 notifications',
      // A drain stops receiving after 10 minutes and gives its last run 5 (lib/core/queue-drain.ts).
      timeout: Duration.minutes(drains ? 15 : 5),
      memorySize: 1024,
    });
    this.ingestEvents = new WardenFunction(this, 'IngestEvents', {
      ...common,
      name: 'ingest-events',
      description: 'Warden: ingest CloudTrail management events from EventBridge',
      timeout: Duration.minutes(1),
    });
    this.ingestHttp = new WardenFunction(this, 'IngestHttp', {
      ...common,
      name: 'ingest-http',
      description: 'Warden: ingest node-agent batches and Bedrock Agent traces (IAM-authenticated HTTPS)',
      timeout: Duration.seconds(30),
      environment: {
        ...env,
        MAX_PAYLOAD_BYTES: String(props.maxPayloadBytes),
        WARDEN_INGEST_PRINCIPALS: JSON.stringify(props.ingestPrincipals ?? []),
        ...(props.ingestQuotaPerHour ? { WARDEN_INGEST_QUOTA_PER_HOUR: String(props.ingestQuotaPerHour) } : {}),
      },
    });
    if (props.clusterNames?.length) this.grantNodeAgentRoleReads(props.clusterNames);
    this.backfill = new WardenFunction(this, 'Backfill', {
      ...common,
      name: 'backfill',
      description: 'Warden: backfill up to 90 days of CloudTrail management events (LookupEvents)',
      timeout: Duration.minutes(15),
      // LookupEvents allows 2 requests per second per account and region: one backfill at a time.
      reservedConcurrentExecutions: 1,
    });
    for (const f of [this.ingestObjects, this.ingestEvents, this.ingestHttp, this.backfill]) props.grantStore(f);
    // LookupEvents has no resource-level permissions: `*` is the only resource it accepts.
    this.backfill.fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['cloudtrail:LookupEvents'], resources: ['*'] }),
    );

    // Headerless flow log objects are read in their flow log's LogFormat; DescribeFlowLogs has no resource-level
    // permissions (`*` is the only resource it accepts).
    this.ingestObjects.fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['ec2:DescribeFlowLogs'], resources: ['*'] }),
    );
    acknowledge(
      this.ingestObjects,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray PutTraceSegments/PutTelemetryRecords and ec2:DescribeFlowLogs support no resource-level permissions.',
    );

    // S3 notifications -> SQS -> IngestObjects. A batch's objects share one pipeline run per account and region
    // (one aggregate, evidence, registry and dirty-mark write per subject and hour for all of them) and, with drift
    // on ingest (`warden:driftMinutes` 0), one announcement (one drift run). Up to 5 minutes (the most Lambda
    // allows) the event source mapping's batching window gathers them: two of a trail's five-minute files per run.
    // Above 5 a schedule invokes the function every `batchMinutes` to drain the queue itself (ReceiveMessage,
    // DeleteMessageBatch on this queue only), gathering up to 100 files per run: fewer runs per subject and hour, for
    // up to `batchMinutes` more latency on top of CloudTrail's own five to fifteen (docs/operations.md, "Trail-file
    // batching"). A drain hides what it received for its own time; a failed message reappears after it, and the
    // redrive policy parks it after 5 receives.
    this.objects = new QueueWithDlq(this, 'Objects', { visibilityTimeout: Duration.minutes(30) });
    if (drains) {
      // What the drain calls, and nothing more (DeleteMessageBatch is authorized as sqs:DeleteMessage); the queue's
      // encryption is SQS-managed, so no key grant.
      this.ingestObjects.fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage'],
          resources: [this.objects.queue.queueArn],
        }),
      );
      this.ingestObjects.fn.addEnvironment('WARDEN_OBJECTS_QUEUE_URL', this.objects.queue.queueUrl);
      this.objectsDrain = new events.Rule(this, 'ObjectsDrain', {
        description: `Warden: ingest the log files announced in the last ${batchMinutes} minutes`,
        schedule: events.Schedule.rate(Duration.minutes(batchMinutes)),
        targets: [props.target(this.ingestObjects, { drain: 'objects' })],
      });
    } else {
      this.ingestObjects.fn.addEventSource(
        new SqsEventSource(this.objects.queue, {
          batchSize: 10,
          maxBatchingWindow: Duration.minutes(batchMinutes),
          reportBatchItemFailures: true,
        }),
      );
    }
    let s3Delivery: IDependable | undefined;
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      ...bucketBase(props.retainData),
      // Server access log delivery writes with the log-delivery ACL unless the app opts into bucket-policy delivery.
      objectOwnership: s3.ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [{ expiration: Duration.days(props.retentionDays) }],
    });
    const created = BUCKET_SOURCES.filter((s) => props.buckets[s] !== false && !watchOf(props.buckets[s]).bucketName);
    if (created.length > 0) {
      // S3 delivers notifications to SQS as this service principal; limited to this account's buckets.
      s3Delivery = this.objects.queue.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal('s3.amazonaws.com')],
          actions: ['sqs:SendMessage'],
          resources: [this.objects.queue.queueArn],
          conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
        }),
      ).policyDependable;
    }
    for (const source of BUCKET_SOURCES) {
      const w = props.buckets[source];
      if (w === false) continue;
      const { bucketName, prefix } = watchOf(w);
      const bucketId = `${pascal(source)}Bucket`;
      let bucket: s3.IBucket;
      if (bucketName) {
        bucket = s3.Bucket.fromBucketName(this, bucketId, bucketName);
        // An existing bucket's notification is merged in by CDK's BucketNotifications custom resource.
        bucket.addEventNotification(
          s3.EventType.OBJECT_CREATED,
          new s3n.SqsDestination(this.objects.queue),
          ...(prefix ? [{ prefix }] : []),
        );
      } else {
        const lb = new LogBucket(this, bucketId, {
          source,
          accessLogs: this.accessLogs,
          retentionDays: props.retentionDays,
          retainData: props.retainData,
        });
        bucket = lb.bucket;
        // A created bucket declares its notification directly (no custom resource, no extra Lambda); S3 checks the
        // queue policy when the bucket is created, so the bucket waits for it.
        const cfn = lb.bucket.node.defaultChild as s3.CfnBucket;
        cfn.notificationConfiguration = {
          queueConfigurations: [
            {
              event: 's3:ObjectCreated:*',
              queue: this.objects.queue.queueArn,
              ...(prefix ? { filter: { s3Key: { rules: [{ name: 'prefix', value: prefix }] } } } : {}),
            },
          ],
        };
        if (s3Delivery) cfn.node.addDependency(s3Delivery);
        new CfnOutput(this, `${bucketId}Name`, { value: lb.bucket.bucketName });
      }
      // GetObject is all the function does with a log bucket (no listing, no bucket reads, no versions).
      this.ingestObjects.fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['s3:GetObject'],
          resources: [bucket.arnForObjects(prefix ? `${prefix}*` : '*')],
        }),
      );
      if (bucketName) {
        acknowledge(
          this.ingestObjects,
          `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${bucketName}/${prefix ?? ''}*]`,
          'Log files arrive under keys chosen by the delivering service; every object under the prefix is input.',
        );
        acknowledgeNotificationsHandler(this);
      } else {
        acknowledgeBucketRead(this.ingestObjects, bucket.node.defaultChild as CfnResource, prefix);
      }
      this.buckets[source] = bucket;
    }

    // EventBridge (CloudTrail management events) -> SQS -> IngestEvents. The rule lives in Events. Management events
    // come one at a time; a batch shares one invocation, one pipeline run per account and region (and one
    // announcement with drift on ingest), so the function waits up to a minute to gather them (the fleet benchmark's
    // cost model: docs/operations.md).
    this.cloudTrail = new QueueWithDlq(this, 'CloudTrail', { visibilityTimeout: Duration.minutes(6) });
    this.ingestEvents.fn.addEventSource(
      new SqsEventSource(this.cloudTrail.queue, {
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(60),
        reportBatchItemFailures: true,
      }),
    );

    // HTTPS with SigV4: the node agent signs with its IRSA / Pod Identity role, which needs lambda:InvokeFunctionUrl.
    this.httpUrl = this.ingestHttp.fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
    new CfnOutput(this, 'IngestUrl', { value: this.httpUrl.url });

    if (props.bedrockInvocationLogGroupName) {
      this.ingestLogs = new WardenFunction(this, 'IngestLogs', {
        ...common,
        name: 'ingest-logs',
        description: 'Warden: ingest Bedrock invocation logs from a CloudWatch Logs subscription',
        timeout: Duration.minutes(2),
      });
      props.grantStore(this.ingestLogs);
      const group = logs.LogGroup.fromLogGroupName(this, 'BedrockInvocationLogs', props.bedrockInvocationLogGroupName);
      new logs.SubscriptionFilter(this, 'BedrockInvocationSubscription', {
        logGroup: group,
        destination: new logsDestinations.LambdaDestination(this.ingestLogs.fn),
        filterPattern: logs.FilterPattern.allEvents(),
      });
    }
  }

  /**
   * The HTTPS function binds node-agent roles to clusters by reading each cluster's Pod Identity associations and
   * the IAM roles whose trust policy names the cluster's OIDC issuer (lib/adapters/ingest-principals.ts).
   */
  private grantNodeAgentRoleReads(clusters: string[]): void {
    const stack = Stack.of(this);
    const cluster = (name: string) => stack.formatArn({ service: 'eks', resource: 'cluster', resourceName: name });
    const association = (name: string) =>
      stack.formatArn({ service: 'eks', resource: 'podidentityassociation', resourceName: `${name}/*` });
    this.ingestHttp.fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['eks:DescribeCluster', 'eks:ListPodIdentityAssociations', 'eks:DescribePodIdentityAssociation'],
        resources: clusters.flatMap((c) => [cluster(c), association(c)]),
      }),
    );
    // ListRoles has no resource-level permissions.
    this.ingestHttp.fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['iam:ListRoles'], resources: ['*'] }));
    const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
    const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
    for (const c of clusters)
      acknowledge(
        this.ingestHttp,
        `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:eks:${region}:${account}:podidentityassociation/${c}/*]`,
        "The node agent's Pod Identity association of this cluster is looked up among the cluster's associations.",
      );
  }
}

function watchOf(w: BucketWatch | undefined): { bucketName?: string; prefix?: string } {
  return w === false || w === undefined ? {} : w;
}

function pascal(s: string): string {
  return s
    .split('-')
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');
}
