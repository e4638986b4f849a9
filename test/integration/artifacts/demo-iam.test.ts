/**
 * The IAM tightening of every demo agent keeps every action the agent's telemetry shows it calling, whether or not
 * CloudTrail logged it: the demo's own telemetry (CloudTrail, Bedrock agent traces, model invocation logs) through
 * the real parsers, the demo account's trail selectors, reconciliation and the tightening, then the IAM evaluator.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadIamCatalog } from '../../../lib/adapters/iam-scope.ts';
import { generateIamTightening, type IamTightening } from '../../../lib/core/artifacts/iam-policy.ts';
import { validateTightening } from '../../../lib/core/artifacts/iam-validate.ts';
import type { CoverageContext } from '../../../lib/core/coverage/action-coverage.ts';
import { evaluate } from '../../../lib/core/iam/evaluate.ts';
import type { NamedPolicy } from '../../../lib/core/iam/policy.ts';
import type { Observation } from '../../../lib/core/observation.ts';
import type { ReconcileResult } from '../../../lib/core/reconcile/findings.ts';
import { cloudTrailSeen, isCloudTrail, toApiCall } from '../../../lib/core/reconcile/iam-rules.ts';
import { reconcile, servicesInvolved } from '../../../lib/core/reconcile/reconcile.ts';
import { actionsFromOtherSources } from '../../../lib/core/reconcile/source-actions.ts';
import { type DeclaredScope, declaredScopeSchema, type ObservedBehavior } from '../../../lib/core/reconcile/types.ts';
import { parseText } from '../../../lib/core/sources/index.ts';
import { writeTelemetry } from '../../../lib/demo/scenarios/write.ts';
import { demoWorld } from '../../../lib/demo/world.ts';

const world = demoWorld(7);
const dir = mkdtempSync(join(tmpdir(), 'warden-demo-iam-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Observations folded per subject and key, as the store's aggregates are read back. */
function fold(obs: Observation[]): Map<string, ObservedBehavior[]> {
  const by = new Map<string, Map<string, ObservedBehavior>>();
  for (const o of obs) {
    const m = by.get(o.subject) ?? new Map<string, ObservedBehavior>();
    const cur = m.get(o.key);
    if (!cur) {
      m.set(o.key, {
        key: o.key,
        count: o.count,
        firstSeen: o.time,
        lastSeen: o.time,
        attrs: { ...o.attrs },
        sources: [o.source],
      });
    } else {
      cur.count += o.count;
      if (o.time < cur.firstSeen) cur.firstSeen = o.time;
      if (o.time > cur.lastSeen) cur.lastSeen = o.time;
      if (!cur.sources!.includes(o.source)) cur.sources!.push(o.source);
    }
    by.set(o.subject, m);
  }
  return new Map([...by].map(([s, m]) => [s, [...m.values()]]));
}

interface Run {
  scope: DeclaredScope;
  observed: ObservedBehavior[];
  result: ReconcileResult;
  t: IamTightening;
  ok: boolean;
}
const runs = new Map<string, Run>();

beforeAll(async () => {
  const obs: Observation[] = [];
  for (const [name, tel] of [
    ['support', world.incident.telemetry],
    ['other', world.extra],
  ] as const) {
    // Only the sources that show AWS calls: CloudTrail, agent traces, invocation logs.
    const written = await writeTelemetry(join(dir, name), { ...tel, flows: [], nodeAgent: [] });
    for (const f of written.files) {
      const r = parseText(readFileSync(f, 'utf8'), {
        identity: world.identity,
        promptContent: 'hash-and-excerpt',
        excerptChars: 200,
        file: f,
        defaultRegion: world.incident.spec.region,
      });
      obs.push(...r.observations);
    }
  }
  const bySubject = fold(obs);
  const seen = cloudTrailSeen([...bySubject.values()].flat());
  const window = { from: '2000-01-01T00:00:00.000Z', to: '2100-01-01T00:00:00.000Z' };
  for (const input of world.scopes) {
    const scope = declaredScopeSchema.parse(input);
    if (!scope.role) continue;
    const observed = bySubject.get(scope.subject) ?? [];
    const catalog = await loadIamCatalog(servicesInvolved(scope, observed));
    const coverage: CoverageContext = {
      seen,
      trails: world.trails,
      roleArn: scope.role.arn,
      ownCloudTrailEvents: observed.filter(isCloudTrail).reduce((n, b) => n + b.count, 0),
    };
    const result = reconcile(scope, observed, catalog, window, window.to, coverage);
    const t = generateIamTightening({
      subject: scope.subject,
      baselineVersion: 1,
      observed,
      role: scope.role,
      findings: result.findings,
      assessments: result.assessments,
      coverage,
      catalog,
    });
    runs.set(scope.subject, { scope, observed, result, t, ok: validateTightening(t, scope.role, catalog).ok });
  }
}, 240_000);

const allows = (t: IamTightening, action: string, resource: string) =>
  evaluate(
    {
      identity: t.policies.map(
        (p, i): NamedPolicy => ({ id: `t${i}`, name: p.name, kind: 'inline', document: p.document as never }),
      ),
    },
    { action, resource },
  ).decision === 'allow';

describe('IAM tightening of every demo agent', () => {
  it.each([
    // subject, actions its telemetry shows (traces and logs, CloudTrail or not)
    [
      world.subjects.support,
      ['bedrock:InvokeAgent', 'bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream', 's3:PutObject'],
    ],
    [world.subjects.retriever, ['s3:GetObject']],
    [world.subjects.bedrock, ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream']],
  ])('%s keeps %j and every other action its telemetry shows', (subject, expected) => {
    const run = runs.get(subject)!;
    expect(run, subject).toBeDefined();
    expect(run.ok).toBe(true);
    const shown = [
      ...actionsFromOtherSources(subject, run.observed, run.scope.role?.via).map((a) => ({
        action: a.action,
        resource: a.resource,
      })),
      ...run.observed
        .map(toApiCall)
        .filter((c) => c && !c.failed)
        .flatMap((c) => c!.actions.map((action) => ({ action, resource: c!.resource }))),
    ];
    expect([...new Set(shown.map((s) => s.action))].sort()).toEqual([...expected].sort());
    // Every shown action the role grants today is still granted (one it never had cannot be kept).
    const current = { identity: run.scope.role!.policies as NamedPolicy[] };
    for (const s of shown) {
      if (evaluate(current, { action: s.action, resource: s.resource }).decision !== 'allow') continue;
      expect(allows(run.t, s.action, s.resource), `${s.action} on ${s.resource}`).toBe(true);
    }
  });

  it('support-agent: InvokeAgent/InvokeModel not assessed with the missing source named; the unused removed', () => {
    const run = runs.get(world.subjects.support)!;
    // CloudTrail never saw InvokeAgent: the trail logs no Bedrock data events
    expect(run.observed.some((b) => b.key.startsWith('api:bedrock:InvokeAgent'))).toBe(false);
    const by = Object.fromEntries(run.result.assessments.map((a) => [a.action, a]));
    expect(by['bedrock:InvokeAgent']).toMatchObject({ status: 'not-assessed', check: 'bedrock-data-events' });
    expect(by['bedrock:InvokeAgent']!.missing).toContain('CloudTrail data events for AWS::Bedrock::AgentAlias');
    expect(by['bedrock:InvokeModel']!.status).toBe('not-assessed');
    expect(run.result.gaps.some((g) => g.includes('bedrock:InvokeAgent'))).toBe(true);
    for (const a of ['s3:GetObject', 's3:DeleteObject', 'secretsmanager:GetSecretValue']) {
      expect(by[a]!.status, a).toBe('unused');
      expect(allows(run.t, a, a.startsWith('s3') ? 'arn:aws:s3:::acme-support-exports/x' : '*'), a).toBe(false);
    }
    expect(run.t.policies.map((p) => p.replaces?.name)).toEqual(['support']);
  });
});
