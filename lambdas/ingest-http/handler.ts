/**
 * Node-agent batches and Bedrock Agent traces over HTTPS (function URL, AWS_IAM auth) -> ingest pipeline -> table.
 * The caller is who AWS authenticated (SigV4): no authorizer context is 401. Every observation is admitted against
 * the caller's scopes (lambdas/shared/trust.ts): outside them it is quarantined as `unauthorized-subject` naming the
 * caller, never stored. Past the caller's hourly quota the rest of the batch is not stored and the answer is 429
 * (the agent retries later; replays are idempotent). 4xx for a request wrong as a whole (too large, empty, not
 * POST); 5xx (store unavailable) tells the agent to retry the same batch.
 */
import { Readable } from 'node:stream';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { IngestQuota } from '../../lib/app/ingest/quota.ts';
import { ingestDelivery } from '../shared/ingest.ts';
import { config, events, logger, metrics, store, tracer } from '../shared/runtime.ts';
import { CallerScopes, readTrustConfig } from '../shared/trust.ts';
import { checkRequest } from './request.ts';

const trust = readTrustConfig();
const scopes = new CallerScopes(trust, undefined, undefined, (err) =>
  logger.error('could not read node-agent roles from EKS; configured principals only', { error: String(err) }),
);
const quota = new IngestQuota(store, trust.quotaPerHour);

function answer(status: number, body: unknown): APIGatewayProxyResultV2 {
  return { statusCode: status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

export const handler = middy(async (event: unknown): Promise<APIGatewayProxyResultV2> => {
  const req = checkRequest(event, config.MAX_PAYLOAD_BYTES);
  if (!req.ok) {
    metrics.addMetric('RejectedRequests', MetricUnit.Count, 1);
    return answer(req.status, { error: req.message });
  }
  const now = new Date().toISOString();
  const remaining = await quota.remaining(req.caller, now);
  if (remaining === 0) {
    metrics.addMetric('RateLimitedRequests', MetricUnit.Count, 1);
    return answer(429, {
      error: `ingest quota of ${trust.quotaPerHour} observations per hour reached`,
      retryAfter: 'next hour',
    });
  }
  // The body may be gzip (agents compress batches); the pipeline detects it by magic bytes and caps its expansion.
  const { report, admission } = await ingestDelivery(
    { store, events },
    {
      name: `https:${req.requestId}`,
      principal: req.caller,
      scopes: await scopes.forCaller(req.caller),
      quota: remaining,
    },
    Readable.from([req.body]),
    {
      promptContent: config.WARDEN_PROMPT_CONTENT,
      maxDecodedBytes: config.MAX_DECODED_BYTES ?? 32 * config.MAX_PAYLOAD_BYTES,
    },
  );
  await quota.charge(req.caller, now, admission.admitted);
  logger.info('ingested request', { caller: req.caller, ...admission, ...report });
  metrics.addMetric('Observations', MetricUnit.Count, report.observations);
  if (admission.refused > 0) metrics.addMetric('UnauthorizedObservations', MetricUnit.Count, admission.refused);
  if (admission.rateLimited > 0) {
    metrics.addMetric('RateLimitedObservations', MetricUnit.Count, admission.rateLimited);
    return answer(429, { ...report, ...admission, error: 'ingest quota reached part way: retry the batch later' });
  }
  return answer(200, { ...report, ...admission });
})
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
