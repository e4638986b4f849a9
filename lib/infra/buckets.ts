/**
 * Log buckets Warden creates when the user has none: one per source, with the bucket policy the delivering AWS
 * service needs, server access logging, TLS-only access and expiry after the retention period.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { BucketSource } from './props.ts';

export interface LogBucketProps {
  source: BucketSource;
  accessLogs: s3.IBucket;
  retentionDays: number;
  retainData: boolean;
}

/** Base settings every Warden bucket shares. */
export function bucketBase(retainData: boolean): s3.BucketProps {
  return {
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    removalPolicy: retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    autoDeleteObjects: false,
  };
}

export class LogBucket extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: LogBucketProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...bucketBase(props.retainData),
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: `${props.source}/`,
      lifecycleRules: [{ expiration: Duration.days(props.retentionDays) }],
    });
    const account = Stack.of(this).account;
    const principal = deliveryPrincipal(props.source);
    // Service delivery, as documented for each service; scoped to this account's log prefix.
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [principal],
        actions: ['s3:GetBucketAcl'],
        resources: [this.bucket.bucketArn],
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
    );
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [principal],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects(`AWSLogs/${account}/*`)],
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
    );
  }
}

function deliveryPrincipal(source: BucketSource): iam.ServicePrincipal {
  switch (source) {
    case 'cloudtrail':
      return new iam.ServicePrincipal('cloudtrail.amazonaws.com');
    case 'vpc-flow':
      return new iam.ServicePrincipal('delivery.logs.amazonaws.com');
    case 'bedrock-invocation':
      return new iam.ServicePrincipal('bedrock.amazonaws.com');
  }
}
