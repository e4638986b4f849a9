/**
 * `Warden`: the whole control plane as one construct, usable in a user's own CDK app:
 *
 * @example
 *   new Warden(stack, 'Warden', { clusterNames: ['prod'], buckets: { cloudtrail: { bucketName: 'org-trail' } } });
 *
 * It wires `Store` (table + key), `Ingestion` (queues, buckets, functions) and `Events` (bus + CloudTrail rule).
 * Later capabilities add their Lambdas with {@link Warden.addFunction}, which gives them the table and the bus.
 */
import { CfnOutput, type CfnResource, Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import { AsyncFailures } from './async-failures.ts';
import { AuditAnchor } from './audit-anchor.ts';
import { Events } from './events.ts';
import { WardenFunction, type WardenFunctionProps } from './function.ts';
import { Ingestion } from './ingestion.ts';
import { acknowledgeTableGrant } from './nag.ts';
import { DEFAULTS, type WardenProps } from './props.ts';
import { Reconcile } from './reconcile.ts';
import { RolloutWorkflow } from './rollout-workflow.ts';
import { Store } from './store.ts';

export class Warden extends Construct {
  readonly store: Store;
  readonly ingestion: Ingestion;
  readonly events: Events;
  /** Where failed asynchronous invocations and undeliverable rule targets land. */
  readonly asyncFailures: AsyncFailures;
  readonly reconcile: Reconcile;
  /** The Object Lock bucket the audit chain is anchored in. */
  readonly auditAnchor: AuditAnchor;
  /** Hourly baseline and inventory refresh (lambdas/baseline). */
  readonly baselines: WardenFunction;
  /** Hourly drift classification publishing "Warden Drift Detected" on the Warden bus (lambdas/drift). */
  readonly drift: WardenFunction;
  /** The rollout state machine, when `rollout` is configured (it needs the GitHub repositories). */
  readonly rollout?: RolloutWorkflow;
  readonly retentionDays: number;
  /** Environment every Warden function gets: where the table and bus are, and the content policy. */
  readonly environment: Record<string, string>;

  constructor(scope: Construct, id: string, props: WardenProps = {}) {
    super(scope, id);
    this.retentionDays = props.retentionDays ?? DEFAULTS.retentionDays;
    const retainData = props.retainData ?? DEFAULTS.retainData;
    this.store = new Store(this, 'Store', { retainData });
    this.environment = {
      WARDEN_TABLE_NAME: this.store.table.tableName,
      WARDEN_PROMPT_CONTENT: props.promptContent ?? DEFAULTS.promptContent,
      WARDEN_RETENTION_DAYS: String(this.retentionDays),
      WARDEN_CLUSTERS: (props.clusterNames ?? []).join(','),
    };
    this.ingestion = new Ingestion(this, 'Ingestion', {
      table: this.store.table,
      tableResource: this.store.table.node.defaultChild as CfnResource,
      buckets: props.buckets ?? {},
      retentionDays: this.retentionDays,
      retainData,
      promptContent: props.promptContent ?? DEFAULTS.promptContent,
      maxPayloadBytes: props.maxPayloadBytes ?? DEFAULTS.maxPayloadBytes,
      bedrockInvocationLogGroupName: props.bedrockInvocationLogGroupName,
      environment: this.environment,
      ...(props.ingestPrincipals ? { ingestPrincipals: props.ingestPrincipals } : {}),
      ...(props.clusterNames ? { clusterNames: props.clusterNames } : {}),
      ...(props.trustedAccounts ? { trustedAccounts: props.trustedAccounts } : {}),
      ...(props.ingestQuotaPerHour ? { ingestQuotaPerHour: props.ingestQuotaPerHour } : {}),
    });
    this.asyncFailures = new AsyncFailures(this, 'AsyncFailures');
    this.events = new Events(this, 'Events', {
      cloudTrailQueue: this.ingestion.cloudTrail.queue,
      deadLetterQueue: this.ingestion.cloudTrail.dlq,
    });
    this.auditAnchor = new AuditAnchor(this, 'AuditAnchor', {
      retentionDays: this.retentionDays,
      ...(props.auditAnchorMode ? { mode: props.auditAnchorMode } : {}),
      ...(this.ingestion.accessLogs ? { accessLogs: this.ingestion.accessLogs } : {}),
    });
    this.reconcile = new Reconcile(this, 'Reconcile', {
      table: this.store.table,
      tableResource: this.store.table.node.defaultChild as CfnResource,
      retentionDays: this.retentionDays,
      environment: this.environment,
      deadLetterQueue: this.asyncFailures.queue,
    });
    this.baselines = this.addFunction('Baselines', {
      name: 'baseline',
      description: 'Warden: fold new aggregates into every subject baseline (convergence, aging, rate envelopes)',
      timeout: Duration.minutes(10),
      memorySize: 1024,
      reservedConcurrentExecutions: 1,
    });
    this.drift = this.addFunction('Drift', {
      name: 'drift',
      description: 'Warden: classify drift (evolution vs risky) and publish Warden Drift Detected',
      timeout: Duration.minutes(10),
      memorySize: 1024,
      reservedConcurrentExecutions: 1,
    });
    for (const [fid, f, what] of [
      ['BaselinesHourly', this.baselines, 'baseline refresh'],
      ['DriftHourly', this.drift, 'drift classification'],
    ] as const) {
      new events.Rule(this, fid, {
        description: `Warden: hourly ${what}`,
        schedule: events.Schedule.rate(Duration.hours(1)),
        targets: [
          new targets.LambdaFunction(f.fn, {
            event: events.RuleTargetInput.fromObject({}),
            deadLetterQueue: this.asyncFailures.queue,
          }),
        ],
      });
    }
    // Drift classification on ingest: the ingest functions announce stored observations on the Warden bus.
    for (const f of [
      this.ingestion.ingestObjects,
      this.ingestion.ingestEvents,
      this.ingestion.ingestHttp,
      this.ingestion.ingestLogs,
    ]) {
      if (!f) continue;
      f.fn.addEnvironment('WARDEN_BUS_NAME', this.events.bus.eventBusName);
      this.events.bus.grantPutEventsTo(f.fn);
    }
    // Invoked asynchronously (schedules, the ingest rule, the CloudWatch Logs subscription): a failure is kept.
    for (const f of [this.baselines, this.drift, this.reconcile.task, this.ingestion.ingestLogs])
      if (f) this.asyncFailures.protect(f.fn);
    new events.Rule(this, 'DriftOnIngest', {
      description: 'Warden: classify drift when new observations are stored',
      eventBus: this.events.bus,
      eventPattern: { source: ['warden'], detailType: ['Warden Observations Ingested'] },
      targets: [
        new targets.LambdaFunction(this.drift.fn, {
          event: events.RuleTargetInput.fromObject({ sinceHours: 24 }),
          deadLetterQueue: this.asyncFailures.queue,
        }),
      ],
    });
    if (props.rollout) {
      this.rollout = new RolloutWorkflow(this, 'Rollout', {
        addFunction: (fid, fprops) => this.addFunction(fid, fprops),
        retentionDays: this.retentionDays,
        ...props.rollout,
      });
      new CfnOutput(this, 'RolloutStateMachineArn', { value: this.rollout.stateMachine.stateMachineArn });
      new CfnOutput(this, 'RolloutWebhookUrl', { value: this.rollout.webhookUrl.url });
    }
    new CfnOutput(this, 'TableName', { value: this.store.table.tableName });
    new CfnOutput(this, 'BusName', { value: this.events.bus.eventBusName });
    new CfnOutput(this, 'AuditAnchorBucket', { value: this.auditAnchor.bucket.bucketName });
  }

  /**
   * Adds a capability's Lambda (code in `lambdas/<name>/handler.ts`) with the table (read/write), the bus (put)
   * and the Warden environment, e.g. `warden.addFunction('Baseline', { name: 'baseline', description: '...' })`.
   */
  addFunction(
    id: string,
    props: Omit<WardenFunctionProps, 'retentionDays'> & { retentionDays?: number },
  ): WardenFunction {
    const f = new WardenFunction(this, id, {
      retentionDays: this.retentionDays,
      ...props,
      environment: {
        ...this.environment,
        WARDEN_BUS_NAME: this.events.bus.eventBusName,
        WARDEN_AUDIT_ANCHOR_BUCKET: this.auditAnchor.bucket.bucketName,
        ...props.environment,
      },
    });
    this.store.table.grantReadWriteData(f.fn);
    // Every capability function may append to the audit chain, so each anchors what it appends.
    this.auditAnchor.grantAppend(f.fn);
    acknowledgeTableGrant(f, this.store.table.node.defaultChild as CfnResource);
    this.events.bus.grantPutEventsTo(f.fn);
    return f;
  }
}
