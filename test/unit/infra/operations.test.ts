/**
 * Operability in the construct: an alarm for every dead-letter queue, errors and sustained throttles of every
 * function, the ingest quarantine rate and the drift run age; every rule target and asynchronous invocation
 * dead-lettered; a dashboard; the optional SNS topic on every alarm; cdk-nag clean with it.
 */
import type { App } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { driftRunAgeHours, QUARANTINE_RATE_PERCENT } from '../../../lib/infra/operations.ts';
import { defaultStack, nagFindings, stackWith, templateOf } from './synth.ts';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:warden-oncall';
let def: Template;
let topic: { app: App; t: Template };

beforeAll(() => {
  def = templateOf(defaultStack().stack);
  const s = stackWith('WardenAlarms', { alarmTopicArn: TOPIC, bedrockInvocationLogGroupName: '/aws/bedrock/x' });
  topic = { app: s.app, t: templateOf(s.stack) };
});

type Alarm = { Properties: Record<string, unknown> };
const alarms = (t: Template) => Object.entries(t.findResources('AWS::CloudWatch::Alarm')) as [string, Alarm][];
const byId = (t: Template, fragment: string) => alarms(t).filter(([id]) => id.includes(fragment));

describe('alarms', () => {
  it('one per dead-letter queue, on visible messages', () => {
    const dlq = byId(def, 'DlqMessages');
    expect(dlq.map(([id]) => id.replace(/^WardenOperations|DlqMessages.*$/g, '')).sort()).toEqual([
      'AsyncFailures',
      'CloudTrail',
      'Failures',
      'Objects',
      'RolloutWorker',
    ]);
    for (const [, a] of dlq)
      expect(a.Properties).toMatchObject({
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Namespace: 'AWS/SQS',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
  });

  it('errors and 15 minutes of throttles for every function', () => {
    const functions = Object.keys(def.findResources('AWS::Lambda::Function')).length;
    expect(byId(def, 'Errors')).toHaveLength(functions);
    const throttles = byId(def, 'Throttles');
    expect(throttles).toHaveLength(functions);
    for (const [, a] of throttles)
      expect(a.Properties).toMatchObject({ MetricName: 'Throttles', EvaluationPeriods: 3 });
  });

  it('the quarantine rate over an hour, from the ingest functions’ Powertools metrics', () => {
    const [[, a]] = byId(def, 'IngestQuarantineRate') as [[string, Alarm]];
    expect(a.Properties).toMatchObject({
      Threshold: QUARANTINE_RATE_PERCENT,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    const metrics = JSON.stringify(a.Properties.Metrics);
    for (const name of ['Quarantined', 'Observations']) expect(metrics).toContain(`"MetricName":"${name}"`);
    expect(metrics).toContain('"Namespace":"Warden"');
    expect(metrics).toContain('"Period":3600');
  });

  it('no successful drift run for an hour on the 15-minute schedule (missing data counts as none)', () => {
    const [[, a]] = byId(def, 'DriftRunAge') as [[string, Alarm]];
    expect(a.Properties).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 1,
      AlarmDescription: 'Warden: no successful drift run for 1 hour',
      TreatMissingData: 'breaching',
    });
    expect(JSON.stringify(a.Properties.Metrics)).toMatch(/Invocations.*Errors|Errors.*Invocations/);
  });

  it('notify nobody by default, and the SNS topic on alarm and OK when given', () => {
    for (const [, a] of alarms(def)) expect(a.Properties.AlarmActions).toBeUndefined();
    const all = alarms(topic.t);
    expect(all.length).toBeGreaterThan(20);
    for (const [, a] of all) {
      expect(a.Properties.AlarmActions).toEqual([TOPIC]);
      expect(a.Properties.OKActions).toEqual([TOPIC]);
    }
  });
});

describe('dead-lettered asynchronous paths', () => {
  it('the CloudWatch Logs subscriber and the scheduled tasks send failed invocations to AsyncFailures', () => {
    const configs = Object.values(topic.t.findResources('AWS::Lambda::EventInvokeConfig'));
    // Baselines, Drift, Reconcile, Backfill, IngestLogs, IngestObjects (the objects drain's schedule)
    expect(configs).toHaveLength(6);
    const targets = configs.map((c) => JSON.stringify(c.Properties.FunctionName));
    expect(targets.some((t) => t.includes('IngestLogs'))).toBe(true);
  });
});

describe('dashboard', () => {
  it('shows ingest, quarantine, drift, Lambda health and DLQ depth', () => {
    const [d] = Object.values(def.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(d!.Properties.DashboardBody);
    for (const title of ['Ingested and quarantined records', 'Drift', 'Errors', 'Throttles', 'Dead-letter queue depth'])
      expect(body).toContain(title);
  });
});

describe('cdk-nag', () => {
  it('finds nothing unacknowledged with the alarm topic and the Logs subscription on', () => {
    expect(nagFindings(topic.app)).toEqual([]);
  });
});
