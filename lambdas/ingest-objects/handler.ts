/**
 * S3 object-created notifications (via SQS) -> read the objects -> ingest pipeline -> table. The objects of one SQS
 * batch are ingested in one pipeline run per delivery scope (the object's AWS log path, `AWSLogs/<account>/<service>/
 * <region>/`, bounds what it may report: lib/core/trust/delivery-scope.ts), so trail files of one account and region
 * share aggregate writes; each object stays its own input and idempotency unit. One SQS message is one unit of retry:
 * a message whose object cannot be read now (throttling, network), or whose run failed, is reported as a batch item
 * failure and redelivered (then parked in the DLQ); a message that can never be ingested is quarantined and
 * acknowledged. Bad records inside a file are quarantined by the pipeline, never failing the message: a poison record
 * never sends its good neighbours to the DLQ.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { EC2Client } from '@aws-sdk/client-ec2';
import { GetObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { recordCalls } from '../../lib/adapters/aws-calls.ts';
import { learnFlowFormats, loadFlowFormats } from '../../lib/adapters/vpc-flow-formats.ts';
import type { Reject } from '../../lib/core/observation.ts';
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

interface Pending extends ObjectRef {
  messageId: string;
  name: string;
  scope: IngestScope;
}

export const handler = middy(async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const rejects: Reject[] = [];
  const failed = new Set<string>();
  const objects: Pending[] = [];
  for (const r of event.Records) {
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
  return { batchItemFailures: [...failed].map((itemIdentifier) => ({ itemIdentifier })) };
})
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
