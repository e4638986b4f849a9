/**
 * Baseline refresh: on a schedule (EventBridge, any event) or on demand (`{"subjects": ["k8s:..."]}`), folds the new
 * aggregates of every subject (or the named ones) into their baselines. Each refresh reads only what came after the
 * subject's watermark, so a run costs O(new aggregates). The infra engineer wires it into the stack.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { z } from 'zod';
import { refreshAll } from '../../lib/app/baselines/service.ts';
import { logger, metrics, store, tracer } from '../shared/runtime.ts';

// A scheduled EventBridge event carries other fields; only `subjects` is read, and it must be a list of ids.
const eventSchema = z.object({ subjects: z.array(z.string().min(3)).max(1000).optional() }).passthrough();

export const handler = middy(async (event: unknown) => {
  const parsed = eventSchema.safeParse(event ?? {});
  if (!parsed.success) {
    return { error: `invalid baseline request: ${parsed.error.issues.map((i) => i.message).join('; ')}` };
  }
  const results = await refreshAll(store, new Date().toISOString(), { subjects: parsed.data.subjects });
  const failed = results.filter((r) => r.error);
  metrics.addMetric('BaselinesRefreshed', MetricUnit.Count, results.length - failed.length);
  metrics.addMetric('BaselineFailures', MetricUnit.Count, failed.length);
  for (const f of failed) logger.error('baseline refresh failed', { subject: f.subject, error: f.error });
  return { refreshed: results.length - failed.length, failed: failed.length, results };
})
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
