/**
 * `Warden`: the whole control plane as one construct, usable in a user's own CDK app:
 *
 * @example
 *   new Warden(stack, 'Warden', { clusterNames: ['prod'], buckets: { cloudtrail: { bucketName: 'org-trail' } } });
 *
 * It wires `Store` (table + key), `Ingestion` (queues, buckets, functions) and `Events` (bus + CloudTrail rule).
 * Later capabilities add their Lambdas with {@link Warden.addFunction}, which gives them the table and the bus.
 */
import { CfnOutput, Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import { AsyncFailures } from './async-failures.ts';
import { AuditAnchor } from './audit-anchor.ts';
import { Events } from './events.ts';
import { type AddFunctionProps, WardenFunction } from './function.ts';
import { Ingestion } from './ingestion.ts';
import { Operations } from './operations.ts';
import { DEFAULTS, isDriftMinutes, type WardenProps } from './props.ts';
import { Reconcile } from './reconcile.ts';
import { RolloutWorkflow } from './rollout-workflow.ts';
import { Store } from './store.ts';

export class Warden extends Construct {
  readonly store: Store;
  readonly ingestion: Ingestion;
  readonly events: Events;
  /** Where failed asynchronous invocations land after their retries (rule targets dead-letter to Failures). */
  readonly asyncFailures: AsyncFailures;
  readonly reconcile: Reconcile;
  /** The Object Lock bucket the audit chain is anchored in. */
  readonly auditAnchor: AuditAnchor;
  /** Hourly baseline and inventory refresh (lambdas/baseline). */
  readonly baselines: WardenFunction;
  /** Drift classification publishing "Warden Drift Detected" on the Warden bus (lambdas/drift). */
  readonly drift: WardenFunction;
  /** Minutes between scheduled drift runs; 0: a run on every ingest announcement and hourly (WardenProps). */
  readonly driftMinutes: number;
  /** The rollout state machine (always; GitHub only changes how changes are reviewed). */
  readonly rollout: RolloutWorkflow;
  /** Alarms, the dashboard, and the dead-letter queue of rule targets (Failures). */
  readonly operations: Operations;
  readonly retentionDays: number;
  /** Environment every Warden function gets: where the table and bus are, and the content policy. */
  readonly environment: Record<string, string>;
  /** Every function Warden deploys, by construct id (the alarms watch each). */
  readonly functions: Record<string, WardenFunction> = {};

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
    this.operations = new Operations(this, 'Operations', { alarmTopicArn: props.alarmTopicArn });
    const ops = this.operations;
    const grantStore = (f: WardenFunction) => this.store.grantData(f);
    this.ingestion = new Ingestion(this, 'Ingestion', {
      grantStore,
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
      objectBatchMinutes: props.objectBatchMinutes ?? DEFAULTS.objectBatchMinutes,
      target: (fn, input) => ops.lambdaTarget(fn, input),
    });
    this.asyncFailures = new AsyncFailures(this, 'AsyncFailures');
    this.auditAnchor = new AuditAnchor(this, 'AuditAnchor', {
      retentionDays: this.retentionDays,
      ...(props.auditAnchorMode ? { mode: props.auditAnchorMode } : {}),
      ...(this.ingestion.accessLogs ? { accessLogs: this.ingestion.accessLogs } : {}),
    });
    this.events = new Events(this, 'Events', { cloudTrailTarget: ops.queueTarget(this.ingestion.cloudTrail.queue) });
    this.reconcile = new Reconcile(this, 'Reconcile', {
      grantStore,
      retentionDays: this.retentionDays,
      environment: this.environment,
      target: (fn, input) => ops.lambdaTarget(fn, input),
    });
    this.baselines = this.addFunction('Baselines', {
      name: 'baseline',
      description: 'Warden: fold new aggregates into every subject baseline (convergence, aging, rate envelopes)',
      timeout: Duration.minutes(10),
      memorySize: 1024,
      reservedConcurrentExecutions: 1,
      publishes: false,
      // Baselines change no audit entry (drift and rollouts do).
      audits: false,
    });
    this.drift = this.addFunction('Drift', {
      name: 'drift',
      description: 'Warden: classify drift (evolution vs risky) and publish Warden Drift Detected',
      timeout: Duration.minutes(10),
      memorySize: 1024,
      reservedConcurrentExecutions: 1,
    });
    // Incremental drift deletes the dirty marks of the subjects it judged.
    this.store.grantDirtyClear(this.drift);
    const driftMinutes = props.driftMinutes ?? DEFAULTS.driftMinutes;
    if (!isDriftMinutes(driftMinutes))
      throw new Error(`driftMinutes must be 0 or a divisor of 60, not ${driftMinutes}`);
    this.driftMinutes = driftMinutes;
    const scheduled = (fid: string, description: string, every: Duration, f: WardenFunction) =>
      new events.Rule(this, fid, {
        description: `Warden: ${description}`,
        schedule: events.Schedule.rate(every),
        targets: [ops.lambdaTarget(f, {})],
      });
    scheduled('BaselinesHourly', 'hourly baseline refresh', Duration.hours(1), this.baselines);
    const ingest = this.ingestion;
    if (driftMinutes > 0) {
      // Drift on a schedule: a run judges only the subjects with new data (their dirty marks), so every delivery of
      // the last N minutes costs a subject one judgement, and a run with nothing new is one small query. The ingest
      // functions announce nothing (no bus, no PutEvents).
      const every = `drift classification every ${driftMinutes} minutes`;
      scheduled('DriftScheduled', every, Duration.minutes(driftMinutes), this.drift);
    } else {
      scheduled('DriftHourly', 'hourly drift classification', Duration.hours(1), this.drift);
      // Drift classification on ingest: the ingest functions announce stored observations on the Warden bus.
      for (const f of [ingest.ingestObjects, ingest.ingestEvents, ingest.ingestHttp, ingest.ingestLogs]) {
        if (!f) continue;
        f.fn.addEnvironment('WARDEN_BUS_NAME', this.events.bus.eventBusName);
        this.events.bus.grantPutEventsTo(f.fn);
      }
      new events.Rule(this, 'DriftOnIngest', {
        description: 'Warden: classify drift when new observations are stored',
        eventBus: this.events.bus,
        eventPattern: { source: ['warden'], detailType: ['Warden Observations Ingested'] },
        targets: [ops.lambdaTarget(this.drift, { sinceHours: 24 })],
      });
    }
    this.rollout = new RolloutWorkflow(this, 'Rollout', {
      addFunction: (fid, fprops) => this.addFunction(fid, fprops),
      retentionDays: this.retentionDays,
      retainData,
      accessLogs: ingest.accessLogs,
      ...props.rollout,
    });
    Object.assign(this.functions, {
      IngestObjects: ingest.ingestObjects,
      IngestEvents: ingest.ingestEvents,
      IngestHttp: ingest.ingestHttp,
      Backfill: ingest.backfill,
      ...(ingest.ingestLogs ? { IngestLogs: ingest.ingestLogs } : {}),
      Reconcile: this.reconcile.task,
    });
    // Invoked asynchronously (schedules, the objects drain, drift on ingest when configured, the Logs subscription,
    // on-demand backfill): after its retries a failed invocation is kept in AsyncFailures (rule targets that cannot
    // be reached go to Failures).
    const drained = ingest.objectsDrain ? ingest.ingestObjects : undefined;
    for (const f of [this.baselines, this.drift, this.reconcile.task, ingest.backfill, ingest.ingestLogs, drained]) {
      if (f) this.asyncFailures.protect(f.fn);
    }
    ops.watch({
      functions: this.functions,
      deadLetterQueues: {
        Objects: ingest.objects.dlq,
        CloudTrail: ingest.cloudTrail.dlq,
        RolloutWorker: this.rollout.queue.dlq,
        AsyncFailures: this.asyncFailures.queue,
      },
      drift: this.drift,
      driftMinutes: this.driftMinutes,
      ...(ingest.objectsDrain
        ? {
            drainedQueues: {
              Objects: {
                queue: ingest.objects.queue,
                periodMinutes: props.objectBatchMinutes ?? DEFAULTS.objectBatchMinutes,
              },
            },
          }
        : {}),
    });
    new CfnOutput(this, 'TableName', { value: this.store.table.tableName });
    new CfnOutput(this, 'BusName', { value: this.events.bus.eventBusName });
    new CfnOutput(this, 'AuditAnchorBucket', { value: this.auditAnchor.bucket.bucketName });
  }

  /**
   * Adds a capability's Lambda (code in `lambdas/<name>/handler.ts`) with the table (read/write), the bus (put,
   * unless `publishes: false`) and the Warden environment, e.g.
   * `warden.addFunction('Baseline', { name: 'baseline', description: '...' })`.
   */
  addFunction(id: string, props: AddFunctionProps): WardenFunction {
    const { publishes = true, audits = true, ...fprops } = props;
    const f = new WardenFunction(this, id, {
      retentionDays: this.retentionDays,
      ...fprops,
      environment: {
        ...this.environment,
        WARDEN_BUS_NAME: this.events.bus.eventBusName,
        ...(audits ? { WARDEN_AUDIT_ANCHOR_BUCKET: this.auditAnchor.bucket.bucketName } : {}),
        ...props.environment,
      },
    });
    this.store.grantData(f);
    // A function that appends to the audit chain anchors what it appends.
    if (audits) this.auditAnchor.grantAppend(f.fn);
    if (publishes) this.events.bus.grantPutEventsTo(f.fn);
    this.functions[id] = f;
    return f;
  }
}
