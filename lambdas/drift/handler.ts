/**
 * Drift classification task (on a schedule, or after ingest): `{"sinceHours": 24, "subjects": [...]}`. Classifies
 * the period with the pure core, stores the drift docs, publishes each as "Warden Drift Detected" on the Warden bus
 * (env WARDEN_EVENT_BUS), and builds the audit entry of each risky item's triggering input so it is chained right
 * away. The infra engineer wires the schedule / trigger.
 */

import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import middy from '@middy/core';
import { z } from 'zod';
import { recordCalls } from '../../lib/adapters/aws-calls.ts';
import { EventBridgeSink } from '../../lib/adapters/eventbridge.ts';
import { auditInput } from '../../lib/audit/service.ts';
import { runDrift } from '../../lib/drift/service.ts';
import { logger, metrics, store, tracer } from '../shared/runtime.ts';

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

const events = recordCalls(new EventBridgeClient({}));

async function run(event: unknown) {
  const e = eventSchema.parse(event ?? {});
  const busName = process.env.WARDEN_EVENT_BUS;
  if (!busName) throw new Error('WARDEN_EVENT_BUS is not set');
  const r = await runDrift(store, {
    sinceMs: e.sinceHours * 3_600_000,
    ...(e.subjects ? { subjects: e.subjects } : {}),
    ...(e.fpBudget ? { options: { fpBudget: e.fpBudget } } : {}),
    sink: new EventBridgeSink({ busName, client: events }),
  });
  const risky = r.items.filter((d) => d.classification === 'risky');
  for (const d of risky) {
    const input = d.auditId?.replace(/^audit:/, '');
    if (input) await auditInput(store, input);
  }
  metrics.addMetric('DriftItems', MetricUnit.Count, r.items.length);
  metrics.addMetric('RiskyDrift', MetricUnit.Count, risky.length);
  metrics.addMetric('SessionsJudged', MetricUnit.Count, r.sessions.length);
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
  };
}

export const handler = middy(run)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
