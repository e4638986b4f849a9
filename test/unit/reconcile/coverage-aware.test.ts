/**
 * Coverage-aware reconciliation: an action whose use no source would record is `not assessed` (kept, the missing
 * source named), never Unused Excess; an action a covering source shows unused is Unused Excess.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadIamCatalog } from '../../../lib/adapters/iam-scope.ts';
import { generateIamTightening } from '../../../lib/core/artifacts/iam-policy.ts';
import {
  actionCoverage,
  type CoverageContext,
  emptySeen,
  type TrailConfig,
} from '../../../lib/core/coverage/action-coverage.ts';
import { cloudTrailEventClass } from '../../../lib/core/coverage/cloudtrail-events.ts';
import type { IamCatalog } from '../../../lib/core/iam/catalog.ts';
import { evaluate } from '../../../lib/core/iam/evaluate.ts';
import type { NamedPolicy } from '../../../lib/core/iam/policy.ts';
import { cloudTrailSeen } from '../../../lib/core/reconcile/iam-rules.ts';
import { reconcile } from '../../../lib/core/reconcile/reconcile.ts';
import { declaredScopeSchema, type ObservedBehavior } from '../../../lib/core/reconcile/types.ts';
import { managementAndS3Trail } from '../../support/trails.ts';

const A = '111122223333';
const ROLE = `arn:aws:iam::${A}:role/support-agent-irsa`;
const T0 = '2026-09-01T00:00:00.000Z';
const T1 = '2026-12-01T00:00:00.000Z';
const SUBJECT = 'k8s:prod/support/support-agent';

const scope = declaredScopeSchema.parse({
  subject: SUBJECT,
  readAt: T1,
  account: A,
  role: {
    arn: ROLE,
    name: 'support-agent-irsa',
    via: 'irsa',
    policies: [
      {
        id: `${ROLE}#inline/support`,
        name: 'support',
        kind: 'inline',
        document: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'Export',
              Effect: 'Allow',
              Action: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'],
              Resource: 'arn:aws:s3:::exports/*',
            },
            { Sid: 'Models', Effect: 'Allow', Action: ['bedrock:InvokeModel', 'bedrock:InvokeAgent'], Resource: '*' },
            { Sid: 'Secrets', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: '*' },
            { Sid: 'Pass', Effect: 'Allow', Action: 'iam:PassRole', Resource: `arn:aws:iam::${A}:role/worker` },
          ],
        },
      },
    ],
  },
});

const at = (key: string, count: number, attrs: Record<string, unknown>, sources: string[]): ObservedBehavior => ({
  key,
  count,
  firstSeen: '2026-10-01T08:00:00.000Z',
  lastSeen: '2026-11-28T17:00:00.000Z',
  attrs,
  sources,
});
const observed: ObservedBehavior[] = [
  at(
    'api:s3:PutObject:arn:aws:s3:::exports/*',
    2568,
    { eventSource: 's3.amazonaws.com', eventName: 'PutObject', eventCategory: 'Data', readOnly: false },
    ['cloudtrail'],
  ),
  // The Bedrock agent's traces, attributed to this Deployment: CloudTrail logs none of it here.
  at('model:anthropic.claude-3-5-sonnet-20241022-v2:0', 1120, { phase: 'input' }, [
    'bedrock-trace',
    'bedrock-invocation',
  ]),
  at('tool:support-tools/getTicket', 801, {}, ['bedrock-trace']),
];

const trail = (selectors: TrailConfig['trails'][number]['eventSelectors'], advanced = []): TrailConfig => ({
  region: 'us-east-1',
  readAt: T1,
  trails: [
    {
      name: 'org-trail',
      multiRegion: true,
      logging: true,
      eventSelectors: selectors,
      advancedEventSelectors: advanced,
    },
  ],
});
const allMgmtAndS3 = managementAndS3Trail('us-east-1', T1);
const ctx = (over: Partial<CoverageContext> = {}): CoverageContext => ({
  seen: emptySeen(),
  ownCloudTrailEvents: 2568,
  roleArn: ROLE,
  ...over,
});

let catalog: IamCatalog;
beforeAll(async () => {
  catalog = await loadIamCatalog(['s3', 'bedrock', 'secretsmanager', 'iam']);
});

describe('CloudTrail event classes', () => {
  it.each([
    ['bedrock:InvokeAgent', undefined, { kind: 'data', resourceType: 'AWS::Bedrock::AgentAlias', readOnly: false }],
    ['bedrock:Retrieve', undefined, { kind: 'data', resourceType: 'AWS::Bedrock::KnowledgeBase', readOnly: true }],
    ['s3:GetObject', 'read', { kind: 'data', resourceType: 'AWS::S3::Object', readOnly: true }],
    ['s3:ListBucket', 'list', { kind: 'data', resourceType: 'AWS::S3::Object', readOnly: true }],
    ['lambda:InvokeFunction', 'write', { kind: 'data', resourceType: 'AWS::Lambda::Function', readOnly: false }],
    ['dynamodb:Query', 'read', { kind: 'data', resourceType: 'AWS::DynamoDB::Table', readOnly: true }],
    ['secretsmanager:GetSecretValue', 'read', { kind: 'management', readOnly: true }],
    ['bedrock:InvokeModel', 'read', { kind: 'management', readOnly: true }],
    ['s3:CreateBucket', 'write', { kind: 'management', readOnly: false }],
    ['iam:PassRole', 'write', { kind: 'unlogged' }],
    ['sdb:Select', 'read', { kind: 'unlogged' }],
  ] as const)('%s', (action, level, want) => {
    expect(cloudTrailEventClass(action, level)).toMatchObject(want);
  });
});

describe('action coverage', () => {
  it('from trail selectors: management and S3 logged, Bedrock data events not', () => {
    const c = ctx({ trails: allMgmtAndS3 });
    expect(actionCoverage('secretsmanager:GetSecretValue', 'read', ['*'], c).covered).toBe(true);
    expect(actionCoverage('s3:DeleteObject', 'write', ['arn:aws:s3:::exports/*'], c).covered).toBe(true);
    const agent = actionCoverage('bedrock:InvokeAgent', 'write', ['*'], c);
    expect(agent).toMatchObject({ covered: false, check: 'bedrock-data-events' });
    if (!agent.covered) expect(agent.missing).toContain('CloudTrail data events for AWS::Bedrock::AgentAlias');
  });

  it('from advanced selectors: a Bedrock AgentAlias data selector covers InvokeAgent', () => {
    const c = ctx({
      trails: trail([], [
        {
          fieldSelectors: [
            { field: 'eventCategory', equals: ['Data'] },
            { field: 'resources.type', equals: ['AWS::Bedrock::AgentAlias'] },
          ],
        },
      ] as never),
    });
    expect(actionCoverage('bedrock:InvokeAgent', 'write', ['*'], c).covered).toBe(true);
  });

  it('from ingested CloudTrail only: evidence per direction and per resource', () => {
    const seen = cloudTrailSeen(observed);
    const c = ctx({ seen });
    expect(actionCoverage('s3:DeleteObject', 'write', ['arn:aws:s3:::exports/*'], c).covered).toBe(true);
    // a write data event on one bucket proves nothing about reads, nor about every bucket
    expect(actionCoverage('s3:GetObject', 'read', ['arn:aws:s3:::exports/*'], c).covered).toBe(false);
    expect(actionCoverage('s3:DeleteObject', 'write', ['*'], c).covered).toBe(false);
    // no read-only management event was ingested: GetSecretValue cannot be judged
    const secret = actionCoverage('secretsmanager:GetSecretValue', 'read', ['*'], c);
    expect(secret.covered).toBe(false);
    if (!secret.covered) expect(secret.missing).toContain('read-only management events');
  });

  it('a principal with no CloudTrail event at all has no log', () => {
    const r = actionCoverage('s3:PutObject', 'write', ['*'], ctx({ ownCloudTrailEvents: 0 }));
    expect(r).toMatchObject({ covered: false, check: 'principal-log' });
    if (!r.covered) expect(r.missing).toContain(ROLE);
  });
});

describe('reconcile with coverage', () => {
  const run = (coverage?: CoverageContext) => reconcile(scope, observed, catalog, { from: T0, to: T1 }, T1, coverage);

  it('keeps InvokeAgent and InvokeModel out of Unused Excess, names the missing source, removes what is unused', () => {
    const r = run(ctx({ trails: allMgmtAndS3 }));
    const by = Object.fromEntries(r.assessments.map((a) => [a.action, a]));
    expect(by['bedrock:InvokeAgent']).toMatchObject({ status: 'not-assessed', check: 'bedrock-data-events' });
    expect(by['bedrock:InvokeAgent']!.missing).toContain('AWS::Bedrock::AgentAlias');
    expect(by['bedrock:InvokeAgent']!.seenIn).toEqual(['bedrock-trace']);
    expect(by['bedrock:InvokeModel']!.status).toBe('not-assessed');
    expect(by['bedrock:InvokeModel']!.count).toBe(1120);
    expect(by['iam:PassRole']!.status).toBe('not-assessed');
    expect(by['s3:PutObject']).toMatchObject({ status: 'exercised', count: 2568 });
    for (const a of ['s3:GetObject', 's3:DeleteObject', 'secretsmanager:GetSecretValue'])
      expect(by[a]!.status, a).toBe('unused');
    const unused = r.findings.flatMap((f) => (f.category === 'unused-excess' ? f.unused.map((u) => u.item) : []));
    expect(unused.sort()).toEqual(['s3:DeleteObject', 's3:GetObject', 'secretsmanager:GetSecretValue']);
    expect(r.gaps.some((g) => g.includes('bedrock:InvokeAgent') && g.includes('AWS::Bedrock::AgentAlias'))).toBe(true);
    expect(r.gaps.some((g) => g.includes('iam:PassRole'))).toBe(true);
  });

  it('without a trail read, only what the ingested CloudTrail proves is judged', () => {
    const r = run();
    const by = Object.fromEntries(r.assessments.map((a) => [a.action, a.status]));
    expect(by).toMatchObject({
      's3:PutObject': 'exercised',
      's3:DeleteObject': 'unused',
      's3:GetObject': 'not-assessed',
      'secretsmanager:GetSecretValue': 'not-assessed',
      'bedrock:InvokeAgent': 'not-assessed',
    });
  });

  it('the tightening keeps every not-assessed grant as granted and removes the unused ones', () => {
    const coverage = ctx({ trails: allMgmtAndS3 });
    const r = run(coverage);
    const t = generateIamTightening({
      subject: SUBJECT,
      baselineVersion: 1,
      observed,
      role: scope.role!,
      findings: r.findings,
      assessments: r.assessments,
      coverage,
      catalog,
    });
    expect(t.policies).toHaveLength(1);
    expect(t.policies[0]!.replaces?.name).toBe('support');
    const set = {
      identity: t.policies.map(
        (p, i): NamedPolicy => ({ id: `t${i}`, name: p.name, kind: 'inline', document: p.document as never }),
      ),
    };
    const allow = (action: string, resource: string) => evaluate(set, { action, resource }).decision === 'allow';
    expect(allow('bedrock:InvokeAgent', 'arn:aws:bedrock:us-east-1:111122223333:agent-alias/SUPP/LIVE')).toBe(true);
    expect(allow('bedrock:InvokeModel', 'arn:aws:bedrock:us-east-1::foundation-model/x')).toBe(true);
    expect(allow('iam:PassRole', `arn:aws:iam::${A}:role/worker`)).toBe(true);
    expect(allow('s3:PutObject', 'arn:aws:s3:::exports/a.json')).toBe(true);
    expect(allow('s3:GetObject', 'arn:aws:s3:::exports/a.json')).toBe(false);
    expect(allow('secretsmanager:GetSecretValue', '*')).toBe(false);
    const models = t.diff.find((d) => d.statement === 'support/Models')!;
    expect(models.change).toBe('kept');
    expect(models.keptNotAssessed).toEqual(['bedrock:InvokeAgent', 'bedrock:InvokeModel']);
    expect(models.keptSeenOutsideCloudTrail).toEqual([]);
  });

  it('a grant kept because traces show it used is told apart from one kept because nothing could show it', () => {
    const coverage = ctx({ trails: allMgmtAndS3 });
    const r = run(coverage);
    // As for a Bedrock agent's own service role: its traces are the role's calls, so InvokeModel is exercised.
    const assessments = r.assessments.map((a) =>
      a.action === 'bedrock:InvokeModel' ? { ...a, status: 'exercised' as const, seenIn: ['bedrock-trace'] } : a,
    );
    const t = generateIamTightening({
      subject: SUBJECT,
      baselineVersion: 1,
      observed,
      role: scope.role!,
      findings: r.findings,
      assessments,
      coverage,
      catalog,
    });
    const models = t.diff.find((d) => d.statement === 'support/Models')!;
    expect(models.keptNotAssessed).toEqual(['bedrock:InvokeAgent']);
    expect(models.keptSeenOutsideCloudTrail).toEqual(['bedrock:InvokeModel (bedrock-trace)']);
  });
});
