/**
 * `Operations`: what the engineer running Warden watches (docs/operations.md).
 * - `Failures`: the dead-letter queue of every EventBridge rule target (schedules, drift on ingest when configured,
 *   the CloudTrail rule): an event that could not be delivered after its retries parks here for 14 days instead of
 *   vanishing. Failed asynchronous invocations have their own queue (`AsyncFailures`, lib/infra/async-failures.ts).
 * - Alarms: messages in any DLQ; errors and sustained throttling of every function; the ingest quarantine rate; the
 *   age of the last successful drift run. Each notifies the optional SNS topic (`alarmTopicArn`) on alarm and on OK.
 * - A dashboard with ingest volume, quarantine, drift, Lambda health and DLQ depth.
 * Create it before the rules (they need `Failures`), then call {@link Operations.watch} once everything exists.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { WardenFunction } from './function.ts';
import { acknowledge } from './nag.ts';

/** Retries and event age for rule targets: a transient failure is retried for hours. */
const RETRY_ATTEMPTS = 4;
const MAX_EVENT_AGE = Duration.hours(6);
/** Quarantined share of ingested records (percent, per hour) above which a source has likely changed format. */
export const QUARANTINE_RATE_PERCENT = 5;
/**
 * Hours without a successful drift run before alarming, for a schedule every `driftMinutes` (0: hourly and on
 * ingest): at least two scheduled runs missed, counted over whole hours, whatever the schedule's phase.
 */
export function driftRunAgeHours(driftMinutes: number): number {
  return driftMinutes === 0 ? 2 : Math.ceil((2 * driftMinutes) / 60);
}

export interface OperationsProps {
  alarmTopicArn?: string;
}

export interface Watched {
  /** Every Warden function, by a readable name. */
  functions: Record<string, WardenFunction>;
  /** Every dead-letter queue, by a readable name (Failures is added). */
  deadLetterQueues: Record<string, sqs.IQueue>;
  /** The drift function: its last successful run must be recent. */
  drift: WardenFunction;
  /** Minutes between its scheduled runs (0: hourly, and on ingest). */
  driftMinutes: number;
  /** Queues a schedule drains, by name, with its period: their oldest message must be younger than three periods. */
  drainedQueues?: Record<string, { queue: sqs.IQueue; periodMinutes: number }>;
}

export class Operations extends Construct {
  readonly failures: sqs.Queue;
  readonly topic?: sns.ITopic;
  readonly alarms: cloudwatch.Alarm[] = [];
  dashboard?: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: OperationsProps = {}) {
    super(scope, id);
    this.failures = new sqs.Queue(this, 'Failures', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(this.failures, 'AwsSolutions-SQS3', 'This queue is itself the dead-letter queue of the rule targets.');
    if (props.alarmTopicArn) this.topic = sns.Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn);
  }

  /** A rule target invoking `fn` with `input`, retried and dead-lettered to `Failures`. */
  lambdaTarget(fn: WardenFunction, input: Record<string, unknown>): targets.LambdaFunction {
    return new targets.LambdaFunction(fn.fn, {
      event: events.RuleTargetInput.fromObject(input),
      deadLetterQueue: this.failures,
      retryAttempts: RETRY_ATTEMPTS,
      maxEventAge: MAX_EVENT_AGE,
    });
  }

  /** A rule target sending to `queue`, retried and dead-lettered to `Failures`. */
  queueTarget(queue: sqs.IQueue): targets.SqsQueue {
    return new targets.SqsQueue(queue, {
      deadLetterQueue: this.failures,
      retryAttempts: RETRY_ATTEMPTS,
      maxEventAge: MAX_EVENT_AGE,
    });
  }

  /** Creates the alarms and the dashboard. */
  watch(w: Watched): void {
    const dlqs = { ...w.deadLetterQueues, Failures: this.failures };
    for (const [name, q] of Object.entries(dlqs)) {
      this.alarm(`${name}DlqMessages`, `Warden: messages in the ${name} dead-letter queue`, {
        metric: q.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
        threshold: 1,
      });
    }
    for (const [name, f] of Object.entries(w.functions)) {
      this.alarm(`${name}Errors`, `Warden: ${name} function errors`, {
        metric: f.fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: 1,
      });
      // A single throttle is normal for a concurrency-1 task; 15 minutes of it means runs queue up.
      this.alarm(`${name}Throttles`, `Warden: ${name} throttled for 15 minutes`, {
        metric: f.fn.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: 1,
        evaluationPeriods: 3,
      });
    }
    for (const [name, { queue, periodMinutes }] of Object.entries(w.drainedQueues ?? {})) {
      // One failed drain leaves messages for the next; three periods without one succeeding means ingest has stopped.
      this.alarm(`${name}QueueAge`, `Warden: ${name} queue not drained for ${3 * periodMinutes} minutes`, {
        metric: queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: 'Maximum' }),
        threshold: 3 * periodMinutes * 60,
      });
    }
    const ingested = this.wardenMetric('Observations');
    const quarantined = this.wardenMetric('Quarantined');
    const rate = new cloudwatch.MathExpression({
      expression: '100 * FILL(q, 0) / MAX([FILL(q, 0) + FILL(o, 0), 1])',
      usingMetrics: { q: quarantined, o: ingested },
      period: Duration.hours(1),
      label: 'quarantined %',
    });
    this.alarm('IngestQuarantineRate', `Warden: over ${QUARANTINE_RATE_PERCENT}% of ingested records quarantined`, {
      metric: rate,
      threshold: QUARANTINE_RATE_PERCENT,
      comparison: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    // Successful runs per hour = invocations - errors; none for `ageHours` hours means stale drift.
    const ageHours = driftRunAgeHours(w.driftMinutes);
    const driftRuns = new cloudwatch.MathExpression({
      expression: 'FILL(i, 0) - FILL(e, 0)',
      usingMetrics: {
        i: w.drift.fn.metricInvocations({ period: Duration.hours(1), statistic: 'Sum' }),
        e: w.drift.fn.metricErrors({ period: Duration.hours(1), statistic: 'Sum' }),
      },
      period: Duration.hours(1),
      label: 'successful drift runs',
    });
    this.alarm('DriftRunAge', `Warden: no successful drift run for ${ageHours} hour${ageHours > 1 ? 's' : ''}`, {
      metric: driftRuns,
      threshold: 1,
      comparison: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: ageHours,
      missing: cloudwatch.TreatMissingData.BREACHING,
    });
    this.dashboard = this.buildDashboard(w, dlqs, rate, driftRuns);
  }

  private wardenMetric(name: string): cloudwatch.Metric {
    // Powertools Metrics: namespace POWERTOOLS_METRICS_NAMESPACE, default dimension `service`.
    return new cloudwatch.Metric({
      namespace: 'Warden',
      metricName: name,
      dimensionsMap: { service: 'warden' },
      statistic: 'Sum',
      period: Duration.hours(1),
    });
  }

  private alarm(
    id: string,
    description: string,
    o: {
      metric: cloudwatch.IMetric;
      threshold: number;
      evaluationPeriods?: number;
      comparison?: cloudwatch.ComparisonOperator;
      missing?: cloudwatch.TreatMissingData;
    },
  ): void {
    const a = new cloudwatch.Alarm(this, id, {
      alarmDescription: description,
      metric: o.metric,
      threshold: o.threshold,
      evaluationPeriods: o.evaluationPeriods ?? 1,
      comparisonOperator: o.comparison ?? cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: o.missing ?? cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (this.topic) {
      a.addAlarmAction(new actions.SnsAction(this.topic));
      a.addOkAction(new actions.SnsAction(this.topic));
    }
    this.alarms.push(a);
  }

  private buildDashboard(
    w: Watched,
    dlqs: Record<string, sqs.IQueue>,
    rate: cloudwatch.IMetric,
    driftRuns: cloudwatch.IMetric,
  ): cloudwatch.Dashboard {
    const fns = Object.entries(w.functions);
    const perFunction = (title: string, m: (f: WardenFunction) => cloudwatch.Metric) =>
      new cloudwatch.GraphWidget({
        title,
        width: 12,
        left: fns.map(([name, f]) => m(f).with({ label: name })),
      });
    const d = new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.days(1) });
    d.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Ingested and quarantined records',
        width: 12,
        left: [this.wardenMetric('Observations'), this.wardenMetric('Quarantined')],
        right: [rate],
      }),
      new cloudwatch.GraphWidget({
        title: 'Drift: items, risky, successful runs',
        width: 12,
        left: [this.wardenMetric('DriftItems'), this.wardenMetric('RiskyDrift')],
        right: [driftRuns],
      }),
    );
    d.addWidgets(
      perFunction('Errors', (f) => f.fn.metricErrors({ period: Duration.minutes(5) })),
      perFunction('Throttles', (f) => f.fn.metricThrottles({ period: Duration.minutes(5) })),
    );
    d.addWidgets(
      perFunction('Duration p99', (f) => f.fn.metricDuration({ period: Duration.minutes(5), statistic: 'p99' })),
      new cloudwatch.GraphWidget({
        title: 'Dead-letter queue depth',
        width: 12,
        left: Object.entries(dlqs).map(([name, q]) =>
          q.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), label: name }),
        ),
      }),
    );
    d.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Warden alarms', width: 24, alarms: this.alarms }));
    return d;
  }
}
