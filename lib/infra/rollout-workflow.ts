/**
 * `RolloutWorkflow`: the rollout state machine (the one ASL definition from lib/core/rollout/definition.ts), its
 * worker queue and worker Lambda (every step is an SQS task-token request), and the GitHub review webhook that
 * answers the IAM pull request step. IAM is never changed directly: the worker only opens pull requests.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { rolloutDefinition } from '../core/rollout/definition.ts';
import { logRetention, type WardenFunction } from './function.ts';
import { acknowledge } from './nag.ts';
import { QueueWithDlq } from './queue.ts';

export interface RolloutWorkflowProps {
  /** Adds a Warden function with table and bus access (Warden.addFunction). */
  addFunction: (
    id: string,
    props: {
      name: string;
      description: string;
      timeout?: Duration;
      environment?: Record<string, string>;
      iamData?: boolean;
    },
  ) => WardenFunction;
  retentionDays: number;
  /** Repository receiving IAM tightening pull requests (`owner/repo`). */
  iamRepository: string;
  /** GitOps repository receiving the Kubernetes artifacts (`owner/repo`). */
  gitOpsRepository: string;
  /** Existing secret `{ "token", "webhookSecret" }`; created (empty, to be filled) when omitted. */
  githubSecretArn?: string;
  /** GitHub Enterprise API URL. */
  githubApiUrl?: string;
}

export class RolloutWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly worker: WardenFunction;
  readonly webhook: WardenFunction;
  readonly webhookUrl: lambda.FunctionUrl;
  readonly queue: QueueWithDlq;
  readonly secret: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: RolloutWorkflowProps) {
    super(scope, id);
    this.secret = props.githubSecretArn
      ? secretsmanager.Secret.fromSecretCompleteArn(this, 'GitHubSecret', props.githubSecretArn)
      : new secretsmanager.Secret(this, 'GitHubSecret', {
          description: 'Warden rollout: {"token": GitHub token, "webhookSecret": pull_request webhook secret}',
          removalPolicy: RemovalPolicy.DESTROY,
        });
    this.queue = new QueueWithDlq(this, 'Worker', { visibilityTimeout: Duration.minutes(30) });
    const environment = {
      WARDEN_GITHUB_SECRET_ARN: this.secret.secretArn,
      WARDEN_IAM_REPO: props.iamRepository,
      WARDEN_GITOPS_REPO: props.gitOpsRepository,
      ...(props.githubApiUrl ? { WARDEN_GITHUB_API: props.githubApiUrl } : {}),
    };
    this.worker = props.addFunction('RolloutWorker', {
      name: 'rollout-worker',
      iamData: true,
      description: 'Warden: runs rollout steps (generate, monitor, blast radius, enforce, rollback, IAM PR)',
      timeout: Duration.minutes(5),
      environment,
    });
    this.worker.fn.addEventSource(
      new SqsEventSource(this.queue.queue, { batchSize: 1, reportBatchItemFailures: true }),
    );
    this.webhook = props.addFunction('RolloutWebhook', {
      name: 'rollout-webhook',
      iamData: true,
      description: 'Warden: GitHub pull_request webhook answering the IAM review task token',
      timeout: Duration.seconds(30),
      environment,
    });
    // GitHub cannot sign with SigV4: the URL is public and every delivery is verified by its HMAC signature.
    this.webhookUrl = this.webhook.fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
    this.secret.grantRead(this.worker.fn);
    this.secret.grantRead(this.webhook.fn);

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
    this.stateMachine.grantTaskResponse(this.worker.fn);
    this.stateMachine.grantTaskResponse(this.webhook.fn);
    acknowledge(
      this.stateMachine,
      'AwsSolutions-IAM5[Resource::*]',
      'Step Functions log delivery (logs:*LogDelivery, PutResourcePolicy, Describe*) and X-Ray accept no resource ARN.',
    );
    if (!props.githubSecretArn) {
      acknowledge(
        this.secret,
        'AwsSolutions-SMG4',
        'A GitHub token and webhook secret are rotated in GitHub, not by a Secrets Manager rotation Lambda.',
      );
    }
  }
}
