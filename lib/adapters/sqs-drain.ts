/**
 * Drains an SQS queue in a scheduled invocation instead of an event source mapping: receives up to one run's
 * messages (lib/core/queue-drain.ts bounds), hands them to `run` (the same batch pipeline the SQS-triggered handler
 * uses), deletes the ones it did not report failed, and gathers the next run while time remains. A failed message is
 * not deleted: it reappears once its visibility timeout ends and a later drain receives it again, until the queue's
 * redrive policy moves it to the dead-letter queue (maxReceiveCount), as with the event source mapping.
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { type DrainBounds, type GatherStop, gatherStop, receiveCount, visibilitySeconds } from '../core/queue-drain.ts';

/** One received message, as the SQS-triggered handler sees a record. */
export interface DrainedMessage {
  messageId: string;
  body: string;
}

export interface DrainReport {
  /** Pipeline runs (one per gathered group of messages). */
  runs: number;
  received: number;
  deleted: number;
  /** Reported failed by a run (left for redelivery), or whose delete SQS refused. */
  failed: number;
  /** SQS requests made (receives and delete batches). */
  requests: number;
  /** Why the drain ended: the queue answered empty, or the time budget ran out. */
  stoppedBy: 'empty' | 'time';
  /** Why each run's gathering stopped. */
  runStops: (GatherStop | 'empty')[];
}

export interface DrainOptions {
  queueUrl: string;
  bounds: DrainBounds;
  /** Runs one group of messages; returns the ids of the messages that failed (to be redelivered). */
  run: (messages: DrainedMessage[]) => Promise<ReadonlySet<string>>;
  /** Weight of a message against `bounds.maxBytes` (default: its body's length). */
  weigh?: (body: string) => number;
  /** Seconds a receive waits for messages when none is visible (long polling asks every SQS server). */
  waitSeconds?: number;
  now?: () => number;
}

export async function drainQueue(sqs: SQSClient, o: DrainOptions): Promise<DrainReport> {
  const now = o.now ?? Date.now;
  const weigh = o.weigh ?? ((b: string) => Buffer.byteLength(b));
  const t0 = now();
  const report: DrainReport = {
    runs: 0,
    received: 0,
    deleted: 0,
    failed: 0,
    requests: 0,
    stoppedBy: 'time',
    runStops: [],
  };
  for (;;) {
    if (now() - t0 >= o.bounds.budgetMs) return report;
    const batch: (DrainedMessage & { receiptHandle: string })[] = [];
    let bytes = 0;
    let stop: GatherStop | 'empty' | undefined;
    while (!stop) {
      const out = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: o.queueUrl,
          MaxNumberOfMessages: receiveCount(batch.length, o.bounds),
          VisibilityTimeout: visibilitySeconds(now() - t0, o.bounds),
          WaitTimeSeconds: o.waitSeconds ?? 1,
        }),
      );
      report.requests++;
      const got = out.Messages ?? [];
      for (const m of got) {
        if (!m.MessageId || !m.ReceiptHandle) continue;
        batch.push({ messageId: m.MessageId, body: m.Body ?? '', receiptHandle: m.ReceiptHandle });
        bytes += weigh(m.Body ?? '');
      }
      stop = got.length === 0 ? 'empty' : gatherStop({ messages: batch.length, bytes }, now() - t0, o.bounds);
    }
    report.runStops.push(stop);
    if (batch.length > 0) {
      report.runs++;
      report.received += batch.length;
      const failed = await o.run(batch.map(({ messageId, body }) => ({ messageId, body })));
      const done = batch.filter((m) => !failed.has(m.messageId));
      report.failed += batch.length - done.length;
      for (let i = 0; i < done.length; i += 10) {
        const chunk = done.slice(i, i + 10);
        const out = await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: o.queueUrl,
            Entries: chunk.map((m, j) => ({ Id: String(j), ReceiptHandle: m.receiptHandle })),
          }),
        );
        report.requests++;
        // A refused delete is redelivered and ingested again: idempotent per object, so only counted.
        report.deleted += chunk.length - (out.Failed?.length ?? 0);
        report.failed += out.Failed?.length ?? 0;
      }
    }
    if (stop === 'empty') {
      report.stoppedBy = 'empty';
      return report;
    }
  }
}
