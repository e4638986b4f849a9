/**
 * CloudTrail management events from EventBridge (via SQS) -> ingest pipeline -> table. Each message is ingested on
 * its own: the store's idempotency is per contribution, so a redelivered event (SQS at-least-once, or a retry of a
 * partially failed batch) contributes the same digest and is not counted twice.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { ingestText } from '../shared/ingest.ts';
import { config, logger, metrics, store, tracer } from '../shared/runtime.ts';

const processor = new BatchProcessor(EventType.SQS);

async function onMessage(record: SQSRecord): Promise<void> {
  // The body is the EventBridge envelope; the pipeline detects it (or quarantines what it is not).
  const report = await ingestText(store, `eventbridge:sqs:${record.messageId}`, record.body, {
    promptContent: config.WARDEN_PROMPT_CONTENT,
  });
  metrics.addMetric('Observations', MetricUnit.Count, report.observations);
  if (report.quarantined > 0) {
    metrics.addMetric('Quarantined', MetricUnit.Count, report.quarantined);
    logger.warn('quarantined event', { messageId: record.messageId, ...report });
  }
}

export const handler = middy((event: SQSEvent, context: Context) =>
  processPartialResponse(event, onMessage, processor, { context }),
)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
