/**
 * Reconcile task (scheduled or on demand): `{"subjects": [...]}` or `{}` for every stored subject. Bedrock subjects
 * get their declared scope read live (Bedrock Agents, IAM, S3 bucket policies). The Lambda has no Kubernetes API
 * access, so k8s subjects use the last declared scope stored by `warden reconcile --aws` / `--scope` (an error names
 * the subject when there is none). Then it reconciles the last `windowDays`, classifies the track, saves both.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { z } from 'zod';
import { awsDeclaredScopeReaders } from '../../lib/adapters/aws-scope-reader.ts';
import { loadIamCatalog } from '../../lib/adapters/iam-scope.ts';
import { runReconcile, runTrack } from '../../lib/app/reconcile/service.ts';
import { parseSubject } from '../../lib/core/observation.ts';
import { logger, metrics, store, tracer } from '../shared/runtime.ts';

const eventSchema = z.object({
  subjects: z.array(z.string()).optional(),
  windowDays: z.number().int().min(1).max(90).default(14),
  /** Least span of ingested CloudTrail before a grant is called unused (default 30 days, capped at the window). */
  minHistoryDays: z.number().min(0).max(90).optional(),
});

/** Built once per execution environment: the SDK clients are reused for every subject and invocation. */
const scopeReaders = awsDeclaredScopeReaders();

export interface ReconcileSummary {
  subject: string;
  unusedExcess?: number;
  inheritedOverreach?: number;
  track?: string;
  error?: string;
}

async function run(event: unknown): Promise<ReconcileSummary[]> {
  const e = eventSchema.parse(event ?? {});
  const subjects =
    e.subjects ?? (await store.subjects()).map((s) => s.subject).filter((s) => !s.startsWith('unattributed:'));
  const now = new Date().toISOString();
  const out: ReconcileSummary[] = [];
  for (const subject of subjects) {
    if (!parseSubject(subject)) {
      out.push({ subject, error: 'not a subject id' });
      continue;
    }
    try {
      const reader = subject.startsWith('bedrock:') ? await scopeReaders(subject) : undefined;
      const r = await runReconcile(
        {
          store,
          loadCatalog: loadIamCatalog,
          ...(reader ? { reader } : {}),
          now,
          windowDays: e.windowDays,
          ...(e.minHistoryDays !== undefined ? { minHistoryDays: e.minHistoryDays } : {}),
        },
        subject,
      );
      const t = await runTrack({ store, loadCatalog: loadIamCatalog, now, windowDays: e.windowDays }, subject);
      out.push({
        subject,
        unusedExcess: r.counts.unusedExcess,
        inheritedOverreach: r.counts.inheritedOverreach,
        track: t.track,
      });
      metrics.addMetric('InheritedOverreach', MetricUnit.Count, r.counts.inheritedOverreach);
    } catch (err) {
      logger.error('reconcile failed', { subject, error: err as Error });
      out.push({ subject, error: (err as Error).message });
    }
  }
  return out;
}

export const handler = middy(run)
  .use(injectLambdaContext(logger))
  .use(captureLambdaHandler(tracer))
  .use(logMetrics(metrics));
