/**
 * Backfill task: `{"days": 90}` (or `{"start": ISO, "end": ISO}`), resumable with `{"nextToken": ...}` from a
 * previous answer. Pulls management events with LookupEvents into the table through the ingest pipeline; stops
 * with a resume token when fewer than 90 seconds remain.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { recordCalls } from '../../lib/adapters/aws-calls.ts';
import {
  type BackfillWindow,
  backfillWindow,
  CloudTrailClient,
  MAX_BACKFILL_DAYS,
  runBackfill,
} from '../../lib/adapters/cloudtrail-backfill.ts';
import { ingestLookupEvents } from '../shared/ingest.ts';
import { config, logger, metrics, store, tracer } from '../shared/runtime.ts';

const cloudtrail = tracer.captureAWSv3Client(recordCalls(new CloudTrailClient({})));

const eventSchema = z
  .object({
    days: z.number().int().min(1).max(MAX_BACKFILL_DAYS).default(MAX_BACKFILL_DAYS),
    start: z.string().datetime({ offset: true }).optional(),
    end: z.string().datetime({ offset: true }).optional(),
    nextToken: z.string().optional(),
  })
  .strict();

/** The window asked for; an explicit start/end wins over `days`, and is clamped to the 90 days CloudTrail keeps. */
export function windowOf(e: z.infer<typeof eventSchema>, now: Date): BackfillWindow {
  const w = backfillWindow(now, e.days);
  if (!e.start) return w;
  const start = new Date(Math.max(new Date(e.start).getTime(), now.getTime() - MAX_BACKFILL_DAYS * 86_400_000));
  const end = e.end ? new Date(Math.min(new Date(e.end).getTime(), now.getTime())) : now;
  return { start, end };
}

export const handler = middy(async (event: unknown, context: Context) => {
  const parsed = eventSchema.safeParse(event ?? {});
  if (!parsed.success) {
    return { error: `invalid backfill request: ${parsed.error.issues.map((i) => i.message).join('; ')}` };
  }
  const window = windowOf(parsed.data, new Date());
  let observations = 0;
  const report = await runBackfill({
    client: cloudtrail,
    window,
    nextToken: parsed.data.nextToken,
    ingest: async (name, text) => {
      const r = await ingestLookupEvents(store, name, text, { promptContent: config.WARDEN_PROMPT_CONTENT });
      observations += r.observations;
      return r;
    },
    shouldStop: () => context.getRemainingTimeInMillis() < 90_000,
  });
  metrics.addMetric('BackfilledEvents', MetricUnit.Count, report.events);
  logger.info('backfill', { ...report, observations });
  return { ...report, observations, start: window.start.toISOString(), end: window.end.toISOString() };
})
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
