/**
 * Where the audit chain is anchored outside the table (docs/audit.md): an S3 bucket with Object Lock, one object per
 * anchor written with `If-None-Match: *` (lib/adapters/audit-anchors-s3.ts). Object Lock's default retention keeps
 * every version of every anchor for `retentionDays`: whoever can write the table cannot also erase or rewrite the
 * anchors of what they change. GOVERNANCE by default (a privileged principal can still bypass it, which CloudTrail
 * records); COMPLIANCE when nobody, root included, may.
 */
import { type CfnResource, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { bucketBase } from './buckets.ts';
import { acknowledge, arnWildcard } from './nag.ts';

/** Key prefix of the anchors (lib/adapters/audit-anchors-s3.ts). */
export const ANCHOR_PREFIX = 'audit-anchors/';

export interface AuditAnchorProps {
  retentionDays: number;
  mode?: 'governance' | 'compliance';
  /** Server access logs go here when given. */
  accessLogs?: s3.IBucket;
}

export class AuditAnchor extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: AuditAnchorProps) {
    super(scope, id);
    const days = Duration.days(props.retentionDays);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...bucketBase(true),
      // Anchors outlive any stack: a deleted stack must not take the evidence of tampering with it.
      removalPolicy: RemovalPolicy.RETAIN,
      versioned: true,
      objectLockEnabled: true,
      objectLockDefaultRetention:
        props.mode === 'compliance' ? s3.ObjectLockRetention.compliance(days) : s3.ObjectLockRetention.governance(days),
      ...(props.accessLogs
        ? { serverAccessLogsBucket: props.accessLogs, serverAccessLogsPrefix: 'audit-anchors/' }
        : {}),
    });
    if (!props.accessLogs)
      acknowledge(
        this.bucket,
        'AwsSolutions-S1',
        'No access-log bucket in this deployment (Warden creates none when it watches existing log buckets); writes to the anchor bucket are in CloudTrail.',
      );
  }

  /**
   * Lets a function append anchors and read the latest back (put with If-None-Match, list, get); never delete or
   * rewrite, nor read old versions: listing versions is `audit verify`'s, run with the operator's credentials.
   */
  grantAppend(grantee: iam.IGrantable & Construct): void {
    const objects = this.bucket.arnForObjects(`${ANCHOR_PREFIX}*`);
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject', 's3:GetObject'],
        resources: [objects],
      }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${ANCHOR_PREFIX}*`] } },
      }),
    );
    acknowledge(
      grantee,
      arnWildcard(this.bucket.node.defaultChild as CfnResource, `/${ANCHOR_PREFIX}*`),
      'One object per anchor, named by its seq, under the anchor prefix.',
    );
  }
}
