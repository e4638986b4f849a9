/**
 * What the IAM and EKS readers would return for the demo's agents: the identity maps that attribute the neighbours'
 * roles and pod IPs, the declared scopes (roles, inline policies, the node role a pod can reach), the labels and the
 * account trail's selectors.
 */
import type { TrailConfig } from '../../core/coverage/action-coverage.ts';
import { createIdentityResolver } from '../../core/identity/resolver.ts';
import type { IdentityResolver } from '../../core/identity/types.ts';
import type { DeclaredScopeInput } from '../../core/reconcile/types.ts';
import type { ScenarioSpec } from '../scenarios/types.ts';
import { CODER_POD, HR_AGENT, RETRIEVER_POD } from './neighbours.ts';
import { STAGING_CLUSTER, STAGING_IP, STAGING_POD } from './staging.ts';

export interface WorldSubjects {
  support: string;
  retriever: string;
  coder: string;
  bedrock: string;
  staging: string;
}

/** The incident's identity resolver, extended with the neighbours, the HR agent and the staging pod. */
export function worldIdentity(spec: ScenarioSpec, subjects: WorldSubjects, base: IdentityResolver): IdentityResolver {
  const { cluster, namespace: ns } = spec;
  const lease = (ip: string, subject: string, pod: string, leaseCluster = cluster) => ({
    ip,
    subject,
    cluster: leaseCluster,
    namespace: ns,
    pod,
    from: spec.start,
    to: null,
  });
  const extra = createIdentityResolver({
    workloads: [
      { cluster, namespace: ns, deployment: 'kb-retriever', serviceAccount: 'kb-retriever' },
      { cluster, namespace: ns, deployment: 'code-runner', serviceAccount: 'code-runner' },
    ],
    irsa: [
      {
        roleArn: `arn:aws:iam::${spec.account}:role/kb-retriever-irsa`,
        cluster,
        namespace: ns,
        serviceAccount: 'kb-retriever',
      },
    ],
    bedrockAgents: [{ agentId: HR_AGENT, region: spec.region }],
    leases: [
      lease('10.0.1.90', subjects.retriever, RETRIEVER_POD),
      lease('10.0.2.71', subjects.coder, CODER_POD),
      lease(STAGING_IP, subjects.staging, STAGING_POD, STAGING_CLUSTER),
    ],
    defaultRegion: spec.region,
  });
  return {
    byPrincipal: (ref, time) => base.byPrincipal(ref, time) ?? extra.byPrincipal(ref, time),
    byIp: (ip, time) => base.byIp(ip, time) ?? extra.byIp(ip, time),
    byBedrockAgent: (ref, time) => (ref.agentId === HR_AGENT ? subjects.bedrock : base.byBedrockAgent(ref, time)),
  };
}

/** The node group's instance role, reachable from pods or not (IMDS hop limit). */
function nodeRole(account: string, reachable: boolean) {
  return {
    source: 'node-role-imds' as const,
    reachable,
    reachReason: reachable
      ? 'IMDSv2 hop limit 2 on the node group and no NetworkPolicy blocks 169.254.169.254/32'
      : 'IMDSv2 hop limit 1 on this node group: pods cannot reach the instance role',
    role: {
      arn: `arn:aws:iam::${account}:role/eks-node-group`,
      name: 'eks-node-group',
      policies: [
        {
          id: 'arn:aws:iam::aws:policy/AmazonS3FullAccess',
          name: 'AmazonS3FullAccess',
          kind: 'aws-managed' as const,
          document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow' as const, Action: 's3:*', Resource: '*' }] },
        },
      ],
    },
  };
}

/** The declared scopes as read at `readAt`. */
export function worldScopes(spec: ScenarioSpec, subjects: WorldSubjects, readAt: string): DeclaredScopeInput[] {
  const A = spec.account;
  return [
    {
      subject: subjects.support,
      readAt,
      account: A,
      role: {
        arn: `arn:aws:iam::${A}:role/${spec.podRole}`,
        name: spec.podRole,
        via: 'irsa',
        policies: [
          {
            id: `arn:aws:iam::${A}:role/${spec.podRole}#inline/support`,
            name: 'support',
            kind: 'inline',
            document: {
              Version: '2012-10-17',
              Statement: [
                {
                  Sid: 'Export',
                  Effect: 'Allow',
                  Action: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'],
                  Resource: [`arn:aws:s3:::${spec.exportBucket}/*`],
                },
                {
                  Sid: 'Models',
                  Effect: 'Allow',
                  Action: ['bedrock:InvokeModel', 'bedrock:InvokeAgent'],
                  Resource: '*',
                },
                {
                  Sid: 'Secrets',
                  Effect: 'Allow',
                  Action: ['secretsmanager:GetSecretValue'],
                  Resource: `arn:aws:secretsmanager:${spec.region}:${A}:secret:support/*`,
                },
              ],
            },
          },
        ],
      },
      inheritedRoles: [nodeRole(A, true)],
      labels: { 'warden.dev/agent-class': 'customer-support', 'warden.dev/data-class': 'pii' },
    },
    {
      subject: subjects.retriever,
      readAt,
      account: A,
      role: {
        arn: `arn:aws:iam::${A}:role/kb-retriever-irsa`,
        name: 'kb-retriever-irsa',
        via: 'irsa',
        policies: [
          {
            id: `arn:aws:iam::${A}:role/kb-retriever-irsa#inline/kb`,
            name: 'kb',
            kind: 'inline',
            document: {
              Version: '2012-10-17',
              Statement: [
                {
                  Sid: 'Docs',
                  Effect: 'Allow',
                  Action: ['s3:GetObject', 's3:PutObject', 's3:ListBucket'],
                  Resource: ['arn:aws:s3:::acme-kb-docs', 'arn:aws:s3:::acme-kb-docs/*'],
                },
              ],
            },
          },
        ],
      },
      inheritedRoles: [nodeRole(A, false)],
      labels: { 'warden.dev/agent-class': 'retrieval' },
    },
    {
      subject: subjects.coder,
      readAt,
      account: A,
      inheritedRoles: [nodeRole(A, false)],
      labels: { 'warden.dev/agent-class': 'code-execution' },
    },
    {
      // The standalone Bedrock agent's own service role: its traces show the model calls this role makes.
      subject: subjects.bedrock,
      readAt,
      account: A,
      role: {
        arn: `arn:aws:iam::${A}:role/service-role/AmazonBedrockExecutionRoleForAgents_hrfaq`,
        name: 'AmazonBedrockExecutionRoleForAgents_hrfaq',
        via: 'bedrock-service-role',
        policies: [
          {
            id: `arn:aws:iam::${A}:role/service-role/AmazonBedrockExecutionRoleForAgents_hrfaq#inline/hr-agent`,
            name: 'hr-agent',
            kind: 'inline',
            document: {
              Version: '2012-10-17',
              Statement: [
                {
                  Sid: 'Models',
                  Effect: 'Allow',
                  Action: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
                  Resource: [`arn:aws:bedrock:${spec.region}::foundation-model/*`],
                },
                {
                  Sid: 'Knowledge',
                  Effect: 'Allow',
                  Action: ['bedrock:Retrieve'],
                  Resource: [`arn:aws:bedrock:${spec.region}:${A}:knowledge-base/*`],
                },
              ],
            },
          },
        ],
      },
      labels: { 'warden.dev/agent-class': 'retrieval' },
    },
  ];
}

/**
 * The organisation trail logs every management event and all S3 object-level events, and no Bedrock data events:
 * InvokeAgent is invisible to CloudTrail here, as on most accounts.
 */
export function worldTrails(spec: ScenarioSpec, readAt: string): TrailConfig {
  return {
    region: spec.region,
    readAt,
    trails: [
      {
        name: 'acme-org-trail',
        arn: `arn:aws:cloudtrail:${spec.region}:${spec.account}:trail/acme-org-trail`,
        homeRegion: spec.region,
        multiRegion: true,
        logging: true,
        eventSelectors: [
          {
            readWriteType: 'All',
            includeManagementEvents: true,
            dataResources: [{ type: 'AWS::S3::Object', values: ['arn:aws:s3'] }],
          },
        ],
        advancedEventSelectors: [],
      },
    ],
  };
}

/** Labels per subject: the scopes' own, plus the HR agent's class and the staging link of the support agent. */
export function worldLabels(
  scopes: DeclaredScopeInput[],
  subjects: WorldSubjects,
): Record<string, Record<string, string>> {
  const labels = Object.fromEntries(scopes.map((s) => [s.subject, s.labels ?? {}]));
  labels[subjects.bedrock] = { 'warden.dev/agent-class': 'retrieval' };
  labels[subjects.staging] = { 'warden.dev/agent-class': 'customer-support', 'warden.dev/environment': 'staging' };
  labels[subjects.support] = { ...labels[subjects.support], 'warden.dev/staging-subject': subjects.staging };
  return labels;
}
