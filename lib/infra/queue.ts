/**
 * `QueueWithDlq`: an SQS queue and its dead-letter queue. A message that fails `maxReceiveCount` deliveries (a
 * handler error, not a bad record: bad records are quarantined in the table) parks in the DLQ for 14 days.
 */
import { Duration } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface QueueWithDlqProps {
  /** Must be at least 6x the consuming function's timeout (AWS guidance for SQS event sources). */
  visibilityTimeout: Duration;
  maxReceiveCount?: number;
}

export class QueueWithDlq extends Construct {
  readonly queue: sqs.Queue;
  readonly dlq: sqs.Queue;

  constructor(scope: Construct, id: string, props: QueueWithDlqProps) {
    super(scope, id);
    // SQS-managed SSE: S3 and EventBridge can deliver to it without a key policy for their service principals.
    this.dlq = new sqs.Queue(this, 'Dlq', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: props.visibilityTimeout,
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.dlq, maxReceiveCount: props.maxReceiveCount ?? 5 },
    });
  }
}
