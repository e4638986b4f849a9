/**
 * CloudTrail management events from EventBridge (via SQS) -> ingest pipeline -> table. The messages of one SQS batch
 * are ingested in one pipeline run per delivery scope (the envelope's account and region, set by EventBridge, bound
 * what an event may report: lib/core/trust/delivery-scope.ts), so events of one subject and hour share one aggregate
 * write instead of one each. Each message stays its own input and idempotency unit: a redelivered event (SQS
 * at-least-once, or a retried batch) contributes the same digest and is not counted twice, and the same event coming
 * again in its trail file is counted once by its eventID. A run that fails reports its messages as batch item
 * failures, to be redelivered.
 */
import { Readable } from 'node:stream';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { scopeForEvent } from '../../lib/core/trust/delivery-scope.ts';
import { ingestDeliveries } from '../shared/ingest.ts';
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

export const handler = middy(async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const groups = new Map<string, { messageId: string; body: string; scope: ReturnType<typeof scopeForEvent> }[]>();
  for (const r of event.Records) {
    const scope = scopeForEvent(envelopeOf(r.body), trustedAccounts);
    const key = JSON.stringify(scope);
    groups.set(key, [...(groups.get(key) ?? []), { messageId: r.messageId, body: r.body, scope }]);
  }
  const failed: string[] = [];
  for (const group of groups.values()) {
    try {
      const { report } = await ingestDeliveries(
        { store, events },
        group.map((m) => ({
          name: `eventbridge:sqs:${m.messageId}`,
          principal: m.scope.principal,
          scopes: [m.scope],
          stream: Readable.from([Buffer.from(m.body, 'utf8')]),
        })),
        { promptContent: config.WARDEN_PROMPT_CONTENT },
        `eventbridge:sqs:${group[0]?.messageId}+${group.length - 1}`,
      );
      metrics.addMetric('Observations', MetricUnit.Count, report.observations);
      if (report.quarantined > 0) {
        metrics.addMetric('Quarantined', MetricUnit.Count, report.quarantined);
        logger.warn('quarantined events', { messages: group.length, ...report });
      }
    } catch (err) {
      logger.error('could not ingest events; they will be redelivered', { messages: group.length, error: String(err) });
      failed.push(...group.map((m) => m.messageId));
    }
  }
  return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
})
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
