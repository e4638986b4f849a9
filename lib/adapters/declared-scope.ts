/**
 * The DeclaredScopeReader port implemented over AWS (IAM, EKS, S3, Bedrock Agents) and a Kubernetes snapshot.
 *
 * EKS subjects (`k8s:<cluster>/<ns>/<deployment>`): the Deployment's service account role (IRSA annotation, else an
 * EKS Pod Identity association), whether that role is shared (other service accounts / Deployments, or the namespace
 * `default` service account), node roles (EKS node groups or given) with IMDS reachability, roles it can assume,
 * S3 bucket policies, and the NetworkPolicies that select it.
 * Bedrock subjects (`bedrock:<region>/<agentId>`): the agent's service role (shared if another agent uses it), action
 * group functions/API paths, knowledge bases and collaborators, and the agent's tags as labels.
 *
 * Read failures become `gaps` in the scope (a finding set built on a partial read says so) rather than exceptions.
 */
import {
  type BedrockAgentClient,
  GetAgentCommand,
  ListAgentsCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-bedrock-agent';
import {
  DescribeNodegroupCommand,
  DescribePodIdentityAssociationCommand,
  type EKSClient,
  ListNodegroupsCommand,
  ListPodIdentityAssociationsCommand,
} from '@aws-sdk/client-eks';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { S3Client } from '@aws-sdk/client-s3';
import { parseSubject } from '../core/observation.ts';
import {
  type AgentRole,
  type DeclaredScope,
  type DeclaredTool,
  declaredScopeSchema,
  type InheritedRole,
} from '../core/reconcile/types.ts';
import type { DeclaredScopeReader } from '../ports.ts';
import { readBedrockAgent, S3_SCHEMA } from './bedrock-agents.ts';
import { accountWideBucketPolicies, assumableRoles, readRoleScope } from './iam-scope.ts';
import {
  declaredNetwork,
  deploymentsUsing,
  imdsReachability,
  irsaRoleOf,
  type K8sSnapshot,
  workloadOf,
} from './k8s-scope.ts';

export interface DeclaredScopeReaderOptions {
  iam: IAMClient;
  s3?: S3Client;
  eks?: EKSClient;
  bedrockAgent?: BedrockAgentClient;
  account?: string;
  /** Kubernetes objects of the cluster, for k8s subjects. */
  k8s?: K8sSnapshot;
  /** Node instance roles; when omitted they are read from the cluster's EKS node groups. */
  nodeRoleArns?: string[];
  /** IMDS metadata options of the nodes (launch template); unknown = assumed reachable, and said so. */
  imds?: { httpTokens?: 'required' | 'optional'; hopLimit?: number };
  /** Buckets whose policies to read; all buckets of the account when omitted. */
  buckets?: string[];
  /** Bedrock agent version to read (default DRAFT). */
  agentVersion?: string;
  /** Whether to look for roles the agent can assume (ListRoles + trust evaluation). Default true. */
  assumable?: boolean;
  now: () => string;
}

async function podIdentityRoles(eks: EKSClient, cluster: string): Promise<Map<string, string>> {
  // `${namespace}/${serviceAccount}` -> role ARN
  const out = new Map<string, string>();
  let nextToken: string | undefined;
  do {
    const page = await eks.send(new ListPodIdentityAssociationsCommand({ clusterName: cluster, nextToken }));
    for (const a of page.associations ?? []) {
      if (!a.associationId) continue;
      const d = await eks.send(
        new DescribePodIdentityAssociationCommand({ clusterName: cluster, associationId: a.associationId }),
      );
      const x = d.association;
      if (x?.namespace && x.serviceAccount && x.roleArn) out.set(`${x.namespace}/${x.serviceAccount}`, x.roleArn);
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return out;
}

async function nodeGroupRoles(eks: EKSClient, cluster: string): Promise<string[]> {
  const roles = new Set<string>();
  let nextToken: string | undefined;
  do {
    const page = await eks.send(new ListNodegroupsCommand({ clusterName: cluster, nextToken }));
    for (const ng of page.nodegroups ?? []) {
      const d = await eks.send(new DescribeNodegroupCommand({ clusterName: cluster, nodegroupName: ng }));
      if (d.nodegroup?.nodeRole) roles.add(d.nodegroup.nodeRole);
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return [...roles].sort();
}

/** OpenAPI paths of an action group's inline schema (JSON, or the `paths:` block of YAML). */
export function openApiPaths(payload: string): string[] {
  try {
    const doc = JSON.parse(payload) as { paths?: Record<string, unknown> };
    return Object.keys(doc.paths ?? {}).sort();
  } catch {
    const lines = payload.split('\n');
    const start = lines.findIndex((l) => /^paths:\s*$/.test(l));
    if (start < 0) return [];
    const out: string[] = [];
    for (const l of lines.slice(start + 1)) {
      if (/^\S/.test(l)) break;
      const m = /^ {2}['"]?(\/[^'":]*)['"]?:\s*$/.exec(l);
      if (m) out.push(m[1]!);
    }
    return out.sort();
  }
}

export function createDeclaredScopeReader(opts: DeclaredScopeReaderOptions): DeclaredScopeReader {
  return {
    async read(subject: string): Promise<DeclaredScope> {
      const s = parseSubject(subject);
      if (s?.kind === 'k8s') return readK8s(opts, subject, s.scope!, s.namespace!, s.name);
      if (s?.kind === 'bedrock') return readBedrock(opts, subject, s.name);
      return declaredScopeSchema.parse({
        subject,
        readAt: opts.now(),
        gaps: [`no declared scope reader for subject ${subject}`],
      });
    },
  };
}

async function inheritedFor(
  opts: DeclaredScopeReaderOptions,
  role: AgentRole | undefined,
  gaps: string[],
): Promise<InheritedRole[]> {
  const out: InheritedRole[] = [];
  if (role && opts.assumable !== false) {
    try {
      const a = await assumableRoles(opts.iam, role, opts.account);
      gaps.push(...a.errors);
      for (const r of a.roles) {
        out.push({
          source: 'assumable-role',
          role: r,
          reachable: true,
          reachReason: `${role.name} may sts:AssumeRole into ${r.name} and its trust policy allows it`,
        });
      }
    } catch (err) {
      gaps.push(`assumable roles: ${(err as Error).message}`);
    }
  }
  return out;
}

async function resourcePolicies(opts: DeclaredScopeReaderOptions, gaps: string[]) {
  if (!opts.s3) {
    gaps.push('no S3 client: bucket policies not read');
    return { resourcePolicies: [], resourceTags: {} };
  }
  try {
    const r = await accountWideBucketPolicies(opts.s3, opts.buckets);
    gaps.push(...r.errors);
    return { resourcePolicies: r.scopes, resourceTags: r.tags };
  } catch (err) {
    gaps.push(`bucket policies: ${(err as Error).message}`);
    return { resourcePolicies: [], resourceTags: {} };
  }
}

async function readK8s(
  opts: DeclaredScopeReaderOptions,
  subject: string,
  cluster: string,
  ns: string,
  name: string,
): Promise<DeclaredScope> {
  const gaps: string[] = [];
  const snap = opts.k8s;
  const deployment = snap?.deployments.find(
    (d) => d.metadata.name === name && (d.metadata.namespace ?? 'default') === ns,
  );
  if (!snap || !deployment) {
    gaps.push(
      snap
        ? `Deployment ${ns}/${name} not found in the Kubernetes snapshot`
        : 'no Kubernetes snapshot: workload and NetworkPolicies not read',
    );
  }
  const workload = deployment ? workloadOf(deployment) : undefined;
  const network = deployment && snap ? declaredNetwork(deployment, snap.networkPolicies) : undefined;
  const sa = workload?.serviceAccount ?? 'default';

  let podIdentity = new Map<string, string>();
  if (opts.eks) {
    try {
      podIdentity = await podIdentityRoles(opts.eks, cluster);
    } catch (err) {
      gaps.push(`pod identity associations: ${(err as Error).message}`);
    }
  }
  const roleOf = (namespace: string, account: string) =>
    (snap ? irsaRoleOf(snap, namespace, account) : undefined) ?? podIdentity.get(`${namespace}/${account}`);
  const roleArn = roleOf(ns, sa);
  const via = snap && irsaRoleOf(snap, ns, sa) ? 'irsa' : 'pod-identity';

  let role: AgentRole | undefined;
  if (roleArn) {
    const read = await readRoleScope(opts.iam, roleArn);
    if (!read.ok) gaps.push(read.error);
    else {
      // Who else runs with this role: other Deployments on the same SA, and Deployments on other SAs mapped to it.
      const others = new Set<string>();
      if (snap) {
        for (const d of deploymentsUsing(snap, ns, sa)) if (d !== subject) others.add(d);
        const accounts = new Set<string>([
          ...snap.serviceAccounts.map((x) => `${x.metadata.namespace ?? 'default'}/${x.metadata.name}`),
          ...podIdentity.keys(),
        ]);
        for (const key of accounts) {
          const [n, a] = key.split('/') as [string, string];
          if ((n === ns && a === sa) || roleOf(n, a) !== read.role.arn) continue;
          const users = deploymentsUsing(snap, n, a);
          for (const u of users.length ? users : [`serviceaccount:${n}/${a}`]) others.add(u);
        }
      }
      const with_ = [...others].sort();
      const sharing =
        sa === 'default'
          ? { kind: 'namespace-default' as const, with: with_ }
          : with_.length > 0
            ? { kind: 'shared-role' as const, with: with_ }
            : undefined;
      role = { ...read.role, via, ...(sharing ? { sharing } : {}) };
    }
  } else if (workload) {
    gaps.push(`service account ${ns}/${sa} has no IAM role (no IRSA annotation or Pod Identity association)`);
  }

  const inheritedRoles = await inheritedFor(opts, role, gaps);
  let nodeRoles = opts.nodeRoleArns;
  if (!nodeRoles && opts.eks) {
    try {
      nodeRoles = await nodeGroupRoles(opts.eks, cluster);
    } catch (err) {
      gaps.push(`node groups: ${(err as Error).message}`);
    }
  }
  const reach =
    workload && network
      ? imdsReachability(workload, network, opts.imds)
      : { reachable: true, reason: 'workload unknown: IMDS assumed reachable' };
  for (const arn of nodeRoles ?? []) {
    const read = await readRoleScope(opts.iam, arn);
    if (!read.ok) gaps.push(read.error);
    else
      inheritedRoles.push({
        source: 'node-role-imds',
        role: read.role,
        reachable: reach.reachable,
        reachReason: reach.reason,
      });
  }
  const labels = { ...(deployment?.metadata.labels ?? {}), ...(deployment?.spec.template.metadata?.labels ?? {}) };
  return declaredScopeSchema.parse({
    subject,
    readAt: opts.now(),
    ...(opts.account ? { account: opts.account } : {}),
    ...(role ? { role } : {}),
    inheritedRoles,
    ...(await resourcePolicies(opts, gaps)),
    ...(network ? { network } : {}),
    tools: [],
    ...(workload ? { workload } : {}),
    labels,
    gaps,
  });
}

async function readBedrock(opts: DeclaredScopeReaderOptions, subject: string, agentId: string): Promise<DeclaredScope> {
  const gaps: string[] = [];
  const client = opts.bedrockAgent;
  const version = opts.agentVersion ?? 'DRAFT';
  if (!client) {
    return declaredScopeSchema.parse({
      subject,
      readAt: opts.now(),
      gaps: ['no Bedrock Agents client: agent not read'],
    });
  }
  // The agent's configuration is read as the inventory reads it (one reader of the Bedrock Agents API).
  const agent = await readBedrockAgent(client, agentId, version);
  const tools: DeclaredTool[] = [];
  for (const g of agent.actionGroups) {
    if (!g.id || g.state === 'DISABLED') continue;
    const group = g.name || g.id;
    for (const f of g.functions ?? []) if (f.name) tools.push({ key: `tool:${group}/${f.name}`, source: group });
    if (g.schema?.startsWith(S3_SCHEMA))
      gaps.push(`action group ${group}: API schema in S3 (${g.schema.slice(S3_SCHEMA.length)}) not read`);
    else if (g.schema) for (const p of openApiPaths(g.schema)) tools.push({ key: `tool:${group}/${p}`, source: group });
    if (g.parentSignature) tools.push({ key: `tool:${group}/${g.parentSignature}`, source: group });
  }
  for (const kb of agent.knowledgeBases)
    if (kb.id && kb.state !== 'DISABLED') tools.push({ key: `kb:${kb.id}`, source: 'knowledge-bases' });
  for (const c of agent.collaborators) {
    const id = c.aliasArn ?? c.id;
    if (id) tools.push({ key: `agent:${id}`, source: 'collaborators' });
  }

  let labels: Record<string, string> = {};
  if (agent.agentArn) {
    try {
      labels = (await client.send(new ListTagsForResourceCommand({ resourceArn: agent.agentArn }))).tags ?? {};
    } catch (err) {
      gaps.push(`agent tags: ${(err as Error).message}`);
    }
  }
  let role: AgentRole | undefined;
  const roleArn = agent.roleArn;
  if (roleArn) {
    const read = await readRoleScope(opts.iam, roleArn);
    if (!read.ok) gaps.push(read.error);
    else {
      const others: string[] = [];
      try {
        let t: string | undefined;
        do {
          const page = await client.send(new ListAgentsCommand({ nextToken: t }));
          for (const a of page.agentSummaries ?? []) {
            if (!a.agentId || a.agentId === agentId) continue;
            const other = (await client.send(new GetAgentCommand({ agentId: a.agentId }))).agent;
            if (other?.agentResourceRoleArn === roleArn) others.push(subject.replace(/[^/]+$/, a.agentId));
          }
          t = page.nextToken;
        } while (t);
      } catch (err) {
        gaps.push(`other agents (role sharing): ${(err as Error).message}`);
      }
      role = {
        ...read.role,
        via: 'bedrock-service-role',
        ...(others.length ? { sharing: { kind: 'shared-role' as const, with: others.sort() } } : {}),
      };
    }
  }
  return declaredScopeSchema.parse({
    subject,
    readAt: opts.now(),
    ...(opts.account ? { account: opts.account } : {}),
    ...(role ? { role } : {}),
    inheritedRoles: await inheritedFor(opts, role, gaps),
    ...(await resourcePolicies(opts, gaps)),
    tools,
    labels,
    gaps,
  });
}
