/**
 * Bedrock model invocation logs from a CloudWatch Logs subscription -> ingest pipeline -> table. The subscription
 * event (`{"awslogs":{"data":"<base64 gzip>"}}`) is itself a format the parsers decode, with bounded decompression.
 * CloudWatch Logs retries a failed asynchronous invocation, so errors other than bad data are thrown.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { CloudWatchLogsEvent, Context } from 'aws-lambda';
import { ingestText } from '../shared/ingest.ts';
import { config, logger, metrics, store, tracer } from '../shared/runtime.ts';

export const handler = middy(async (event: CloudWatchLogsEvent, context: Context) => {
  const report = await ingestText(store, `logs:${context.awsRequestId}`, JSON.stringify(event), {
    promptContent: config.WARDEN_PROMPT_CONTENT,
  });
  logger.info('ingested log events', { ...report });
  metrics.addMetric('Observations', MetricUnit.Count, report.observations);
  metrics.addMetric('Quarantined', MetricUnit.Count, report.quarantined);
  return report;
})
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
