/**
 * S3 object-created notifications (via SQS) -> read the object -> ingest pipeline -> table. One SQS message is one
 * unit of retry: a message whose object cannot be read now (throttling, network) is reported as a batch item failure
 * and redelivered (then parked in the DLQ); a message that can never be ingested is quarantined and acknowledged.
 * Bad records inside a file are quarantined by the pipeline, never failing the message: a poison record never sends
 * its good neighbours to the DLQ. The object's AWS log path (`AWSLogs/<account>/<service>/<region>/`) bounds what it
 * may report (lib/core/trust/delivery-scope.ts).
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { EC2Client } from '@aws-sdk/client-ec2';
import { GetObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { recordCalls } from '../../lib/adapters/aws-calls.ts';
import { learnFlowFormats, loadFlowFormats } from '../../lib/adapters/vpc-flow-formats.ts';
import { scopeForLogObject } from '../../lib/core/trust/delivery-scope.ts';
import { ingestDelivery } from '../shared/ingest.ts';
import { poisonMessage } from '../shared/quarantine.ts';
import { config, events, logger, metrics, store, tracer } from '../shared/runtime.ts';
import { parseS3Notification } from '../shared/s3-event.ts';
import { readTrustConfig } from '../shared/trust.ts';

const { trustedAccounts } = readTrustConfig();

const s3 = tracer.captureAWSv3Client(recordCalls(new S3Client({})));
const ec2 = tracer.captureAWSv3Client(recordCalls(new EC2Client({})));
const processor = new BatchProcessor(EventType.SQS);

async function onMessage(record: SQSRecord): Promise<void> {
  const where = `sqs:${record.messageId}`;
  const parsed = parseS3Notification(record.body);
  if (!parsed.ok) {
    await store.write([], [poisonMessage(where, parsed.reason, parsed.detail, record.body)]);
    metrics.addMetric('PoisonMessages', MetricUnit.Count, 1);
    return;
  }
  // Flow log objects without a header line are read in the format their flow log was created with (its LogFormat).
  const formats = await loadFlowFormats(store);
  await learnFlowFormats(
    store,
    ec2,
    parsed.objects.map((o) => o.key),
    formats,
  ).catch((err: unknown) => logger.warn('could not read flow log formats (DescribeFlowLogs)', { error: String(err) }));
  for (const obj of parsed.objects) {
    const name = `s3://${obj.bucket}/${obj.key}`;
    let body: NodeJS.ReadableStream;
    try {
      const out = await s3.send(new GetObjectCommand({ Bucket: obj.bucket, Key: obj.key }));
      body = out.Body as NodeJS.ReadableStream;
    } catch (err) {
      // Deleted before we got to it (lifecycle, a re-written trail file): nothing to retry.
      if (err instanceof NoSuchKey) {
        await store.write([], [poisonMessage(name, 'object-missing', 'object no longer exists', record.body)]);
        continue;
      }
      throw err;
    }
    const scope = scopeForLogObject(obj.bucket, obj.key, trustedAccounts);
    const { report } = await ingestDelivery({ store, events }, { name, principal: name, scopes: [scope] }, body, {
      promptContent: config.WARDEN_PROMPT_CONTENT,
      vpcFormats: formats,
      maxDecodedBytes: config.MAX_OBJECT_DECODED_BYTES,
    });
    logger.info('ingested object', { object: name, ...report });
    metrics.addMetric('Observations', MetricUnit.Count, report.observations);
    metrics.addMetric('Quarantined', MetricUnit.Count, report.quarantined);
  }
}

export const handler = middy((event: SQSEvent, context: Context) =>
  processPartialResponse(event, onMessage, processor, { context }),
)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
