/** The EventBridge sink against moto_server: a rule on the Warden bus delivers what the sink publishes to SQS. */
import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBridgeSink } from '../../lib/adapters/eventbridge.ts';
import { type MotoServer, startMoto } from '../support/moto.ts';

let moto: MotoServer;
beforeAll(async () => {
  moto = await startMoto();
});
afterAll(async () => {
  await moto?.stop();
});

describe('EventBridgeSink', () => {
  it('publishes Warden events to the bus in chunks, and a rule on the bus receives them all', async () => {
    const eb = new EventBridgeClient(moto.clientConfig);
    const sqs = new SQSClient(moto.clientConfig);
    await eb.send(new CreateEventBusCommand({ Name: 'warden' }));
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'drift' }));
    const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!
      .QueueArn!;
    await eb.send(
      new PutRuleCommand({
        Name: 'drift',
        EventBusName: 'warden',
        EventPattern: JSON.stringify({ source: ['warden'], 'detail-type': ['Warden Drift Detected'] }),
      }),
    );
    await eb.send(new PutTargetsCommand({ Rule: 'drift', EventBusName: 'warden', Targets: [{ Id: 'q', Arn: arn }] }));

    const sink = new EventBridgeSink({ busName: 'warden', client: eb });
    const events = Array.from({ length: 12 }, (_, i) => ({
      source: 'warden' as const,
      detailType: 'Warden Drift Detected',
      time: '2026-11-28T05:00:00Z',
      detail: { subject: `k8s:prod/support/agent-${i}`, classification: 'risky' },
    }));
    await sink.publish(events);

    const got: string[] = [];
    for (let i = 0; i < 10 && got.length < 12; i++) {
      const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      for (const m of out.Messages ?? []) got.push(JSON.parse(m.Body!).detail.subject);
    }
    expect(got.sort()).toEqual(events.map((e) => e.detail.subject).sort());
  });
});
