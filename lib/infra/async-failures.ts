/**
 * `AsyncFailures`: where asynchronous work that failed lands instead of vanishing (issue #16, item 3). Every Lambda
 * invoked asynchronously (the CloudWatch Logs subscription, the EventBridge schedules and the drift-on-ingest rule)
 * retries twice and then sends the failed event to this queue (Lambda on-failure destination). EventBridge rule
 * targets that cannot be reached at all dead-letter to Operations' `Failures` queue; SQS-fed functions keep their
 * own queue's DLQ (QueueWithDlq). Bad records never come here: they are quarantined in the table.
 */
import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from './nag.ts';

export class AsyncFailures extends Construct {
  readonly queue: sqs.Queue;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(
      this.queue,
      'AwsSolutions-SQS3',
      'This queue is itself the on-failure destination of asynchronous invocations.',
    );
  }

  /** Two retries of an asynchronous invocation, then its event goes to the queue. */
  protect(fn: lambda.Function): void {
    fn.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new destinations.SqsDestination(this.queue),
    });
  }
}
