/**
 * Bedrock model invocation logs from a CloudWatch Logs subscription -> ingest pipeline -> table. The subscription
 * event (`{"awslogs":{"data":"<base64 gzip>"}}`) is itself a format the parsers decode, with bounded decompression.
 * CloudWatch Logs retries a failed asynchronous invocation, so errors other than bad data are thrown (the stack gives
 * the function an on-failure destination for what retries cannot fix). The payload's owner (the log group's account)
 * bounds what it may report.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { CloudWatchLogsEvent, Context } from 'aws-lambda';
import { decodeCloudWatchPayload } from '../../lib/core/sources/cloudwatch.ts';
import { scopeForLogGroup } from '../../lib/core/trust/delivery-scope.ts';
import { ingestTextDelivery } from '../shared/ingest.ts';
import { config, events, logger, metrics, store, tracer } from '../shared/runtime.ts';
import { readTrustConfig } from '../shared/trust.ts';

const { trustedAccounts } = readTrustConfig();

export const handler = middy(async (event: CloudWatchLogsEvent, context: Context) => {
  const decoded = decodeCloudWatchPayload(event);
  const scope = scopeForLogGroup(decoded.ok ? decoded.payload : {}, trustedAccounts);
  const { report } = await ingestTextDelivery(
    { store, events },
    { name: `logs:${context.awsRequestId}`, principal: scope.principal, scopes: [scope] },
    JSON.stringify(event),
    { promptContent: config.WARDEN_PROMPT_CONTENT },
  );
  logger.info('ingested log events', { ...report });
  metrics.addMetric('Observations', MetricUnit.Count, report.observations);
  metrics.addMetric('Quarantined', MetricUnit.Count, report.quarantined);
  return report;
})
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
