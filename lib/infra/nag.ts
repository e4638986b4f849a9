/**
 * cdk-nag (AwsSolutions) acknowledgements. Each is placed on the narrowest construct it concerns, names the exact
 * finding (`Rule[finding]`), and says why it is acceptable; the constructs call these helpers, so a user embedding
 * `Warden` in their own app gets the same. The nag test fails on any finding not acknowledged here.
 */
import { type CfnResource, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/** The nag finding id of a wildcard below a resource's ARN, e.g. `Resource::<TableABC.Arn>/index/*`. */
export function arnWildcard(resource: CfnResource, suffix: string): string {
  const logicalId = Stack.of(resource).resolve(resource.logicalId) as string;
  return `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>${suffix}]`;
}

/** What every Warden Lambda needs acknowledged. */
export function acknowledgeFunction(scope: IConstruct): void {
  acknowledge(
    scope,
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    "AWS's minimal Lambda logging policy (CreateLogStream/PutLogEvents); the function writes to its own log group.",
  );
  acknowledge(
    scope,
    'AwsSolutions-IAM5[Resource::*]',
    'X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) support no resource-level permissions.',
  );
  acknowledge(
    scope,
    'AwsSolutions-L1',
    'nodejs22.x is deliberate: Warden is built and tested for Node 20 and 22; a runtime bump goes with a test run.',
  );
}

/** What a read/write grant on the table and its customer-managed key produces. */
export function acknowledgeTableGrant(scope: IConstruct, table: CfnResource): void {
  acknowledge(
    scope,
    arnWildcard(table, '/index/*'),
    "The store queries the table's global secondary indexes; the grant is limited to this table's indexes.",
  );
  for (const action of ['kms:ReEncrypt*', 'kms:GenerateDataKey*']) {
    acknowledge(
      scope,
      `AwsSolutions-IAM5[Action::${action}]`,
      "Emitted by the table grant for the table's customer-managed key; the statement is limited to that one key.",
    );
  }
}

/** GetObject on every object (under the prefix) of a created log bucket. */
export function acknowledgeBucketRead(scope: IConstruct, bucket: CfnResource, prefix?: string): void {
  acknowledge(
    scope,
    arnWildcard(bucket, `/${prefix ?? ''}*`),
    'Log files arrive under keys chosen by the delivering service (AWSLogs/<account>/...); every object is input.',
  );
}

/** CDK's singleton Lambda that adds notifications to existing buckets (only present when one is watched). */
export function acknowledgeNotificationsHandler(scope: IConstruct): void {
  const stack = Stack.of(scope);
  const handler = stack.node.children.find((c) => c.node.id.startsWith('BucketNotificationsHandler'));
  if (!handler) return;
  acknowledge(
    handler,
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    "CDK's BucketNotifications custom resource handler; AWS's minimal Lambda logging policy, only used at deploy time.",
  );
}
