/**
 * CloudTrail management events from EventBridge (via SQS) -> ingest pipeline -> table. Each message is ingested on
 * its own: the store's idempotency is per contribution, so a redelivered event (SQS at-least-once, or a retry of a
 * partially failed batch) contributes the same digest and is not counted twice. The envelope's account and region,
 * set by EventBridge, bound what the event may report (lib/core/trust/delivery-scope.ts).
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { scopeForEvent } from '../../lib/core/trust/delivery-scope.ts';
import { ingestTextDelivery } from '../shared/ingest.ts';
import { config, events, logger, metrics, store, tracer } from '../shared/runtime.ts';
import { readTrustConfig } from '../shared/trust.ts';

const { trustedAccounts } = readTrustConfig();

/** The envelope fields EventBridge sets; a body that is not one is left to the pipeline to quarantine. */
function envelopeOf(body: string): { account?: string; region?: string; source?: string } {
  try {
    const v = JSON.parse(body) as Record<string, unknown>;
    const s = (x: unknown) => (typeof x === 'string' ? x : undefined);
    return { account: s(v.account), region: s(v.region), source: s(v.source) };
  } catch {
    return {};
  }
}

const processor = new BatchProcessor(EventType.SQS);

async function onMessage(record: SQSRecord): Promise<void> {
  // The body is the EventBridge envelope; the pipeline detects it (or quarantines what it is not).
  const scope = scopeForEvent(envelopeOf(record.body), trustedAccounts);
  const { report } = await ingestTextDelivery(
    { store, events },
    { name: `eventbridge:sqs:${record.messageId}`, principal: scope.principal, scopes: [scope] },
    record.body,
    { promptContent: config.WARDEN_PROMPT_CONTENT },
  );
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
