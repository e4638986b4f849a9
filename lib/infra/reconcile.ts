/**
 * `Reconcile`: the declared-vs-observed reconciliation task (lambdas/reconcile, written with lib/reconcile), run
 * daily by an EventBridge schedule and on demand. Reading the declared scope means reading IAM roles and policies,
 * bucket policies and Bedrock agent configuration across the account: read-only actions, on `*` because the roles
 * and buckets are whatever the agents were granted.
 */
import { type CfnResource, Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { WardenFunction } from './function.ts';
import { acknowledge, acknowledgeTableGrant } from './nag.ts';

/** What the declared-scope readers call (lib/reconcile/aws-reader.ts and the adapters it uses). */
export const RECONCILE_READ_ACTIONS = [
  'iam:GetRole',
  'iam:GetRolePolicy',
  'iam:ListRolePolicies',
  'iam:ListAttachedRolePolicies',
  'iam:ListRoles',
  'iam:GetPolicy',
  'iam:GetPolicyVersion',
  's3:GetBucketPolicy',
  's3:GetBucketTagging',
  's3:ListAllMyBuckets',
  'bedrock:GetAgent',
  'bedrock:ListAgentActionGroups',
  'bedrock:GetAgentActionGroup',
  'bedrock:ListAgentKnowledgeBases',
  'bedrock:ListAgentCollaborators',
  'eks:DescribeCluster',
] as const;

export interface ReconcileProps {
  table: dynamodb.ITable;
  tableResource: CfnResource;
  retentionDays: number;
  environment: Record<string, string>;
  /** Where the schedule's undeliverable invocations go (AsyncFailures). */
  deadLetterQueue?: sqs.IQueue;
}

export class Reconcile extends Construct {
  readonly task: WardenFunction;
  readonly schedule: events.Rule;

  constructor(scope: Construct, id: string, props: ReconcileProps) {
    super(scope, id);
    this.task = new WardenFunction(this, 'Task', {
      name: 'reconcile',
      iamData: true,
      description: 'Warden: reconcile declared scope with observed behavior, per subject',
      retentionDays: props.retentionDays,
      environment: props.environment,
      timeout: Duration.minutes(15),
      memorySize: 1024,
      reservedConcurrentExecutions: 1,
    });
    props.table.grantReadWriteData(this.task.fn);
    acknowledgeTableGrant(this.task, props.tableResource);
    this.task.fn.addToRolePolicy(new iam.PolicyStatement({ actions: [...RECONCILE_READ_ACTIONS], resources: ['*'] }));
    acknowledge(
      this.task,
      'AwsSolutions-IAM5[Resource::*]',
      'Read-only IAM/S3/Bedrock/EKS describe calls over whatever roles, buckets and agents the watched agents use; ' +
        'ListRoles/ListAllMyBuckets accept no resource ARN; X-Ray tracing likewise.',
    );
    this.schedule = new events.Rule(this, 'Daily', {
      description: 'Warden: daily reconciliation',
      schedule: events.Schedule.rate(Duration.days(1)),
      targets: [
        new targets.LambdaFunction(this.task.fn, {
          event: events.RuleTargetInput.fromObject({}),
          ...(props.deadLetterQueue ? { deadLetterQueue: props.deadLetterQueue } : {}),
        }),
      ],
    });
  }
}
