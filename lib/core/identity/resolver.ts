/**
 * The map-based IdentityResolver: attributes AWS principals, pod IPs and Bedrock agents to subjects from maps the
 * adapters load (EKS Pod Identity associations, IRSA role bindings, Deployments' service accounts, pod IP leases,
 * Bedrock agents). Pure: no I/O; `time` comes from the record being attributed.
 *
 * Order for a principal: Pod Identity session tags -> Bedrock agent service role -> IRSA role binding. A service
 * account or role shared by several Deployments is NOT guessed: it stays unattributed with reason
 * `shared-service-account` / `shared-role` (that sharing is itself an inherited-overreach finding elsewhere).
 */
import { subjectIds } from '../observation.ts';
import { LeaseIndex, type PodIpLease } from './leases.ts';
import { deploymentFromPodName } from './pod-name.ts';
import type { BedrockAgentRef, IdentityResolver, PrincipalRef } from './types.ts';

/** A Deployment and the service account its pod template runs as. */
export interface WorkloadRef {
  cluster: string;
  namespace: string;
  deployment: string;
  serviceAccount: string;
}

/** An IRSA binding: the role annotated on a service account (`eks.amazonaws.com/role-arn`). */
export interface IrsaBinding {
  roleArn: string;
  cluster: string;
  namespace: string;
  serviceAccount: string;
}

/** An EKS Pod Identity association (cluster, namespace, service account -> role). */
export interface PodIdentityAssociation extends IrsaBinding {}

export interface BedrockAgentEntry {
  agentId: string;
  region: string;
  /** The agent's service role (agentResourceRoleArn). */
  roleArn?: string;
  aliasIds?: string[];
}

/** A known pod and its Deployment (from the node agent or the API server). */
export interface PodRef {
  cluster: string;
  namespace: string;
  pod: string;
  deployment: string;
}

export interface IdentityMaps {
  workloads?: WorkloadRef[];
  irsa?: IrsaBinding[];
  podIdentity?: PodIdentityAssociation[];
  bedrockAgents?: BedrockAgentEntry[];
  pods?: PodRef[];
  leases?: PodIpLease[];
  /** Region assumed for Bedrock agents referenced without one. */
  defaultRegion?: string;
}

export type ResolutionMethod =
  | 'pod-identity:pod'
  | 'pod-identity:pod-name-pattern'
  | 'pod-identity:service-account'
  | 'irsa'
  | 'bedrock:agent-id'
  | 'bedrock:service-role'
  | 'ip-lease';

export type UnresolvedReason =
  | 'no-identity-info'
  | 'unknown-service-account'
  | 'shared-service-account'
  | 'unknown-role'
  | 'shared-role'
  | 'no-lease-for-ip'
  | 'outside-leases'
  | 'lease-without-deployment'
  | 'invalid-time'
  | 'unknown-agent';

export type Resolution =
  | { subject: string; method: ResolutionMethod }
  | { subject?: undefined; reason: UnresolvedReason };

export interface ResolutionStats {
  resolved: Partial<Record<ResolutionMethod, number>>;
  unattributed: Partial<Record<UnresolvedReason, number>>;
  /** Unattributed lookups per entry point. */
  unattributedBy: { principal: number; ip: number; bedrockAgent: number };
}

/** An IdentityResolver that also explains each decision and counts what it could not attribute. */
export interface CountingIdentityResolver extends IdentityResolver {
  explainPrincipal(ref: PrincipalRef, time: string): Resolution;
  explainIp(ip: string, time: string): Resolution;
  explainBedrockAgent(ref: BedrockAgentRef, time: string): Resolution;
  stats(): ResolutionStats;
}

/** `account:roleName` for role ARNs (`arn:aws:iam::A:role/path/N`) and assumed-role session ARNs (`arn:aws:sts::A:assumed-role/N/s`). */
export function roleKey(arn: string): string | undefined {
  const m = /^arn:[^:]+:(?:iam|sts)::(\d{12}):(role|assumed-role)\/(.+)$/.exec(arn);
  if (!m) return undefined;
  const parts = m[3]!.split('/');
  // role/path/to/Name -> Name; assumed-role/Name/session -> Name
  const name = m[2] === 'role' ? parts[parts.length - 1] : parts[0];
  return name ? `${m[1]}:${name}` : undefined;
}

/** Memo marker: session tags that did not decide (fall through to the role). */
const NO_TAG_MATCH: Resolution = Object.freeze({ reason: 'no-identity-info' as const });

const saKey = (cluster: string, ns: string, sa: string) => `${cluster}/${ns}/${sa}`;

function unique<T>(xs: T[]): T | 'many' | undefined {
  const s = [...new Set(xs)];
  return s.length === 1 ? s[0] : s.length > 1 ? 'many' : undefined;
}

/**
 * Builds a resolver from maps.
 * @example createIdentityResolver({ leases }).byIp('10.0.1.23', '2026-11-28T10:00:00Z') // 'k8s:prod/support/support-agent'
 */
export function createIdentityResolver(maps: IdentityMaps = {}): CountingIdentityResolver {
  const saToDeployments = new Map<string, string[]>();
  for (const w of maps.workloads ?? []) {
    const k = saKey(w.cluster, w.namespace, w.serviceAccount);
    saToDeployments.set(k, [...(saToDeployments.get(k) ?? []), subjectIds.k8s(w.cluster, w.namespace, w.deployment)]);
  }
  const knownDeployments = new Set(
    (maps.workloads ?? []).map((w) => subjectIds.k8s(w.cluster, w.namespace, w.deployment)),
  );
  const roleToSas = new Map<string, IrsaBinding[]>();
  for (const b of [...(maps.irsa ?? []), ...(maps.podIdentity ?? [])]) {
    const k = roleKey(b.roleArn);
    if (k) roleToSas.set(k, [...(roleToSas.get(k) ?? []), b]);
  }
  const pods = new Map<string, string>();
  for (const p of maps.pods ?? [])
    pods.set(`${p.cluster}/${p.namespace}/${p.pod}`, subjectIds.k8s(p.cluster, p.namespace, p.deployment));
  for (const l of maps.leases ?? []) {
    if (l.subject && l.cluster) pods.set(`${l.cluster}/${l.namespace}/${l.pod}`, l.subject);
  }
  const leases = new LeaseIndex(maps.leases ?? []);
  const agentsById = new Map<string, BedrockAgentEntry>();
  const agentsByRole = new Map<string, BedrockAgentEntry[]>();
  for (const a of maps.bedrockAgents ?? []) {
    agentsById.set(a.agentId, a);
    const k = a.roleArn ? roleKey(a.roleArn) : undefined;
    if (k) agentsByRole.set(k, [...(agentsByRole.get(k) ?? []), a]);
  }

  const stats: ResolutionStats = {
    resolved: {},
    unattributed: {},
    unattributedBy: { principal: 0, ip: 0, bedrockAgent: 0 },
  };
  const count = (r: Resolution, by: keyof ResolutionStats['unattributedBy']): Resolution => {
    if ('method' in r) stats.resolved[r.method] = (stats.resolved[r.method] ?? 0) + 1;
    else {
      stats.unattributed[r.reason] = (stats.unattributed[r.reason] ?? 0) + 1;
      stats.unattributedBy[by] += 1;
    }
    return r;
  };

  const viaServiceAccount = (cluster: string, ns: string, sa: string, method: ResolutionMethod): Resolution => {
    const d = unique(saToDeployments.get(saKey(cluster, ns, sa)) ?? []);
    if (d === 'many') return { reason: 'shared-service-account' };
    if (!d) return { reason: 'unknown-service-account' };
    return { subject: d, method };
  };

  const byPodIdentityTags = (tags: Record<string, string>): Resolution | undefined => {
    const cluster = tags['eks-cluster-name'];
    const ns = tags['kubernetes-namespace'];
    const sa = tags['kubernetes-service-account'];
    const pod = tags['kubernetes-pod-name'];
    if (!cluster || !ns) return undefined;
    if (pod) {
      const known = pods.get(`${cluster}/${ns}/${pod}`);
      if (known) return { subject: known, method: 'pod-identity:pod' };
    }
    const bySa: Resolution = sa
      ? viaServiceAccount(cluster, ns, sa, 'pod-identity:service-account')
      : { reason: 'unknown-service-account' };
    if (bySa.subject || !pod) return bySa;
    // The pod-name pattern only narrows down: for a shared service account it must name one of the Deployments that
    // share it; otherwise it must name a Deployment we know (or, with no workload map at all, any Deployment).
    const d = deploymentFromPodName(pod);
    const subject = d ? subjectIds.k8s(cluster, ns, d) : undefined;
    if (!subject) return bySa;
    const candidates = sa ? saToDeployments.get(saKey(cluster, ns, sa)) : undefined;
    const trusted = candidates
      ? candidates.includes(subject)
      : knownDeployments.size === 0 || knownDeployments.has(subject);
    return trusted ? { subject, method: 'pod-identity:pod-name-pattern' } : bySa;
  };

  // Resolutions of a principal depend only on the maps, not on time, and an agent's records repeat a handful of
  // principals: memoize per role (and service account), bounded. Stats still count every lookup.
  const MEMO_MAX = 10_000;
  const roleKeys = new Map<string, string | null>();
  const roleKeyOf = (arn: string | undefined): string | undefined => {
    if (!arn) return undefined;
    let k = roleKeys.get(arn);
    if (k === undefined) {
      k = roleKey(arn) ?? null;
      if (roleKeys.size >= MEMO_MAX) roleKeys.clear();
      roleKeys.set(arn, k);
    }
    return k ?? undefined;
  };
  /** By role key alone (the common case: the key string comes from roleKeys, so lookups hash nothing new). */
  const byRoleOnly = new Map<string, Resolution>();
  /** By session tags, or by role key and web identity subject. */
  const memo = new Map<string, Resolution>();
  const remember = (m: Map<string, Resolution>, key: string, r: Resolution): Resolution => {
    if (m.size >= MEMO_MAX) m.clear();
    m.set(key, r);
    return r;
  };

  const explainPrincipal = (ref: PrincipalRef, _time: string): Resolution => {
    const tags = ref.sessionTags;
    if (tags && Object.keys(tags).length > 0) {
      const k = `t\u0000${tags['eks-cluster-name']}\u0000${tags['kubernetes-namespace']}\u0000${tags['kubernetes-service-account']}\u0000${tags['kubernetes-pod-name']}`;
      const r = memo.get(k) ?? remember(memo, k, byPodIdentityTags(tags) ?? NO_TAG_MATCH);
      if (r !== NO_TAG_MATCH) return r;
    }
    const rk = roleKeyOf(ref.roleArn) ?? roleKeyOf(ref.arn);
    if (!rk) return { reason: 'no-identity-info' };
    const ws = ref.webIdentitySubject;
    if (!ws) return byRoleOnly.get(rk) ?? remember(byRoleOnly, rk, byRole(rk, undefined));
    const k = `r\u0000${rk}\u0000${ws}`;
    return memo.get(k) ?? remember(memo, k, byRole(rk, ws));
  };

  const byRole = (rk: string, webIdentitySubject: string | undefined): Resolution => {
    const agents = agentsByRole.get(rk) ?? [];
    const agent = unique(agents.map((a) => a.agentId));
    if (agent === 'many') return { reason: 'shared-role' };
    if (agent) {
      const a = agentsById.get(agent)!;
      return { subject: subjectIds.bedrock(a.region, a.agentId), method: 'bedrock:service-role' };
    }
    let bindings = roleToSas.get(rk) ?? [];
    const ws = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(webIdentitySubject ?? '');
    if (ws) bindings = bindings.filter((b) => b.namespace === ws[1] && b.serviceAccount === ws[2]);
    if (bindings.length === 0) return { reason: 'unknown-role' };
    const deployments = bindings.flatMap(
      (b) => saToDeployments.get(saKey(b.cluster, b.namespace, b.serviceAccount)) ?? [],
    );
    const d = unique(deployments);
    if (d === 'many') return { reason: bindings.length > 1 ? 'shared-role' : 'shared-service-account' };
    if (!d) return { reason: 'unknown-service-account' };
    return { subject: d, method: 'irsa' };
  };

  const explainIp = (ip: string, time: string): Resolution => {
    const r = leases.lookup(ip, time);
    if (!r.found) return { reason: r.reason };
    if (r.lease.subject) return { subject: r.lease.subject, method: 'ip-lease' };
    const known = r.lease.cluster ? pods.get(`${r.lease.cluster}/${r.lease.namespace}/${r.lease.pod}`) : undefined;
    return known ? { subject: known, method: 'ip-lease' } : { reason: 'lease-without-deployment' };
  };

  const explainBedrockAgent = (ref: BedrockAgentRef, _time: string): Resolution => {
    if (ref.agentId) {
      const known = agentsById.get(ref.agentId);
      const region = ref.region ?? known?.region ?? maps.defaultRegion;
      if (region) return { subject: subjectIds.bedrock(region, ref.agentId), method: 'bedrock:agent-id' };
    }
    const rk = ref.roleArn ? roleKey(ref.roleArn) : undefined;
    const agent = rk ? unique((agentsByRole.get(rk) ?? []).map((a) => a.agentId)) : undefined;
    if (agent === 'many') return { reason: 'shared-role' };
    if (agent) {
      const a = agentsById.get(agent)!;
      return { subject: subjectIds.bedrock(a.region, a.agentId), method: 'bedrock:service-role' };
    }
    return { reason: 'unknown-agent' };
  };

  return {
    byPrincipal: (ref, time) => count(explainPrincipal(ref, time), 'principal').subject,
    byIp: (ip, time) => count(explainIp(ip, time), 'ip').subject,
    byBedrockAgent: (ref, time) => count(explainBedrockAgent(ref, time), 'bedrockAgent').subject,
    explainPrincipal,
    explainIp,
    explainBedrockAgent,
    stats: () => structuredClone(stats),
  };
}
