/**
 * Which IAM roles are the node agent of which EKS cluster, read from AWS rather than trusted from the batch: the
 * EKS Pod Identity association of the agent's service account in each cluster, and IAM roles whose trust policy
 * lets that service account of the cluster's OIDC issuer assume them (IRSA). Each role found becomes an ingest
 * scope bound to that cluster (lib/core/trust): the role may report `k8s:<cluster>/...` node-agent observations and
 * nothing else. A role associated in two clusters gets one scope per cluster.
 */
import {
  DescribeClusterCommand,
  DescribePodIdentityAssociationCommand,
  type EKSClient,
  ListPodIdentityAssociationsCommand,
} from '@aws-sdk/client-eks';
import { type IAMClient, ListRolesCommand } from '@aws-sdk/client-iam';
import type { IngestScope } from '../core/trust/ingest-scope.ts';

/** The node agent's service account (deploy/node-agent/serviceaccount.yaml). */
export const NODE_AGENT_SERVICE_ACCOUNT = { namespace: 'warden-system', name: 'warden-node-agent' } as const;

export interface NodeAgentScopeOptions {
  eks: Pick<EKSClient, 'send'>;
  iam: Pick<IAMClient, 'send'>;
  clusters: readonly string[];
  serviceAccount?: { namespace: string; name: string };
  /** How roles are bound to the service account; default both. */
  mechanisms?: readonly ('pod-identity' | 'irsa')[];
}

async function podIdentityRoles(
  eks: NodeAgentScopeOptions['eks'],
  cluster: string,
  sa: { namespace: string; name: string },
): Promise<string[]> {
  const roles: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await eks.send(
      new ListPodIdentityAssociationsCommand({
        clusterName: cluster,
        namespace: sa.namespace,
        serviceAccount: sa.name,
        nextToken,
      }),
    );
    for (const a of page.associations ?? []) {
      if (!a.associationId) continue;
      const d = await eks.send(
        new DescribePodIdentityAssociationCommand({ clusterName: cluster, associationId: a.associationId }),
      );
      const x = d.association;
      // Filtered above; checked again, since the role's scope depends on it.
      if (x?.roleArn && x.namespace === sa.namespace && x.serviceAccount === sa.name) roles.push(x.roleArn);
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return roles;
}

/** The trust policy lets `sub` of the OIDC provider `provider` (issuer without `https://`) assume the role. */
export function trustsServiceAccount(policyText: string, provider: string, sub: string): boolean {
  let doc: unknown;
  try {
    doc = JSON.parse(decodeURIComponent(policyText));
  } catch {
    return false;
  }
  const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  const statements = list((doc as { Statement?: unknown }).Statement) as Record<string, unknown>[];
  return statements.some((st) => {
    if (st.Effect !== 'Allow' || !list(st.Action as string | string[]).includes('sts:AssumeRoleWithWebIdentity'))
      return false;
    const federated = list((st.Principal as { Federated?: string | string[] } | undefined)?.Federated);
    if (!federated.some((f) => f.endsWith(`:oidc-provider/${provider}`))) return false;
    // The service account must be pinned: a trust policy without a `sub` condition lets every pod of the cluster in.
    const cond = (st.Condition ?? {}) as Record<string, Record<string, string | string[]>>;
    const subs = [...list(cond.StringEquals?.[`${provider}:sub`]), ...list(cond.StringLike?.[`${provider}:sub`])];
    return subs.includes(sub);
  });
}

async function irsaRoles(
  opts: NodeAgentScopeOptions,
  cluster: string,
  sa: { namespace: string; name: string },
  roles: { arn: string; policy: string }[],
): Promise<string[]> {
  const c = await opts.eks.send(new DescribeClusterCommand({ name: cluster }));
  const issuer = c.cluster?.identity?.oidc?.issuer;
  if (!issuer) return [];
  const provider = issuer.replace(/^https:\/\//, '');
  const sub = `system:serviceaccount:${sa.namespace}:${sa.name}`;
  return roles.filter((r) => trustsServiceAccount(r.policy, provider, sub)).map((r) => r.arn);
}

async function allRoles(iam: NodeAgentScopeOptions['iam']): Promise<{ arn: string; policy: string }[]> {
  const out: { arn: string; policy: string }[] = [];
  let marker: string | undefined;
  do {
    const page = await iam.send(new ListRolesCommand({ Marker: marker }));
    for (const r of page.Roles ?? [])
      if (r.Arn && r.AssumeRolePolicyDocument) out.push({ arn: r.Arn, policy: r.AssumeRolePolicyDocument });
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  return out;
}

/**
 * One node-agent scope per (role, cluster) the AWS account binds: Pod Identity associations and IRSA trust
 * policies of the agent's service account. Throws when AWS cannot be read (the caller keeps its last answer).
 */
export async function nodeAgentScopes(opts: NodeAgentScopeOptions): Promise<IngestScope[]> {
  const sa = opts.serviceAccount ?? NODE_AGENT_SERVICE_ACCOUNT;
  const use = new Set(opts.mechanisms ?? ['pod-identity', 'irsa']);
  const roles = opts.clusters.length > 0 && use.has('irsa') ? await allRoles(opts.iam) : [];
  const out: IngestScope[] = [];
  for (const cluster of opts.clusters) {
    const found = new Set([
      ...(use.has('pod-identity') ? await podIdentityRoles(opts.eks, cluster, sa) : []),
      ...(use.has('irsa') ? await irsaRoles(opts, cluster, sa, roles) : []),
    ]);
    for (const principal of [...found].sort()) out.push({ principal, sources: ['node-agent'], clusters: [cluster] });
  }
  return out;
}
