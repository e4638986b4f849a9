/**
 * Plays the part of the Lambda service, which moto cannot (it needs Docker to run functions): receives from a
 * deployed queue, builds the event Lambda would deliver, runs the bundled handler from the cloud assembly
 * in-process, and deletes the messages the handler did not report as failed (ReportBatchItemFailures semantics).
 */
import { pathToFileURL } from 'node:url';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { REGION } from './deploy.ts';

export type Handler = (event: unknown, context: Context) => Promise<unknown>;

/**
 * Imports a bundled handler (index.mjs from the cloud assembly). vitest.config.ts externalizes the assembly, so
 * Node loads it as Lambda's runtime does, without passing several MiB of bundle through vitest's transform.
 */
export async function loadHandler(bundle: string): Promise<Handler> {
  const mod = (await import(pathToFileURL(bundle).href)) as { handler: Handler };
  return mod.handler;
}

export function lambdaContext(name: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${REGION}:123456789012:function:${name}`,
    memoryLimitInMB: '512',
    awsRequestId: `req-${Math.random().toString(36).slice(2)}`,
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'e2e',
    getRemainingTimeInMillis: () => 300_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Receives until `count` messages arrived (or gives up after `tries` empty polls). */
export async function receive(sqs: SQSClient, queueUrl: string, count: number, tries = 20): Promise<Message[]> {
  const got: Message[] = [];
  for (let i = 0; i < tries && got.length < count; i++) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    got.push(...(out.Messages ?? []));
  }
  return got;
}

export function sqsEvent(messages: Message[], queueArn: string): SQSEvent {
  return {
    Records: messages.map((m) => ({
      messageId: m.MessageId!,
      receiptHandle: m.ReceiptHandle!,
      body: m.Body ?? '',
      attributes: {
        ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
        SentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
        SenderId: m.Attributes?.SenderId ?? 'AIDAEXAMPLE',
        ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: m.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: queueArn,
      awsRegion: REGION,
    })),
  };
}

export interface PollResult {
  messages: number;
  failures: string[];
}

/** One poll of the event source mapping: receive, invoke, delete the successes. */
export async function pollOnce(
  sqs: SQSClient,
  queueUrl: string,
  handler: Handler,
  expect: number,
): Promise<PollResult> {
  const messages = await receive(sqs, queueUrl, expect);
  if (messages.length === 0) return { messages: 0, failures: [] };
  const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  const out = (await handler(sqsEvent(messages, attrs.Attributes!.QueueArn!), lambdaContext('e2e'))) as {
    batchItemFailures: { itemIdentifier: string }[];
  };
  const failures = out.batchItemFailures.map((f) => f.itemIdentifier);
  for (const m of messages) {
    if (!failures.includes(m.MessageId!)) {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }));
    }
  }
  return { messages: messages.length, failures };
}
