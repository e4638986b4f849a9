/**
 * `warden:driftMinutes`: above 0 (default 15) a schedule runs Drift every N minutes (retried, dead-lettered,
 * asynchronous failures kept) and the ingest functions have neither the bus nor PutEvents, so they announce nothing;
 * 0 keeps the previous template: Drift hourly and on every `Warden Observations Ingested` announcement. The drift run
 * age alarm follows the cadence.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { driftRunAgeHours } from '../../../lib/infra/operations.ts';
import { DEFAULTS, propsFromContext } from '../../../lib/infra/props.ts';
import { defaultStack, nagFindings, stackWith, templateOf } from './synth.ts';

type Res = {
  Properties: {
    ScheduleExpression?: string;
    EventPattern?: unknown;
    Targets?: { Arn?: unknown; Input?: string }[];
    Environment?: { Variables: Record<string, unknown> };
    PolicyDocument?: { Statement: { Action: string | string[]; Resource: unknown }[] };
    Roles?: { Ref: string }[];
    EvaluationPeriods?: number;
    AlarmDescription?: string;
    FunctionName?: { Ref: string };
  };
};
const INGEST = ['IngestObjects', 'IngestEvents', 'IngestHttp', 'IngestLogs'];
const LOGS = { bedrockInvocationLogGroupName: '/aws/bedrock/invocations' };

let def: Template;
let onIngest: Template;
let hourly: Template;
let onIngestFindings: string[];

const of = (t: Template, type: string) => Object.entries(t.findResources(type) as Record<string, Res>);
const fnId = (t: Template, name: string) =>
  of(t, 'AWS::Lambda::Function').find(([id]) => id.includes(`${name}Function`))![0];
const rules = (t: Template) => of(t, 'AWS::Events::Rule').map(([, r]) => r.Properties);
/** Rules whose target is the function. */
const rulesOf = (t: Template, name: string) =>
  rules(t).filter((r) => JSON.stringify(r.Targets).includes(`"${fnId(t, name)}"`));
/** Actions granted to the function's role. */
const actionsOf = (t: Template, name: string) => {
  const role = (t.findResources('AWS::Lambda::Function')[fnId(t, name)] as { Properties: { Role: unknown } }).Properties
    .Role as { 'Fn::GetAtt': string[] };
  return of(t, 'AWS::IAM::Policy')
    .filter(([, p]) => p.Properties.Roles?.some((r) => r.Ref === role['Fn::GetAtt'][0]))
    .flatMap(([, p]) => p.Properties.PolicyDocument!.Statement.flatMap((s) => ([] as string[]).concat(s.Action)));
};
const envOf = (t: Template, name: string) =>
  (t.findResources('AWS::Lambda::Function')[fnId(t, name)] as Res).Properties.Environment!.Variables;
const ageAlarm = (t: Template) => of(t, 'AWS::CloudWatch::Alarm').find(([id]) => id.includes('DriftRunAge'))![1];

beforeAll(() => {
  def = templateOf(stackWith('WardenDefault', LOGS).stack);
  const s = stackWith('WardenOnIngest', { ...LOGS, driftMinutes: 0 });
  onIngest = templateOf(s.stack);
  onIngestFindings = nagFindings(s.app);
  hourly = templateOf(stackWith('WardenHourly', { ...LOGS, driftMinutes: 60 }).stack);
});

describe('default: drift every 15 minutes, no announcement', () => {
  it('the default lives in one place', () => {
    expect(DEFAULTS.driftMinutes).toBe(15);
    expect(propsFromContext(() => undefined).driftMinutes).toBe(15);
    expect(defaultStack().stack.warden.driftMinutes).toBe(15);
  });

  it('one rule runs Drift every 15 minutes, retried and dead-lettered; no rule on the Warden bus', () => {
    const [rule, ...more] = rulesOf(def, 'Drift');
    expect(more).toHaveLength(0);
    expect(rule!.ScheduleExpression).toBe('rate(15 minutes)');
    expect(rule!.Targets).toEqual([
      expect.objectContaining({
        Input: '{}',
        RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 21_600 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [expect.stringMatching(/Failures/), 'Arn'] } },
      }),
    ]);
    expect(rules(def).filter((r) => JSON.stringify(r.EventPattern ?? {}).includes('Warden Observations'))).toEqual([]);
    def.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: fnId(def, 'Drift') },
      MaximumRetryAttempts: 2,
    });
  });

  it('the ingest functions have neither the bus nor PutEvents; Drift has both', () => {
    for (const name of INGEST) {
      expect(envOf(def, name).WARDEN_BUS_NAME, name).toBeUndefined();
      expect(actionsOf(def, name), name).not.toContain('events:PutEvents');
    }
    expect(envOf(def, 'Drift').WARDEN_BUS_NAME).toBeDefined();
    expect(actionsOf(def, 'Drift')).toContain('events:PutEvents');
  });

  it('the run age alarm fires after an hour without a successful run (four scheduled runs)', () => {
    expect(ageAlarm(def).Properties).toMatchObject({
      EvaluationPeriods: 1,
      AlarmDescription: 'Warden: no successful drift run for 1 hour',
    });
  });
});

describe('driftMinutes 0: drift on every ingest announcement and hourly, as before', () => {
  it('an hourly rule and a rule on the Warden bus for the announcement', () => {
    const drift = rulesOf(onIngest, 'Drift');
    expect(drift).toHaveLength(2);
    expect(drift.find((r) => r.ScheduleExpression)?.ScheduleExpression).toBe('rate(1 hour)');
    expect(drift.find((r) => r.EventPattern)).toMatchObject({
      EventPattern: { source: ['warden'], 'detail-type': ['Warden Observations Ingested'] },
      Targets: [expect.objectContaining({ Input: JSON.stringify({ sinceHours: 24 }) })],
    });
  });

  it('every ingest function has the bus and may put events on it', () => {
    for (const name of INGEST) {
      expect(envOf(onIngest, name).WARDEN_BUS_NAME, name).toBeDefined();
      expect(actionsOf(onIngest, name), name).toContain('events:PutEvents');
    }
  });

  it('the run age alarm keeps two hours', () => {
    expect(ageAlarm(onIngest).Properties.EvaluationPeriods).toBe(2);
  });

  it('is cdk-nag clean', () => {
    expect(onIngestFindings).toEqual([]);
  });
});

describe('driftMinutes 60', () => {
  it('an hourly schedule, no announcement, two hours to the alarm', () => {
    expect(rulesOf(hourly, 'Drift').map((r) => r.ScheduleExpression)).toEqual(['rate(1 hour)']);
    expect(envOf(hourly, 'IngestHttp').WARDEN_BUS_NAME).toBeUndefined();
    expect(ageAlarm(hourly).Properties.EvaluationPeriods).toBe(2);
  });
});

describe('context and validation', () => {
  it('reads warden:driftMinutes and accepts 0 and the divisors of 60 only', () => {
    const read = (v: string) => propsFromContext((k) => ({ 'warden:driftMinutes': v })[k]).driftMinutes;
    for (const ok of ['0', '5', '10', '20', '30', '60']) expect(read(ok)).toBe(Number(ok));
    for (const bad of ['7', '45', '90', '-5', '2.5']) expect(() => read(bad), bad).toThrow(/warden:driftMinutes/);
    expect(() => stackWith('WardenBad', { driftMinutes: 7 })).toThrow(/driftMinutes must be 0 or a divisor of 60/);
  });

  it.each([
    [0, 2],
    [5, 1],
    [15, 1],
    [30, 1],
    [60, 2],
  ])('drift every %i minutes: alarm after %i hours without a successful run', (minutes, hours) => {
    expect(driftRunAgeHours(minutes)).toBe(hours);
  });
});
