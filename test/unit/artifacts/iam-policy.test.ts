import { beforeAll, describe, expect, it } from 'vitest';
import { loadIamCatalog } from '../../../lib/adapters/iam-scope.ts';
import {
  generateIamTightening,
  type IamTightening,
  MANAGED_POLICY_MAX,
} from '../../../lib/core/artifacts/iam-policy.ts';
import { iamArtifactFiles } from '../../../lib/core/artifacts/iam-pr.ts';
import { type CoverageContext, emptySeen } from '../../../lib/core/coverage/action-coverage.ts';
import type { IamCatalog } from '../../../lib/core/iam/catalog.ts';
import { evaluate } from '../../../lib/core/iam/evaluate.ts';
import type { NamedPolicy } from '../../../lib/core/iam/policy.ts';
import { behaviorsFromAggregates, reconcile } from '../../../lib/core/reconcile/reconcile.ts';
import { type DeclaredScope, declaredScopeSchema, type ObservedBehavior } from '../../../lib/core/reconcile/types.ts';
import type { AggregateRow } from '../../../lib/core/store/aggregate-row.ts';
import { managementAndS3Trail } from '../../support/trails.ts';

const A = '111122223333';
const ROLE = `arn:aws:iam::${A}:role/support-agent`;
const T0 = '2026-11-01T00:00:00.000Z';
const T1 = '2026-11-15T00:00:00.000Z';
const SUBJECT = 'k8s:prod/support/support-agent';

const scope: DeclaredScope = declaredScopeSchema.parse({
  subject: SUBJECT,
  readAt: T1,
  account: A,
  role: {
    arn: ROLE,
    name: 'support-agent',
    via: 'irsa',
    policies: [
      {
        id: `${ROLE}#inline/agent`,
        name: 'agent',
        kind: 'inline',
        document: {
          Statement: [
            {
              Sid: 'Export',
              Effect: 'Allow',
              Action: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'],
              Resource: ['arn:aws:s3:::export/*', 'arn:aws:s3:::archive/*'],
              Condition: { Bool: { 'aws:SecureTransport': 'true' } },
            },
            { Sid: 'Model', Effect: 'Allow', Action: 'bedrock:InvokeModel', Resource: '*' },
            { Sid: 'Secrets', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: '*' },
          ],
        },
      },
    ],
  },
});

const call = (
  key: string,
  eventSource: string,
  eventName: string,
  extra: Record<string, unknown> = {},
): ObservedBehavior => ({
  key,
  count: 12,
  firstSeen: T0,
  lastSeen: T1,
  attrs: { eventSource, eventName, principalArn: `arn:aws:sts::${A}:assumed-role/support-agent/s1`, ...extra },
});

const MODEL = `arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet-20241022-v2:0`;
const observed: ObservedBehavior[] = [
  call('api:s3:PutObject:arn:aws:s3:::export/*', 's3.amazonaws.com', 'PutObject'),
  call('api:s3:CompleteMultipartUpload:arn:aws:s3:::export/*', 's3.amazonaws.com', 'CompleteMultipartUpload'),
  call(`api:bedrock:Converse:${MODEL}`, 'bedrock.amazonaws.com', 'Converse'),
  call('api:s3:GetObject:arn:aws:s3:::archive/*', 's3.amazonaws.com', 'GetObject', { errorCode: 'AccessDenied' }),
];

/** The account's trail logs every management event and all S3 data events (as `warden coverage` would read it). */
const allLogged: CoverageContext = {
  seen: emptySeen(),
  ownCloudTrailEvents: 1,
  roleArn: ROLE,
  trails: managementAndS3Trail('us-east-1', T1),
};

let catalog: IamCatalog;
beforeAll(async () => {
  catalog = await loadIamCatalog(['s3', 'bedrock', 'secretsmanager']);
});

function tighten(coverage: CoverageContext | undefined = allLogged, behaviors: ObservedBehavior[] = observed) {
  const rec = reconcile(scope, behaviors, catalog, { from: T0, to: T1 }, T1, coverage);
  return {
    rec,
    t: generateIamTightening({
      subject: SUBJECT,
      baselineVersion: 4,
      observed: behaviors,
      role: scope.role,
      findings: rec.findings,
      assessments: rec.assessments,
      ...(coverage ? { coverage } : {}),
      catalog,
    }),
  };
}

/** The generated policies as an identity policy set for the evaluator. */
function policySet(t: IamTightening) {
  return {
    identity: t.policies.map((p, i) => ({
      id: `gen-${i}`,
      name: p.name,
      kind: 'managed' as const,
      document: p.document as NamedPolicy['document'],
    })),
  };
}

describe('IAM tightening', () => {
  it('allows every observed successful call and denies the unused excess', () => {
    const { rec, t } = tighten();
    const set = policySet(t);
    const ctx = { 'aws:SecureTransport': true };
    expect(
      evaluate(set, { action: 's3:PutObject', resource: 'arn:aws:s3:::export/a.csv', context: ctx }).decision,
    ).toBe('allow');
    expect(evaluate(set, { action: 'bedrock:InvokeModel', resource: MODEL }).decision).toBe('allow');
    // Unused excess from reconciliation: each removed grant is denied now.
    const unused = rec.findings.filter((f) => f.category === 'unused-excess');
    expect(unused.length).toBeGreaterThan(0);
    for (const f of unused) {
      if (f.category !== 'unused-excess' || f.kind !== 'iam-action') continue;
      for (const u of f.unused) {
        const resource = u.item.startsWith('s3:') ? 'arn:aws:s3:::archive/x' : '*';
        expect(evaluate(set, { action: u.item, resource, context: ctx }).decision, u.item).not.toBe('allow');
      }
    }
    expect(evaluate(set, { action: 'secretsmanager:GetSecretValue', resource: '*' }).decision).toBe('implicit-deny');
    expect(evaluate(set, { action: 's3:DeleteObject', resource: 'arn:aws:s3:::export/a', context: ctx }).decision).toBe(
      'implicit-deny',
    );
  });

  it('keeps an action whose first call in the window failed (NoSuchKey) and later calls succeeded', () => {
    // Hourly aggregates as the stores return them: the first hour's only call failed, the next hours' succeeded.
    const hour = (window: string, count: number, extra: Record<string, unknown> = {}): AggregateRow => ({
      subject: SUBJECT,
      key: 'api:s3:GetObject:arn:aws:s3:::export/*',
      window,
      layer: 'cloud-api',
      kind: 'api',
      count,
      firstSeen: window,
      lastSeen: window.replace('T10:00', 'T10:59'),
      sources: ['cloudtrail'],
      attrs: {
        eventSource: 's3.amazonaws.com',
        eventName: 'GetObject',
        principalArn: `arn:aws:sts::${A}:assumed-role/support-agent/s1`,
        ...extra,
      } as AggregateRow['attrs'],
      sums: {},
    });
    const rows = [
      hour('2026-11-02T10:00:00.000Z', 1, { errorCode: 'NoSuchKey' }),
      hour('2026-11-03T10:00:00.000Z', 500),
      hour('2026-11-09T10:00:00.000Z', 700),
    ];
    const { t } = tighten(allLogged, [...observed, ...behaviorsFromAggregates(rows)]);
    const set = policySet(t);
    const ctx = { 'aws:SecureTransport': true };
    expect(
      evaluate(set, { action: 's3:GetObject', resource: 'arn:aws:s3:::export/t.csv', context: ctx }).decision,
    ).toBe('allow');
    expect(t.notGranted.map((n) => n.key)).not.toContain('api:s3:GetObject:arn:aws:s3:::export/*');
    // Only failed calls stay an attempt: the archive read denied in every hour is still not granted.
    expect(t.notGranted.map((n) => n.key)).toContain('api:s3:GetObject:arn:aws:s3:::archive/*');
  });

  it('keeps the condition of the statement that allowed the call, and concrete resources', () => {
    const { t } = tighten();
    const s3 = t.policies[0]!.document.Statement.find((s) => (s.Action ?? []).includes('s3:PutObject'))!;
    expect(s3.Resource).toEqual(['arn:aws:s3:::export/*']);
    expect(s3.Condition).toEqual({ Bool: { 'aws:SecureTransport': 'true' } });
    const model = t.policies[0]!.document.Statement.find((s) => (s.Action ?? []).includes('bedrock:InvokeModel'))!;
    expect(model.Resource).toEqual([MODEL]);
  });

  it('does not grant failed calls and says so', () => {
    const { t } = tighten();
    expect(JSON.stringify(t.policies)).not.toContain('archive');
    expect(t.notGranted.map((n) => n.key)).toEqual(['api:s3:GetObject:arn:aws:s3:::archive/*']);
  });

  it('names each removed grant and its finding in the diff', () => {
    const { t } = tighten();
    const byName = Object.fromEntries(t.diff.map((d) => [d.statement, d]));
    expect(byName['agent/Secrets']!.change).toBe('removed');
    expect(byName['agent/Export']!.change).toBe('kept-narrowed');
    expect(byName['agent/Export']!.removedGrants).toContain('s3:DeleteObject');
    expect(byName['agent/Export']!.findings.length).toBeGreaterThan(0);
    const md = iamArtifactFiles({ subject: SUBJECT, role: scope.role!, tightening: t, assessments: [] }).find(
      (f) => f.kind === 'iam-diff',
    )!.content;
    expect(md).toContain('agent/Secrets | removed');
  });

  it('every statement has provenance and every action exists in the catalog', () => {
    const { t } = tighten();
    for (const p of t.policies)
      for (const s of p.document.Statement) {
        for (const a of s.Action ?? []) expect(catalog.actionExists(a), a).toBe(true);
        const prov = t.provenance.find((r) => r.rule === `Statement[${s.Sid}]`)!;
        expect(prov.derivedFrom.length).toBeGreaterThan(0);
        expect(prov.baselineVersion).toBe(4);
      }
  });

  it('splits into several managed policies beyond the size limit', () => {
    const many = Array.from({ length: 200 }, (_, i) =>
      call(
        `api:s3:PutObject:arn:aws:s3:::bucket-number-${i}-with-a-long-name/*`,
        's3.amazonaws.com',
        i % 2 ? 'PutObject' : 'GetObject',
      ),
    );
    const t = generateIamTightening({ subject: SUBJECT, baselineVersion: 1, observed: many, findings: [], catalog });
    expect(t.policies.length).toBeGreaterThan(1);
    for (const p of t.policies) expect(JSON.stringify(p.document).length).toBeLessThanOrEqual(MANAGED_POLICY_MAX);
    expect(t.policies.flatMap((p) => p.document.Statement.flatMap((s) => s.Resource ?? []))).toHaveLength(200);
  });
});
