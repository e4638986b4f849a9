/**
 * The scheduled drain (lib/adapters/sqs-drain.ts) against moto_server's SQS: every message received and handed to
 * one run, the successful ones deleted; a message its run reports failed is left, reappears after the drain's
 * visibility timeout and, after maxReceiveCount receives, is moved to the dead-letter queue by the queue's redrive
 * policy; an empty queue ends after one receive; runs never exceed their message or weight bound, and a drain with no
 * time left receives nothing.
 */
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DrainedMessage, drainQueue } from '../../../lib/adapters/sqs-drain.ts';
import type { DrainBounds } from '../../../lib/core/queue-drain.ts';
import { type MotoServer, startMoto } from '../../support/moto.ts';

let moto: MotoServer;
let sqs: SQSClient;
/** Short enough that a failed message reappears within the test. */
const FAST: DrainBounds = { maxMessages: 100, maxBytes: 1 << 20, budgetMs: 1_000, visibilityMarginMs: 0 };

beforeAll(async () => {
  moto = await startMoto();
  sqs = new SQSClient(moto.clientConfig);
}, 180_000);

afterAll(async () => {
  await moto?.stop();
});

async function queueWithDlq(name: string, maxReceiveCount: number): Promise<{ url: string; dlq: string }> {
  const dlq = (await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }))).QueueUrl!;
  const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq, AttributeNames: ['QueueArn'] })))
    .Attributes!.QueueArn!;
  const url = (
    await sqs.send(
      new CreateQueueCommand({
        QueueName: name,
        Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }) },
      }),
    )
  ).QueueUrl!;
  return { url, dlq };
}

async function send(url: string, bodies: string[]): Promise<void> {
  for (let i = 0; i < bodies.length; i += 10)
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: bodies.slice(i, i + 10).map((MessageBody, j) => ({ Id: String(j), MessageBody })),
      }),
    );
}

async function depth(url: string): Promise<{ visible: number; hidden: number }> {
  const a = (
    await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    )
  ).Attributes!;
  return { visible: Number(a.ApproximateNumberOfMessages), hidden: Number(a.ApproximateNumberOfMessagesNotVisible) };
}

/** A run that records its groups and fails every message whose body starts with `poison`. */
function recorder() {
  const runs: string[][] = [];
  const run = async (ms: DrainedMessage[]) => {
    runs.push(ms.map((m) => m.body));
    return new Set(ms.filter((m) => m.body.startsWith('poison')).map((m) => m.messageId));
  };
  return { runs, run };
}

describe('drainQueue on moto_server SQS', () => {
  it('drains every message in one run and deletes them; an empty queue then ends after one receive', async () => {
    const { url } = await queueWithDlq('drain-all', 5);
    const bodies = Array.from({ length: 23 }, (_, i) => `m${i}`);
    await send(url, bodies);
    const r = recorder();
    const report = await drainQueue(sqs, { queueUrl: url, bounds: FAST, run: r.run, waitSeconds: 0 });
    expect(r.runs).toHaveLength(1);
    expect(r.runs[0]!.sort()).toEqual([...bodies].sort());
    expect(report).toMatchObject({ runs: 1, received: 23, deleted: 23, failed: 0, stoppedBy: 'empty' });
    // Three receives of 10, 10 and 3, the empty one, three delete batches.
    expect(report.requests).toBe(4 + 3);
    expect(await depth(url)).toEqual({ visible: 0, hidden: 0 });

    const empty = recorder();
    const again = await drainQueue(sqs, { queueUrl: url, bounds: FAST, run: empty.run, waitSeconds: 0 });
    expect(empty.runs).toEqual([]);
    expect(again).toMatchObject({ runs: 0, received: 0, requests: 1, stoppedBy: 'empty' });
  });

  it('leaves a failed message for redelivery; the redrive policy parks it after maxReceiveCount receives', async () => {
    const { url, dlq } = await queueWithDlq('drain-poison', 2);
    await send(url, ['a', 'poison-1', 'b']);
    const r = recorder();
    const first = await drainQueue(sqs, { queueUrl: url, bounds: FAST, run: r.run, waitSeconds: 0 });
    expect(first).toMatchObject({ received: 3, deleted: 2, failed: 1, stoppedBy: 'empty' });
    // Hidden for the rest of the drain's budget, not received twice by the same drain.
    expect(await depth(url)).toEqual({ visible: 0, hidden: 1 });
    await new Promise((res) => setTimeout(res, 1_500));
    const second = await drainQueue(sqs, { queueUrl: url, bounds: FAST, run: r.run, waitSeconds: 0 });
    expect(second).toMatchObject({ received: 1, deleted: 0, failed: 1 });
    expect(r.runs.slice(1)).toEqual([['poison-1']]);
    await new Promise((res) => setTimeout(res, 1_500));
    // Received twice already: the next receive moves it to the dead-letter queue instead of returning it.
    const third = await drainQueue(sqs, { queueUrl: url, bounds: FAST, run: r.run, waitSeconds: 0 });
    expect(third).toMatchObject({ received: 0, stoppedBy: 'empty' });
    const parked = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq, MaxNumberOfMessages: 10 }));
    expect(parked.Messages?.map((m) => m.Body)).toEqual(['poison-1']);
  });

  it('bounds each run by messages and by weight, and receives nothing once its time is spent', async () => {
    const { url } = await queueWithDlq('drain-bounded', 5);
    await send(
      url,
      Array.from({ length: 25 }, (_, i) => `n${i}`),
    );
    const r = recorder();
    const bounds = { ...FAST, maxMessages: 7, budgetMs: 60_000 };
    const report = await drainQueue(sqs, { queueUrl: url, bounds, run: r.run, waitSeconds: 0 });
    expect(r.runs.map((x) => x.length)).toEqual([7, 7, 7, 4]);
    expect(report.runStops).toEqual(['messages', 'messages', 'messages', 'empty']);
    expect(report.deleted).toBe(25);

    await send(url, ['w1', 'w2', 'w3', 'w4', 'w5']);
    const heavy = recorder();
    // Each message weighs 100: a run closes once it holds 200.
    const weighed = await drainQueue(sqs, {
      queueUrl: url,
      bounds: { ...bounds, maxBytes: 200 },
      run: heavy.run,
      weigh: () => 100,
      waitSeconds: 0,
    });
    expect(weighed.received).toBe(5);
    expect(weighed.runStops.filter((s) => s === 'bytes').length).toBeGreaterThanOrEqual(1);

    await send(url, ['late']);
    const none = recorder();
    let t = 0;
    const spent = await drainQueue(sqs, {
      queueUrl: url,
      bounds: { ...bounds, budgetMs: 10 },
      run: none.run,
      now: () => (t += 20),
    });
    expect(spent).toMatchObject({ runs: 0, requests: 0, stoppedBy: 'time' });
    expect(await depth(url)).toEqual({ visible: 1, hidden: 0 });
  });
});
