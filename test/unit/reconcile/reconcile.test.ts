import { beforeAll, describe, expect, it } from 'vitest';
import { loadIamCatalog } from '../../../lib/adapters/iam-scope.ts';
import { type CoverageContext, emptySeen } from '../../../lib/core/coverage/action-coverage.ts';
import type { IamCatalog } from '../../../lib/core/iam/catalog.ts';
import type { InheritedOverreachFinding, UnusedExcessFinding } from '../../../lib/core/reconcile/findings.ts';
import { parseEgressKey } from '../../../lib/core/reconcile/network-rules.ts';
import { behaviorsFromAggregates, reconcile, servicesInvolved } from '../../../lib/core/reconcile/reconcile.ts';
import { renderReconcileHtml, renderReconcileMarkdown } from '../../../lib/core/reconcile/render.ts';
import { type DeclaredScope, declaredScopeSchema, type ObservedBehavior } from '../../../lib/core/reconcile/types.ts';
import { managementAndS3Trail } from '../../support/trails.ts';

const A = '111122223333';
const ROLE = `arn:aws:iam::${A}:role/support-agent`;
const NODE = `arn:aws:iam::${A}:role/eks-node`;
const T0 = '2026-11-01T00:00:00.000Z';
const T1 = '2026-11-15T00:00:00.000Z';

const scope: DeclaredScope = declaredScopeSchema.parse({
  subject: 'k8s:prod/support/support-agent',
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
              Action: ['s3:PutObject', 's3:GetObject'],
              Resource: ['arn:aws:s3:::export/*', 'arn:aws:s3:::archive/*'],
            },
            { Sid: 'Model', Effect: 'Allow', Action: 'bedrock:InvokeModel', Resource: '*' },
          ],
        },
      },
      {
        id: 'arn:aws:iam::aws:policy/AmazonSQSFullAccess',
        name: 'AmazonSQSFullAccess',
        kind: 'aws-managed',
        document: { Statement: [{ Effect: 'Allow', Action: 'sqs:*', Resource: '*' }] },
      },
    ],
  },
  inheritedRoles: [
    {
      source: 'node-role-imds',
      reachable: true,
      reachReason: 'IMDSv2 hop limit 2 and no NetworkPolicy blocks 169.254.169.254',
      role: {
        arn: NODE,
        name: 'eks-node',
        policies: [
          {
            id: `${NODE}#inline/ecr`,
            name: 'ecr',
            kind: 'inline',
            document: {
              Statement: [
                {
                  Sid: 'Pull',
                  Effect: 'Allow',
                  Action: ['ecr:GetAuthorizationToken', 'ecr:BatchGetImage'],
                  Resource: '*',
                },
                { Sid: 'Describe', Effect: 'Allow', Action: 'ec2:DescribeInstances', Resource: '*' },
              ],
            },
          },
        ],
      },
    },
  ],
  resourcePolicies: [
    {
      resourceArn: 'arn:aws:s3:::shared-data',
      accountWide: true,
      policy: {
        id: 'arn:aws:s3:::shared-data#bucket-policy',
        name: 'shared-data bucket policy',
        kind: 'resource',
        document: {
          Statement: [
            {
              Sid: 'Everyone',
              Effect: 'Allow',
              Principal: '*',
              Action: 's3:GetObject',
              Resource: 'arn:aws:s3:::shared-data/*',
            },
          ],
        },
      },
    },
  ],
  network: {
    policies: ['support/agent-egress', 'support/default-dns'],
    egressRestricted: true,
    rules: [
      {
        policy: 'support/agent-egress',
        index: 0,
        namespaceWide: false,
        peers: [{ cidr: '52.216.0.0/15' }, { cidr: '203.0.113.10/32' }],
        ports: [{ port: 443 }],
      },
      {
        policy: 'support/default-dns',
        index: 0,
        namespaceWide: true,
        peers: [{ cidr: '10.100.0.10/32' }],
        ports: [{ protocol: 'UDP', port: 53 }],
      },
    ],
  },
  tools: [
    { key: 'tool:support-tools/getTicket', source: 'support-tools' },
    { key: 'tool:support-tools/closeTicket', source: 'support-tools' },
    { key: 'kb:KB123', source: 'knowledge-bases' },
  ],
});

const b = (key: string, attrs: Record<string, unknown> = {}, count = 1): ObservedBehavior => ({
  key,
  count,
  firstSeen: '2026-11-02T10:00:00.000Z',
  lastSeen: '2026-11-10T10:00:00.000Z',
  attrs,
});

const observed: ObservedBehavior[] = [
  b(
    'api:s3:PutObject:arn:aws:s3:::export/*',
    { eventSource: 's3.amazonaws.com', eventName: 'PutObject', roleArn: ROLE },
    40,
  ),
  b('api:bedrock:InvokeModel:arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude', { roleArn: ROLE }, 300),
  b('api:sqs:SendMessage:arn:aws:sqs:eu-west-1:111122223333:q', { roleArn: ROLE }, 3),
  b('api:s3:GetObject:arn:aws:s3:::shared-data/*', { roleArn: ROLE }, 2),
  b('api:ec2:DescribeInstances:*', { principalArn: `arn:aws:sts::${A}:assumed-role/eks-node/i-0abc` }, 1),
  b('api:s3:DeleteObject:arn:aws:s3:::export/*', { roleArn: ROLE, errorCode: 'AccessDenied' }),
  b('api:sts:GetCallerIdentity:*', { eventSource: 'sts.amazonaws.com', eventName: 'GetCallerIdentity' }),
  b('net:egress:52.216.4.1/32:443'),
  b('net:egress:10.100.0.10/32:53'),
  b('net:egress:198.51.100.7/32:443'),
  b('tool:support-tools/getTicket', {}, 12),
];

/** A trail logging every management event and all S3 data events: what `warden coverage` reads in a covered account. */
const allLogged: CoverageContext = {
  seen: emptySeen(),
  ownCloudTrailEvents: 1,
  roleArn: ROLE,
  trails: managementAndS3Trail('eu-west-1', T1),
};

describe('reconcile', () => {
  let catalog: IamCatalog;
  beforeAll(async () => {
    catalog = await loadIamCatalog(servicesInvolved(scope, observed));
  });

  it('sorts findings into Unused Excess and Inherited Overreach, each naming its source statement', () => {
    const r = reconcile(scope, observed, catalog, { from: T0, to: T1 }, T1, allLogged);
    const ids = r.findings.map((f) => f.id);
    expect(ids).toEqual([
      `inherited-overreach:account-resource-policy:arn:aws:s3:::shared-data#bucket-policy#0`,
      `inherited-overreach:namespace-default:support/default-dns#egress[0]`,
      `inherited-overreach:node-role-imds:${NODE}#inline/ecr#0`,
      `inherited-overreach:node-role-imds:${NODE}#inline/ecr#1`,
      'inherited-overreach:wildcard-managed-policy:arn:aws:iam::aws:policy/AmazonSQSFullAccess#0',
      'unused-excess:egress:support/agent-egress#egress[0]',
      `unused-excess:iam-action:${ROLE}#inline/agent#0`,
      `unused-excess:iam-resource:${ROLE}#inline/agent#0`,
      'unused-excess:tool:knowledge-bases',
      'unused-excess:tool:support-tools',
    ]);
    const get = <T>(id: string) => r.findings.find((f) => f.id === id) as T;

    const exportStmt = get<UnusedExcessFinding>(`unused-excess:iam-action:${ROLE}#inline/agent#0`);
    expect(exportStmt.source).toBe('agent/Export');
    expect(exportStmt.unused).toEqual([{ item: 's3:GetObject', accessLevel: 'read' }]);
    expect(exportStmt.exercised.map((e) => e.key)).toEqual(['api:s3:PutObject:arn:aws:s3:::export/*']);
    expect(get<UnusedExcessFinding>(`unused-excess:iam-resource:${ROLE}#inline/agent#0`).unused).toEqual([
      { item: 'arn:aws:s3:::archive/*' },
    ]);

    const sqs = get<InheritedOverreachFinding>(
      'inherited-overreach:wildcard-managed-policy:arn:aws:iam::aws:policy/AmazonSQSFullAccess#0',
    );
    expect(sqs).toMatchObject({ status: 'exercised', sourceName: 'arn:aws:iam::aws:policy/AmazonSQSFullAccess' });
    expect(sqs.evidence.map((e) => e.key)).toEqual(['api:sqs:SendMessage:arn:aws:sqs:eu-west-1:111122223333:q']);

    const bucket = get<InheritedOverreachFinding>(
      'inherited-overreach:account-resource-policy:arn:aws:s3:::shared-data#bucket-policy#0',
    );
    expect(bucket.status).toBe('exercised');
    expect(bucket.statement?.sid).toBe('Everyone');

    const nodeDescribe = get<InheritedOverreachFinding>(`inherited-overreach:node-role-imds:${NODE}#inline/ecr#1`);
    expect(nodeDescribe).toMatchObject({ status: 'exercised', source: 'node-role-imds', sourceName: NODE });
    const nodePull = get<InheritedOverreachFinding>(`inherited-overreach:node-role-imds:${NODE}#inline/ecr#0`);
    expect(nodePull.status).toBe('reachable');
    expect(nodePull.grants.actions).toEqual(['ecr:GetAuthorizationToken', 'ecr:BatchGetImage']);

    expect(get<UnusedExcessFinding>('unused-excess:egress:support/agent-egress#egress[0]').unused).toEqual([
      { item: '203.0.113.10/32:443' },
    ]);
    expect(get<UnusedExcessFinding>('unused-excess:tool:support-tools').unused).toEqual([
      { item: 'tool:support-tools/closeTicket' },
    ]);

    // The failed DeleteObject and the egress no rule allows are reported, not counted as exercised scope.
    expect(r.unexplained.map((u) => u.key).sort()).toEqual([
      'api:s3:DeleteObject:arn:aws:s3:::export/*',
      'net:egress:198.51.100.7/32:443',
    ]);
    expect(r.counts).toEqual({ unusedExcess: 5, inheritedOverreach: 5, exercised: 4, reachable: 1 });
  });

  it('a role shared with another Deployment makes its grants inherited, not own', () => {
    const shared = declaredScopeSchema.parse({
      ...scope,
      role: { ...scope.role, sharing: { kind: 'shared-role', with: ['k8s:prod/support/billing'] } },
    });
    const r = reconcile(shared, observed, catalog, { from: T0, to: T1 }, T1);
    const f = r.findings.find(
      (x) => x.id === `inherited-overreach:shared-role:${ROLE}#inline/agent#0`,
    ) as InheritedOverreachFinding;
    expect(f).toMatchObject({ status: 'exercised', sharedWith: ['k8s:prod/support/billing'] });
    expect(r.findings.some((x) => x.id.startsWith('unused-excess:iam-'))).toBe(false);
  });

  it('an unreachable node role produces no reachable findings', () => {
    const blocked = declaredScopeSchema.parse({
      ...scope,
      inheritedRoles: [{ ...scope.inheritedRoles[0], reachable: false, reachReason: 'hop limit 1' }],
    });
    const r = reconcile(
      blocked,
      observed.filter((o) => !o.key.startsWith('api:ec2')),
      catalog,
      { from: T0, to: T1 },
      T1,
    );
    expect(r.findings.some((f) => f.id.includes('node-role-imds'))).toBe(false);
  });

  it('folds hourly aggregates by key', () => {
    const rows = [
      {
        subject: 's',
        key: 'k',
        window: 'w1',
        layer: 'network' as const,
        kind: 'net',
        count: 2,
        firstSeen: '2026-11-02T01:00:00Z',
        lastSeen: '2026-11-02T01:10:00Z',
        sources: [],
        attrs: {},
        sums: {},
      },
      {
        subject: 's',
        key: 'k',
        window: 'w2',
        layer: 'network' as const,
        kind: 'net',
        count: 3,
        firstSeen: '2026-11-02T02:00:00Z',
        lastSeen: '2026-11-02T02:30:00Z',
        sources: [],
        attrs: {},
        sums: {},
      },
    ];
    expect(behaviorsFromAggregates(rows)).toEqual([
      {
        key: 'k',
        count: 5,
        firstSeen: '2026-11-02T01:00:00Z',
        lastSeen: '2026-11-02T02:30:00Z',
        attrs: {},
        sources: [],
      },
    ]);
  });

  it('parses IPv4 and IPv6 egress keys', () => {
    expect(parseEgressKey('net:egress:2001:db8::1/128:443')).toEqual({ ip: '2001:db8::1', prefix: 128, port: 443 });
    expect(parseEgressKey('net:egress:10.0.0.1/32:*')).toEqual({ ip: '10.0.0.1', prefix: 32 });
    expect(parseEgressKey('dns:x')).toBeUndefined();
  });

  it('renders Markdown and escaped HTML sections', () => {
    const r = reconcile(scope, observed, catalog, { from: T0, to: T1 }, T1);
    const md = renderReconcileMarkdown(r);
    expect(md).toContain('### Inherited Overreach');
    expect(md).toContain('agent/Export');
    const html = renderReconcileHtml({ ...r, subject: '<script>x</script>' });
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
  });
});
