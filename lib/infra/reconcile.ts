/**
 * `Reconcile`: the declared-vs-observed reconciliation task (lambdas/reconcile, written with lib/app/reconcile), run
 * daily by an EventBridge schedule and on demand. For Bedrock subjects it reads the declared scope live: the agent
 * (Bedrock Agents), its role and the roles it could assume (IAM), bucket policies and tags (S3). k8s subjects use
 * the declared scope stored by `warden reconcile --aws` (the Lambda has no Kubernetes API access), so the task never
 * calls EKS. Each action is granted on the narrowest resource it accepts; see RECONCILE_GRANTS.
 */
import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { WardenFunction } from './function.ts';
import { acknowledge } from './nag.ts';

/**
 * What the declared-scope readers call (lib/adapters/aws-scope-reader.ts and the adapters it uses), proven by the
 * recorded-calls e2e test, with the resources each is granted on (`{A}` the account, `{P}` the partition):
 * - the account's roles, and customer and AWS managed policies (a role may attach either);
 * - any bucket (a role may name any bucket, whose policy and tags are read): bucket ARNs carry no account;
 * - the account's agents in any region (a Bedrock subject is `bedrock:<region>/<agentId>`);
 * - `*` only where the Service Authorization Reference lists no resource type: ListRoles, ListAllMyBuckets,
 *   ListAgents (the unit test checks this against the IAM catalog).
 */
export const RECONCILE_GRANTS: { actions: string[]; resources: string[] }[] = [
  {
    actions: ['iam:GetRole', 'iam:GetRolePolicy', 'iam:ListRolePolicies', 'iam:ListAttachedRolePolicies'],
    resources: ['arn:{P}:iam::{A}:role/*'],
  },
  {
    actions: ['iam:GetPolicy', 'iam:GetPolicyVersion'],
    resources: ['arn:{P}:iam::{A}:policy/*', 'arn:{P}:iam::aws:policy/*'],
  },
  { actions: ['s3:GetBucketPolicy', 's3:GetBucketTagging'], resources: ['arn:{P}:s3:::*'] },
  {
    actions: [
      'bedrock:GetAgent',
      'bedrock:ListAgentActionGroups',
      'bedrock:GetAgentActionGroup',
      'bedrock:ListAgentKnowledgeBases',
      'bedrock:ListAgentCollaborators',
      'bedrock:ListTagsForResource',
    ],
    resources: ['arn:{P}:bedrock:*:{A}:agent/*'],
  },
  { actions: ['iam:ListRoles', 's3:ListAllMyBuckets', 'bedrock:ListAgents'], resources: ['*'] },
];

export interface ReconcileProps {
  /** Gives a function the store's data plane (Store.grantData). */
  grantStore: (f: WardenFunction) => void;
  retentionDays: number;
  environment: Record<string, string>;
  /** Makes the schedule's target (retried, dead-lettered: Operations.lambdaTarget). */
  target: (fn: WardenFunction, input: Record<string, unknown>) => events.IRuleTarget;
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
    props.grantStore(this.task);
    const { account, partition } = Stack.of(this);
    for (const g of RECONCILE_GRANTS) {
      const resources = g.resources.map((r) => r.replace('{P}', partition).replace('{A}', account));
      this.task.fn.addToRolePolicy(new iam.PolicyStatement({ actions: g.actions, resources }));
    }
    acknowledge(
      this.task,
      'AwsSolutions-IAM5[Resource::*]',
      'ListRoles, ListAllMyBuckets and ListAgents accept no resource ARN (X-Ray tracing likewise).',
    );
    // How cdk-nag names the account in a finding: the literal, or the pseudo parameter of an environment-agnostic stack.
    const acct = Token.isUnresolved(account) ? '<AWS::AccountId>' : account;
    for (const r of [
      `iam::${acct}:role/*`,
      `iam::${acct}:policy/*`,
      'iam::aws:policy/*',
      's3:::*',
      `bedrock:*:${acct}:agent/*`,
    ]) {
      acknowledge(
        this.task,
        `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:${r}]`,
        'Read-only: the roles, policies, buckets and agents are whatever the watched agents were given; scoped to the account where the ARN has one.',
      );
    }
    this.schedule = new events.Rule(this, 'Daily', {
      description: 'Warden: daily reconciliation',
      schedule: events.Schedule.rate(Duration.days(1)),
      targets: [props.target(this.task, {})],
    });
  }
}
