/**
 * Drift classification task (every `warden:driftMinutes`, default 15; with 0, after every ingest and hourly):
 * `{"sinceHours": 24}`. Runs the same use case as `warden drift` (lib/app/report-drift.ts) incrementally: only the
 * subjects with data since they were last judged, each from the earliest point that data can change
 * (lib/app/drift/incremental.ts); a subject judged for the first time is judged over the last `sinceHours`. Dirty
 * subjects are taken in pages, one subject at a time, until three minutes before the function's timeout; the rest
 * stay dirty, and the next invocation (the next scheduled run, or the next ingest) continues with them (`remaining`
 * in the result and the DriftBacklog metric say how many). New and changed items
 * are stored, the audit entry of each risky item's triggering input chained, and each published as "Warden Drift
 * Detected" on the Warden bus (env WARDEN_BUS_NAME) with the anchored audit chain head.
 * `{"subjects": [...]}` judges those subjects over the whole period instead (a full run, as `warden drift` does).
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { type ChainedInput, reportDrift, reportDriftIncremental } from '../../lib/app/report-drift.ts';
import type { ChainHead } from '../../lib/core/audit/types.ts';
import type { Calibration } from '../../lib/core/drift/session/types.ts';
import type { DriftObject } from '../../lib/core/drift/types.ts';
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

/** Time kept back from the function's timeout: the subject being judged finishes, no new one starts. */
const RESERVE_MS = 180_000;

// A drift alert that cannot be published is not an expected outcome: fail at cold start, not after classifying.
if (!events) throw new Error('WARDEN_BUS_NAME is not set');

async function run(event: unknown, context: Context) {
  const e = eventSchema.parse(event ?? {});
  const sinceMs = e.sinceHours * 3_600_000;
  const options = e.fpBudget ? { options: { fpBudget: e.fpBudget } } : {};
  let r: {
    to: string;
    items: DriftObject[];
    chained: ChainedInput[];
    auditHead?: ChainHead;
    sessions: unknown[];
    calibrations: Calibration[];
  };
  let extra: { subjects?: number; remaining?: number; retracted?: number } = {};
  if (e.subjects) {
    r = await reportDrift({ store, events }, { sinceMs, subjects: e.subjects, ...options });
  } else {
    const deadline = Date.now() + Math.max(0, context.getRemainingTimeInMillis() - RESERVE_MS);
    const inc = await reportDriftIncremental({ store, events }, { sinceMs, deadline, ...options });
    metrics.addMetric('DriftSubjects', MetricUnit.Count, inc.subjects.length);
    metrics.addMetric('DriftBacklog', MetricUnit.Count, inc.remaining.length);
    metrics.addMetric('DriftRetracted', MetricUnit.Count, inc.retracted.length);
    extra = { subjects: inc.subjects.length, remaining: inc.remaining.length, retracted: inc.retracted.length };
    r = inc;
  }
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
    to: r.to,
    items: r.items.length,
    risky: risky.length,
    sessions: r.sessions.length,
    withoutThreshold: r.calibrations.filter((c) => c.method === 'insufficient-history').map((c) => c.subject),
    ...extra,
  });
  return {
    to: r.to,
    items: r.items.length,
    risky: risky.map((d) => ({ id: d.id, score: d.score, auditId: d.auditId })),
    ...extra,
    ...(r.auditHead ? { auditHead: r.auditHead } : {}),
  };
}

export const handler = middy(run)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
