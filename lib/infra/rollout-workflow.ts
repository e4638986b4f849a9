/**
 * `RolloutWorkflow`: the rollout state machine (the one ASL definition from lib/core/rollout/definition.ts), always
 * deployed, with its worker queue and worker Lambda (every step is an SQS task-token request) and the bucket changes
 * are proposed in. How the IAM step is reviewed depends on GitHub being configured:
 * - with an IAM repository: a pull request per subject, answered by the `RolloutWebhook` (GitHub pull_request
 *   webhook, HMAC-verified, secret in Secrets Manager);
 * - without: the tightening is written to the `Proposals` bucket, a `Warden IAM Tightening Proposed` event goes out
 *   on the Warden bus, and the `RolloutApproval` function URL (AWS_IAM auth) or `warden rollout approve` answers.
 * Kubernetes artifacts go as pull requests to the GitOps repository, or to the bucket's `cluster/` prefix (a Flux
 * Bucket source) without one. IAM and the cluster are never changed directly.
 */
import { CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { rolloutDefinition } from '../core/rollout/definition.ts';
import { bucketBase } from './buckets.ts';
import { type AddFunction, logRetention, type WardenFunction } from './function.ts';
import { acknowledge, arnWildcard } from './nag.ts';
import type { RolloutGitHub } from './props.ts';
import { QueueWithDlq } from './queue.ts';

export interface RolloutWorkflowProps extends RolloutGitHub {
  /** Adds a Warden function with table (and, unless `publishes: false`, bus) access (Warden.addFunction). */
  addFunction: AddFunction;
  retentionDays: number;
  retainData: boolean;
  /** Where the proposals bucket writes its server access logs. */
  accessLogs: s3.IBucket;
}

export class RolloutWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly worker: WardenFunction;
  readonly queue: QueueWithDlq;
  /** IAM proposals (`proposals/`) and Kubernetes manifests (`cluster/`) when no repository takes them. */
  readonly proposals: s3.Bucket;
  readonly webhook?: WardenFunction;
  readonly webhookUrl?: lambda.FunctionUrl;
  readonly approval?: WardenFunction;
  readonly approvalUrl?: lambda.FunctionUrl;
  readonly secret?: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: RolloutWorkflowProps) {
    super(scope, id);
    this.proposals = new s3.Bucket(this, 'Proposals', {
      ...bucketBase(props.retainData),
      // Every version of a proposal or manifest set stays readable: what was proposed is evidence.
      versioned: true,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'proposals/',
    });
    const github = Boolean(props.iamRepository || props.gitOpsRepository);
    if (github) {
      this.secret = props.githubSecretArn
        ? secretsmanager.Secret.fromSecretCompleteArn(this, 'GitHubSecret', props.githubSecretArn)
        : new secretsmanager.Secret(this, 'GitHubSecret', {
            description: 'Warden rollout: {"token": GitHub token, "webhookSecret": pull_request webhook secret}',
            removalPolicy: RemovalPolicy.DESTROY,
          });
      if (!props.githubSecretArn) {
        acknowledge(
          this.secret,
          'AwsSolutions-SMG4',
          'A GitHub token and webhook secret are rotated in GitHub, not by a Secrets Manager rotation Lambda.',
        );
      }
    }
    this.queue = new QueueWithDlq(this, 'Worker', { visibilityTimeout: Duration.minutes(30) });
    const environment: Record<string, string> = {
      WARDEN_PROPOSALS_BUCKET: this.proposals.bucketName,
      ...(this.secret ? { WARDEN_GITHUB_SECRET_ARN: this.secret.secretArn } : {}),
      ...(props.iamRepository ? { WARDEN_IAM_REPO: props.iamRepository } : {}),
      ...(props.gitOpsRepository ? { WARDEN_GITOPS_REPO: props.gitOpsRepository } : {}),
      ...(props.githubApiUrl ? { WARDEN_GITHUB_API: props.githubApiUrl } : {}),
    };
    this.worker = props.addFunction('RolloutWorker', {
      name: 'rollout-worker',
      iamData: true,
      description: 'Warden: runs rollout steps (generate, monitor, blast radius, enforce, rollback, IAM review)',
      timeout: Duration.minutes(5),
      environment,
    });
    this.worker.fn.addEventSource(
      new SqsEventSource(this.queue.queue, { batchSize: 1, reportBatchItemFailures: true }),
    );
    this.grantProposals(this.worker.fn.role!, props);

    if (props.iamRepository) {
      this.webhook = props.addFunction('RolloutWebhook', {
        name: 'rollout-webhook',
        description: 'Warden: GitHub pull_request webhook answering the IAM review task token',
        timeout: Duration.seconds(30),
        environment,
        publishes: false,
      });
      // GitHub cannot sign with SigV4: the URL is public and every delivery is verified by its HMAC signature.
      this.webhookUrl = this.webhook.fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
    } else {
      this.approval = props.addFunction('RolloutApproval', {
        name: 'rollout-approval',
        description: 'Warden: approval of proposed IAM tightenings (SigV4-signed callers) answering the task token',
        timeout: Duration.seconds(30),
        environment,
        publishes: false,
      });
      // Who may approve is an IAM decision: lambda:InvokeFunctionUrl on this function.
      this.approvalUrl = this.approval.fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
    }
    // GetSecretValue only (a read grant would add DescribeSecret, which nothing calls).
    for (const f of [this.worker, this.webhook].filter((x) => x !== undefined)) {
      if (this.secret)
        f.fn.addToRolePolicy(
          new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [this.secret.secretArn] }),
        );
    }

    const logGroup = new logs.LogGroup(this, 'StateMachineLogs', {
      retention: logRetention(props.retentionDays),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromString(
        JSON.stringify(rolloutDefinition({ workerQueueUrl: this.queue.queue.queueUrl })),
      ),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    this.queue.queue.grantSendMessages(this.stateMachine);
    // AWS evaluates SendTask* against the state machine the token belongs to (the Service Authorization Reference
    // lists no resource type; see docs/operations.md "IAM"); the grant names this state machine only.
    // The worker answers success or failure; the review callbacks only ever continue a rollout. No heartbeats.
    const answers: [WardenFunction | undefined, string[]][] = [
      [this.worker, ['states:SendTaskSuccess', 'states:SendTaskFailure']],
      [this.webhook, ['states:SendTaskSuccess']],
      [this.approval, ['states:SendTaskSuccess']],
    ];
    for (const [f, actions] of answers) {
      f?.fn.addToRolePolicy(new iam.PolicyStatement({ actions, resources: [this.stateMachine.stateMachineArn] }));
    }
    acknowledge(
      this.stateMachine,
      'AwsSolutions-IAM5[Resource::*]',
      'Step Functions log delivery (logs:*LogDelivery, PutResourcePolicy, Describe*) and X-Ray accept no resource ARN.',
    );
    const outputs: [string, string | undefined][] = [
      ['RolloutStateMachineArn', this.stateMachine.stateMachineArn],
      ['ProposalsBucketName', this.proposals.bucketName],
      ['RolloutWebhookUrl', this.webhookUrl?.url],
      ['RolloutApprovalUrl', this.approvalUrl?.url],
    ];
    for (const [oid, value] of outputs) if (value) new CfnOutput(Stack.of(this), oid, { value });
  }

  /** PutObject on the proposal prefixes, DeleteObject where manifest sets are replaced; nothing else. */
  private grantProposals(role: iam.IRole, props: RolloutGitHub): void {
    const prefixes = [
      ...(props.iamRepository ? [] : ['proposals/*']),
      ...(props.gitOpsRepository ? [] : ['cluster/*']),
    ];
    if (prefixes.length === 0) return;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: prefixes.map((p) => this.proposals.arnForObjects(p)),
      }),
    );
    if (!props.gitOpsRepository) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['s3:DeleteObject'],
          resources: [this.proposals.arnForObjects('cluster/*')],
        }),
      );
    }
    for (const p of prefixes) {
      acknowledge(
        this.worker,
        arnWildcard(this.proposals.node.defaultChild as s3.CfnBucket, `/${p}`),
        'Proposal and manifest keys are named per rollout and subject at run time; the grant is limited to the prefix.',
      );
    }
  }
}
