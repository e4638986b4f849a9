/**
 * Drift classification task (on a schedule, or after ingest): `{"sinceHours": 24, "subjects": [...]}`. Runs the
 * same use case as `warden drift` (lib/app/report-drift.ts): classifies the period with the pure core, stores the
 * drift docs, chains the audit entry of each risky item's triggering input, and publishes each item as "Warden Drift
 * Detected" on the Warden bus (env WARDEN_BUS_NAME) with the anchored audit chain head.
 */

import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { z } from 'zod';
import { reportDrift } from '../../lib/app/report-drift.ts';
import { events, logger, metrics, store, tracer } from '../shared/runtime.ts';

const eventSchema = z.object({
  sinceHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 90)
    .default(24),
  subjects: z.array(z.string()).optional(),
  /** False-positive budget of the per-session judgement (default 0.01). */
  fpBudget: z.number().gt(0).max(0.5).optional(),
});

// A drift alert that cannot be published is not an expected outcome: fail at cold start, not after classifying.
if (!events) throw new Error('WARDEN_BUS_NAME is not set');

async function run(event: unknown) {
  const e = eventSchema.parse(event ?? {});
  const r = await reportDrift(
    { store, events },
    {
      sinceMs: e.sinceHours * 3_600_000,
      ...(e.subjects ? { subjects: e.subjects } : {}),
      ...(e.fpBudget ? { options: { fpBudget: e.fpBudget } } : {}),
    },
  );
  const risky = r.items.filter((d) => d.classification === 'risky');
  const unchained = r.chained.filter((c) => c.error);
  metrics.addMetric('DriftItems', MetricUnit.Count, r.items.length);
  metrics.addMetric('RiskyDrift', MetricUnit.Count, risky.length);
  metrics.addMetric('SessionsJudged', MetricUnit.Count, r.sessions.length);
  if (unchained.length > 0) {
    // The chain was changed outside Warden: the alarm on this metric says someone must run `warden audit verify`.
    metrics.addMetric('AuditChainRefused', MetricUnit.Count, unchained.length);
    logger.error('audit chain refused appends', { unchained });
  }
  logger.info('drift classified', {
    from: r.from,
    to: r.to,
    items: r.items.length,
    risky: risky.length,
    sessions: r.sessions.length,
    withoutThreshold: r.calibrations.filter((c) => c.method === 'insufficient-history').map((c) => c.subject),
  });
  return {
    from: r.from,
    to: r.to,
    items: r.items.length,
    risky: risky.map((d) => ({ id: d.id, score: d.score, auditId: d.auditId })),
    ...(r.auditHead ? { auditHead: r.auditHead } : {}),
  };
}

export const handler = middy(run)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
