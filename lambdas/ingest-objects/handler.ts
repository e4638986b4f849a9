/**
 * S3 object-created notifications (via SQS) -> read the objects -> ingest pipeline -> table. The objects of one SQS
 * batch are ingested in one pipeline run per delivery scope (the object's AWS log path, `AWSLogs/<account>/<service>/
 * <region>/`, bounds what it may report: lib/core/trust/delivery-scope.ts), so trail files of one account and region
 * share aggregate writes; each object stays its own input and idempotency unit. One SQS message is one unit of retry:
 * a message whose object cannot be read now (throttling, network), or whose run failed, is reported as a batch item
 * failure and redelivered (then parked in the DLQ); a message that can never be ingested is quarantined and
 * acknowledged. Bad records inside a file are quarantined by the pipeline, never failing the message: a poison record
 * never sends its good neighbours to the DLQ.
 *
 * Two ways in, one batch pipeline: the SQS event source mapping's batches (`warden:objectBatchMinutes` 5 or less), or
 * a scheduled `{ "drain": "objects" }` invocation every N minutes (above 5) that receives the queue's messages itself
 * (lib/adapters/sqs-drain.ts), runs them in fewer, larger groups, and deletes the ones that did not fail.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { EC2Client } from '@aws-sdk/client-ec2';
import { GetObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { recordCalls } from '../../lib/adapters/aws-calls.ts';
import { drainQueue } from '../../lib/adapters/sqs-drain.ts';
import { learnFlowFormats, loadFlowFormats } from '../../lib/adapters/vpc-flow-formats.ts';
import type { Reject } from '../../lib/core/observation.ts';
import { OBJECT_DRAIN_BOUNDS } from '../../lib/core/queue-drain.ts';
import { scopeForLogObject } from '../../lib/core/trust/delivery-scope.ts';
import type { IngestScope } from '../../lib/core/trust/ingest-scope.ts';
import { ingestDeliveries } from '../shared/ingest.ts';
import { poisonMessage } from '../shared/quarantine.ts';
import { config, events, logger, metrics, store, tracer } from '../shared/runtime.ts';
import { type ObjectRef, parseS3Notification } from '../shared/s3-event.ts';
import { readTrustConfig } from '../shared/trust.ts';

const { trustedAccounts } = readTrustConfig();

const s3 = tracer.captureAWSv3Client(recordCalls(new S3Client({})));
const ec2 = tracer.captureAWSv3Client(recordCalls(new EC2Client({})));
const sqs = tracer.captureAWSv3Client(recordCalls(new SQSClient({})));

interface Pending extends ObjectRef {
  messageId: string;
  name: string;
  scope: IngestScope;
}

/** The scheduled drain's input (lib/infra/ingestion.ts). */
interface DrainEvent {
  drain: 'objects';
}

/** What a drain did, as the invocation's result (and log line). */
interface DrainResult {
  runs: number;
  received: number;
  deleted: number;
  failed: number;
  stoppedBy: string;
}

export const handler = middy(async (event: SQSEvent | DrainEvent): Promise<SQSBatchResponse | DrainResult> => {
  if ('Records' in event) {
    const failed = await ingestMessages(event.Records);
    return { batchItemFailures: [...failed].map((itemIdentifier) => ({ itemIdentifier })) };
  }
  if (event.drain !== 'objects')
    throw new Error(`ingest-objects: unknown event ${JSON.stringify(event).slice(0, 200)}`);
  const queueUrl = process.env.WARDEN_OBJECTS_QUEUE_URL;
  if (!queueUrl) throw new Error('ingest-objects: WARDEN_OBJECTS_QUEUE_URL is not set (the drain is not deployed)');
  const r = await drainQueue(sqs, {
    queueUrl,
    bounds: OBJECT_DRAIN_BOUNDS,
    run: ingestMessages,
    weigh: announcedBytes,
  });
  logger.info('drained objects queue', { ...r });
  metrics.addMetric('DrainedMessages', MetricUnit.Count, r.received);
  return { runs: r.runs, received: r.received, deleted: r.deleted, failed: r.failed, stoppedBy: r.stoppedBy };
})
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));

/** A notification's weight in a drain: the sizes of the objects it announces, and its own bytes. */
function announcedBytes(body: string): number {
  const parsed = parseS3Notification(body);
  return body.length + (parsed.ok ? parsed.objects.reduce((n, o) => n + (o.size ?? 0), 0) : 0);
}

/**
 * Ingests one group of S3 notification messages (an SQS batch, or a drain's run): one pipeline run per delivery
 * scope. Returns the ids of the messages to redeliver.
 */
async function ingestMessages(records: readonly { messageId: string; body: string }[]): Promise<Set<string>> {
  const rejects: Reject[] = [];
  const failed = new Set<string>();
  const objects: Pending[] = [];
  for (const r of records) {
    const parsed = parseS3Notification(r.body);
    if (!parsed.ok) {
      rejects.push(poisonMessage(`sqs:${r.messageId}`, parsed.reason, parsed.detail, r.body));
      metrics.addMetric('PoisonMessages', MetricUnit.Count, 1);
      continue;
    }
    for (const o of parsed.objects)
      objects.push({
        ...o,
        messageId: r.messageId,
        name: `s3://${o.bucket}/${o.key}`,
        scope: scopeForLogObject(o.bucket, o.key, trustedAccounts),
      });
  }
  // Flow log objects without a header line are read in the format their flow log was created with (its LogFormat).
  const formats = await loadFlowFormats(store);
  await learnFlowFormats(
    store,
    ec2,
    objects.map((o) => o.key),
    formats,
  ).catch((err: unknown) => logger.warn('could not read flow log formats (DescribeFlowLogs)', { error: String(err) }));

  // The object is fetched when the pipeline reaches it. Failing to open it fails its message only (its input stays
  // empty, so nothing of it is stored and the redelivery ingests it whole); a read that breaks part way fails the run.
  async function* body(o: Pending): AsyncIterable<Uint8Array> {
    let stream: AsyncIterable<Uint8Array>;
    try {
      const out = await s3.send(new GetObjectCommand({ Bucket: o.bucket, Key: o.key }));
      stream = out.Body as AsyncIterable<Uint8Array>;
    } catch (err) {
      // Deleted before we got to it (lifecycle, a re-written trail file): nothing to retry.
      if (err instanceof NoSuchKey)
        rejects.push(poisonMessage(o.name, 'object-missing', 'object no longer exists', o.messageId));
      else {
        logger.warn('could not read object; its message will be redelivered', { object: o.name, error: String(err) });
        failed.add(o.messageId);
      }
      return;
    }
    yield* stream;
  }

  const groups = new Map<string, Pending[]>();
  for (const o of objects) {
    const { principal: _, ...bounds } = o.scope;
    const key = JSON.stringify(bounds);
    groups.set(key, [...(groups.get(key) ?? []), o]);
  }
  for (const group of groups.values()) {
    try {
      const { report } = await ingestDeliveries(
        { store, events },
        group.map((o) => ({ name: o.name, principal: o.name, scopes: [o.scope], stream: body(o) })),
        {
          promptContent: config.WARDEN_PROMPT_CONTENT,
          vpcFormats: formats,
          maxDecodedBytes: config.MAX_OBJECT_DECODED_BYTES,
        },
        `${group[0]?.name}+${group.length - 1}`,
      );
      logger.info('ingested objects', { objects: group.map((o) => o.name), ...report });
      metrics.addMetric('Observations', MetricUnit.Count, report.observations);
      metrics.addMetric('Quarantined', MetricUnit.Count, report.quarantined);
    } catch (err) {
      logger.error('could not ingest objects; they will be redelivered', {
        objects: group.map((o) => o.name),
        error: String(err),
      });
      for (const o of group) failed.add(o.messageId);
    }
  }
  if (rejects.length > 0) await store.write([], rejects);
  return failed;
}
