/**
 * A drift event reaches an SQS queue through a real EventBridge rule in moto_server: custom bus, rule matching
 * source "warden" / detail-type "Warden Drift Detected" / classification risky, SQS target. Published with the infra
 * engineer's EventBridge sink (lib/adapters/eventbridge.ts).
 */
import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBridgeSink } from '../../../lib/adapters/eventbridge.ts';
import { driftEvent } from '../../../lib/app/drift/service.ts';
import type { DriftObject } from '../../../lib/core/drift/types.ts';
import { type MotoServer, startMoto } from '../../support/moto.ts';

let moto: MotoServer;
beforeAll(async () => {
  moto = await startMoto();
});
afterAll(async () => {
  await moto?.stop();
});

const signal = (score: number) => ({
  score,
  verdict: score >= 0.5 ? ('anomalous' as const) : ('normal' as const),
  reason: 'test',
  details: [],
  evidence: [],
});
const drift = (classification: 'risky' | 'evolution'): DriftObject => ({
  id: `k8s:prod-eks/support/support-agent@2026-10-20T14:00:00.000Z#${classification}`,
  subject: 'k8s:prod-eks/support/support-agent',
  classification,
  score: classification === 'risky' ? 1 : 0,
  from: '2026-10-20T14:00:00.000Z',
  to: '2026-10-20T14:00:00.000Z',
  signals: { deploymentCorrelation: signal(1), patternContinuity: signal(0.5), resourceBounds: signal(0.99) },
  evidence: [
    {
      observationId: 'cloudtrail:abc',
      key: 'api:s3:PutObject:arn:aws:s3:::acme-support-exports/*',
      time: '2026-10-20T14:05:03.000Z',
      correlation: { roleSession: 'r/s' },
    },
  ],
  changes: [],
  ...(classification === 'risky' ? { auditId: 'audit:ZD-49808' } : {}),
  summary: 'test',
});

describe('drift event through EventBridge to SQS (moto_server)', () => {
  it('delivers the risky drift event to the queue of a matching rule, and not the evolution one', async () => {
    const eb = new EventBridgeClient(moto.clientConfig);
    const sqs = new SQSClient(moto.clientConfig);
    await eb.send(new CreateEventBusCommand({ Name: 'warden' }));
    const q = await sqs.send(new CreateQueueCommand({ QueueName: 'risky-drift' }));
    const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: q.QueueUrl, AttributeNames: ['QueueArn'] })))
      .Attributes!.QueueArn!;
    await eb.send(
      new PutRuleCommand({
        Name: 'risky-drift',
        EventBusName: 'warden',
        EventPattern: JSON.stringify({
          source: ['warden'],
          'detail-type': ['Warden Drift Detected'],
          detail: { classification: ['risky'] },
        }),
      }),
    );
    await eb.send(
      new PutTargetsCommand({ Rule: 'risky-drift', EventBusName: 'warden', Targets: [{ Id: 'q', Arn: arn }] }),
    );
    const sink = new EventBridgeSink({ busName: 'warden', client: eb });
    await sink.publish([driftEvent(drift('evolution')), driftEvent(drift('risky'))]);
    const got = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    const bodies = (got.Messages ?? []).map((m) => JSON.parse(m.Body!));
    expect(bodies).toHaveLength(1);
    expect(bodies[0].source).toBe('warden');
    expect(bodies[0]['detail-type']).toBe('Warden Drift Detected');
    expect(bodies[0].detail.classification).toBe('risky');
    expect(bodies[0].detail.auditId).toBe('audit:ZD-49808');
    expect(Object.keys(bodies[0].detail.signals).sort()).toEqual([
      'deploymentCorrelation',
      'patternContinuity',
      'resourceBounds',
    ]);
  });
});
