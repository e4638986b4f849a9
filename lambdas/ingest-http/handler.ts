/**
 * Node-agent batches and Bedrock Agent traces over HTTPS (function URL, AWS_IAM auth) -> ingest pipeline -> table.
 * Answers 200 with the ingest report, 4xx for a request that is wrong as a whole (too large, empty, not POST);
 * records the pipeline cannot parse are quarantined and counted in the 200 answer. 5xx (store unavailable) tells
 * the agent to retry the same batch, which the store's idempotency makes safe.
 */

import { Readable } from 'node:stream';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { ingestStream } from '../shared/ingest.ts';
import { config, logger, metrics, store, tracer } from '../shared/runtime.ts';
import { checkRequest } from './request.ts';

function answer(status: number, body: unknown): APIGatewayProxyResultV2 {
  return { statusCode: status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

export const handler = middy(async (event: unknown): Promise<APIGatewayProxyResultV2> => {
  const req = checkRequest(event, config.MAX_PAYLOAD_BYTES);
  if (!req.ok) {
    metrics.addMetric('RejectedRequests', MetricUnit.Count, 1);
    return answer(req.status, { error: req.message });
  }
  // The body may be gzip (agents compress batches); the pipeline detects it by magic bytes.
  const report = await ingestStream(store, `https:${req.requestId}`, Readable.from([req.body]), {
    promptContent: config.WARDEN_PROMPT_CONTENT,
  });
  logger.info('ingested request', { caller: req.caller, ...report });
  metrics.addMetric('Observations', MetricUnit.Count, report.observations);
  return answer(200, report);
})
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
