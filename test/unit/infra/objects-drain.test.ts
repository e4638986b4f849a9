/**
 * `warden:objectBatchMinutes`: above 5 (default 15) a schedule drains the Objects queue (retried, dead-lettered,
 * asynchronous failures kept, the queue's age alarmed), and only IngestObjects may receive and delete on that queue;
 * 5 or less keeps the SQS event source mapping with that batching window, and no drain.
 */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS, MAX_SQS_WINDOW_MINUTES, propsFromContext } from '../../../lib/infra/props.ts';
import { defaultStack, nagFindings, stackWith, templateOf } from './synth.ts';

type Res = {
  Properties: {
    ScheduleExpression?: string;
    Targets?: unknown[];
    Timeout?: number;
    Environment: { Variables: Record<string, unknown> };
    EventSourceArn?: unknown;
    PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] };
  };
};
let def: Template;
let five: Template;
let fiveFindings: string[];

const fnId = (t: Template, fragment: string) =>
  Object.entries(t.findResources('AWS::Lambda::Function')).find(([id]) => id.includes(fragment))![0];
const queueId = (t: Template) => Object.keys(t.findResources('AWS::SQS::Queue')).find((id) => /ObjectsQueue/.test(id))!;
const drainRules = (t: Template) =>
  Object.values(t.findResources('AWS::Events::Rule') as Record<string, Res>).filter((r) =>
    JSON.stringify(r.Properties.Targets).includes('"drain'),
  );
/** Actions on the Objects queue granted to any role, by policy id. */
const queueGrants = (t: Template) =>
  Object.entries(t.findResources('AWS::IAM::Policy') as Record<string, Res>).flatMap(([id, p]) =>
    p.Properties.PolicyDocument.Statement.filter((st) => JSON.stringify(st.Resource).includes(queueId(t))).map(
      (st) => ({ id, actions: ([] as string[]).concat(st.Action), resource: st.Resource }),
    ),
  );

beforeAll(() => {
  def = templateOf(defaultStack().stack);
  const s = stackWith('WardenFive', { objectBatchMinutes: 5 });
  five = templateOf(s.stack);
  fiveFindings = nagFindings(s.app);
});

describe('default: a scheduled drain every 15 minutes', () => {
  it('the default lives in one place and is above the SQS window Lambda allows', () => {
    expect(DEFAULTS.objectBatchMinutes).toBe(15);
    expect(DEFAULTS.objectBatchMinutes).toBeGreaterThan(MAX_SQS_WINDOW_MINUTES);
    expect(propsFromContext(() => undefined).objectBatchMinutes).toBe(15);
  });

  it('a rule every 15 minutes invokes IngestObjects with the drain input, retried and dead-lettered', () => {
    const [rule, ...more] = drainRules(def);
    expect(more).toHaveLength(0);
    expect(rule!.Properties.ScheduleExpression).toBe('rate(15 minutes)');
    expect(rule!.Properties.Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [fnId(def, 'IngestObjects'), 'Arn'] },
        Input: JSON.stringify({ drain: 'objects' }),
        RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 21_600 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [expect.stringMatching(/Failures/), 'Arn'] } },
      }),
    ]);
  });

  it('no event source mapping reads the Objects queue; the function knows the queue and has 15 minutes', () => {
    for (const m of Object.values(def.findResources('AWS::Lambda::EventSourceMapping') as Record<string, Res>))
      expect(JSON.stringify(m.Properties.EventSourceArn)).not.toContain(queueId(def));
    const fn = def.findResources('AWS::Lambda::Function')[fnId(def, 'IngestObjects')] as Res;
    expect(fn.Properties.Timeout).toBe(900);
    expect(fn.Properties.Environment.Variables.WARDEN_OBJECTS_QUEUE_URL).toEqual({ Ref: queueId(def) });
  });

  it('receiving and deleting on the Objects queue is granted to IngestObjects only, on that queue only', () => {
    const grants = queueGrants(def).filter((g) => g.actions.some((a) => /Receive|Delete/.test(a)));
    expect(grants).toHaveLength(1);
    expect(grants[0]!.id).toMatch(/IngestObjects/);
    expect(grants[0]!.actions).toEqual(expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage']));
    expect(grants[0]!.resource).toEqual({ 'Fn::GetAtt': [queueId(def), 'Arn'] });
  });

  it('a failed drain invocation goes to AsyncFailures; the queue age alarms after three missed drains', () => {
    def.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: fnId(def, 'IngestObjects') },
      MaximumRetryAttempts: 2,
    });
    def.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Threshold: 45 * 60,
      Dimensions: [Match.objectLike({ Value: { 'Fn::GetAtt': [queueId(def), 'QueueName'] } })],
    });
  });
});

describe('objectBatchMinutes 5: the event source mapping, as before', () => {
  it('batches of 10 with a 5-minute window and partial batch responses; no drain, no age alarm', () => {
    five.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queueId(five), 'Arn'] },
      FunctionName: { Ref: fnId(five, 'IngestObjects') },
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 300,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(drainRules(five)).toHaveLength(0);
    five.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateAgeOfOldestMessage' }, 0);
    const fn = five.findResources('AWS::Lambda::Function')[fnId(five, 'IngestObjects')] as Res;
    expect(fn.Properties.Timeout).toBe(300);
    expect(fn.Properties.Environment.Variables.WARDEN_OBJECTS_QUEUE_URL).toBeUndefined();
  });

  it('is cdk-nag clean', () => {
    expect(fiveFindings).toEqual([]);
  });
});

describe('context', () => {
  it('reads warden:objectBatchMinutes from the command line and rejects what EventBridge cannot schedule', () => {
    expect(propsFromContext((k) => ({ 'warden:objectBatchMinutes': '30' })[k]).objectBatchMinutes).toBe(30);
    expect(() => propsFromContext((k) => ({ 'warden:objectBatchMinutes': '61' })[k])).toThrow(
      /warden:objectBatchMinutes/,
    );
    expect(() => propsFromContext((k) => ({ 'warden:objectBatchMinutes': '7.5' })[k])).toThrow(
      /warden:objectBatchMinutes/,
    );
  });
});
