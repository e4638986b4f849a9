/**
 * Kubernetes declared scope: from a Deployment, its namespace's NetworkPolicies and ServiceAccounts (parsed objects
 * as @kubernetes/client-node returns them, or YAML/JSON fixtures), derive the workload's service account, security
 * context, the egress it declares, and which IAM role its service account carries (IRSA annotation). Parsing is
 * pure so it is tested with fixtures; `readK8sSnapshot` fetches the same objects from a live API server.
 */
import { z } from 'zod';
import { ipInCidr } from '../core/iam/conditions.ts';
import type { DeclaredNetwork, EgressPeer, EgressRule, Workload } from '../core/reconcile/types.ts';

const labelSelectorSchema = z
  .object({
    matchLabels: z.record(z.string(), z.string()).nullish(),
    matchExpressions: z
      .array(z.object({ key: z.string(), operator: z.string(), values: z.array(z.string()).nullish() }))
      .nullish(),
  })
  .passthrough();
type LabelSelector = z.infer<typeof labelSelectorSchema>;

const metaSchema = z
  .object({
    name: z.string(),
    namespace: z.string().nullish(),
    labels: z.record(z.string(), z.string()).nullish(),
    annotations: z.record(z.string(), z.string()).nullish(),
  })
  .passthrough();

const securityContextSchema = z
  .object({
    runAsNonRoot: z.boolean().nullish(),
    privileged: z.boolean().nullish(),
    allowPrivilegeEscalation: z.boolean().nullish(),
    seccompProfile: z.object({ type: z.string(), localhostProfile: z.string().nullish() }).passthrough().nullish(),
  })
  .passthrough();

export const deploymentSchema = z
  .object({
    metadata: metaSchema,
    spec: z
      .object({
        selector: labelSelectorSchema.nullish(),
        template: z
          .object({
            metadata: z
              .object({ labels: z.record(z.string(), z.string()).nullish() })
              .passthrough()
              .nullish(),
            spec: z
              .object({
                serviceAccountName: z.string().nullish(),
                hostNetwork: z.boolean().nullish(),
                securityContext: securityContextSchema.nullish(),
                containers: z
                  .array(
                    z
                      .object({
                        name: z.string(),
                        image: z.string().nullish(),
                        securityContext: securityContextSchema.nullish(),
                      })
                      .passthrough(),
                  )
                  .default([]),
              })
              .passthrough(),
          })
          .passthrough(),
      })
      .passthrough(),
  })
  .passthrough();

const peerSchema = z
  .object({
    ipBlock: z.object({ cidr: z.string(), except: z.array(z.string()).nullish() }).nullish(),
    podSelector: labelSelectorSchema.nullish(),
    namespaceSelector: labelSelectorSchema.nullish(),
  })
  .passthrough();

export const networkPolicySchema = z
  .object({
    metadata: metaSchema,
    spec: z
      .object({
        podSelector: labelSelectorSchema.nullish(),
        policyTypes: z.array(z.string()).nullish(),
        egress: z
          .array(
            z
              .object({
                to: z.array(peerSchema).nullish(),
                ports: z
                  .array(
                    z.object({
                      protocol: z.string().nullish(),
                      port: z.union([z.number(), z.string()]).nullish(),
                      endPort: z.number().nullish(),
                    }),
                  )
                  .nullish(),
              })
              .passthrough(),
          )
          .nullish(),
      })
      .passthrough(),
  })
  .passthrough();

export const serviceAccountSchema = z.object({ metadata: metaSchema }).passthrough();

export type Deployment = z.infer<typeof deploymentSchema>;
export type NetworkPolicy = z.infer<typeof networkPolicySchema>;
export type ServiceAccount = z.infer<typeof serviceAccountSchema>;

/** The objects of one cluster the reader needs (all namespaces, for role-sharing detection). */
export interface K8sSnapshot {
  cluster: string;
  deployments: Deployment[];
  networkPolicies: NetworkPolicy[];
  serviceAccounts: ServiceAccount[];
}

export const IRSA_ANNOTATION = 'eks.amazonaws.com/role-arn';

/** Validates raw objects (from the API or a fixture) into a snapshot; invalid objects are returned as errors. */
export function parseK8sSnapshot(
  cluster: string,
  raw: { deployments?: unknown[]; networkPolicies?: unknown[]; serviceAccounts?: unknown[] },
): { snapshot: K8sSnapshot; errors: string[] } {
  const errors: string[] = [];
  const parse = <S extends z.ZodTypeAny>(schema: S, items: unknown[] | undefined, what: string): z.infer<S>[] =>
    (items ?? []).flatMap((item, i) => {
      const r = schema.safeParse(item);
      if (r.success) return [r.data];
      errors.push(`${what}[${i}]: ${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message}`);
      return [];
    });
  return {
    snapshot: {
      cluster,
      deployments: parse(deploymentSchema, raw.deployments, 'deployment'),
      networkPolicies: parse(networkPolicySchema, raw.networkPolicies, 'networkPolicy'),
      serviceAccounts: parse(serviceAccountSchema, raw.serviceAccounts, 'serviceAccount'),
    },
    errors,
  };
}

/** Kubernetes label selector semantics (matchLabels AND matchExpressions). An empty selector selects everything. */
export function selectorMatches(sel: LabelSelector | null | undefined, labels: Record<string, string>): boolean {
  if (!sel) return true;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const vals = e.values ?? [];
    if (e.operator === 'In' && !(has && vals.includes(labels[e.key]!))) return false;
    if (e.operator === 'NotIn' && has && vals.includes(labels[e.key]!)) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

function isEmptySelector(sel: LabelSelector | null | undefined): boolean {
  return !sel || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0);
}

function selectorText(sel: LabelSelector | null | undefined): string {
  if (isEmptySelector(sel)) return '{}';
  const parts = Object.entries(sel?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel?.matchExpressions ?? []) parts.push(`${e.key} ${e.operator} (${(e.values ?? []).join(',')})`);
  return parts.join(',');
}

function peersOf(to: NonNullable<NonNullable<NetworkPolicy['spec']['egress']>[number]['to']>): EgressPeer[] {
  return to.map((p): EgressPeer => {
    if (p.ipBlock) return { cidr: p.ipBlock.cidr, except: p.ipBlock.except ?? [] };
    const parts: string[] = [];
    if (p.namespaceSelector) parts.push(`namespace:${selectorText(p.namespaceSelector)}`);
    if (p.podSelector) parts.push(`pod:${selectorText(p.podSelector)}`);
    return { selector: parts.join(' ') || 'pod:{}' };
  });
}

/** NetworkPolicies that select a Deployment's pods, and the egress they declare. */
export function declaredNetwork(deployment: Deployment, policies: NetworkPolicy[]): DeclaredNetwork {
  const ns = deployment.metadata.namespace ?? 'default';
  const podLabels = deployment.spec.template.metadata?.labels ?? {};
  const selecting = policies.filter(
    (p) => (p.metadata.namespace ?? 'default') === ns && selectorMatches(p.spec.podSelector, podLabels),
  );
  const rules: EgressRule[] = [];
  let egressRestricted = false;
  for (const p of selecting) {
    const types = p.spec.policyTypes ?? (p.spec.egress ? ['Ingress', 'Egress'] : ['Ingress']);
    if (!types.includes('Egress')) continue;
    egressRestricted = true;
    const name = `${ns}/${p.metadata.name}`;
    (p.spec.egress ?? []).forEach((rule, index) => {
      rules.push({
        policy: name,
        index,
        namespaceWide: isEmptySelector(p.spec.podSelector),
        peers: rule.to && rule.to.length > 0 ? peersOf(rule.to) : [{ any: true }],
        ports: (rule.ports ?? []).map((x) => ({
          protocol: x.protocol ?? 'TCP',
          ...(typeof x.port === 'number' ? { port: x.port } : {}),
          ...(typeof x.endPort === 'number' ? { endPort: x.endPort } : {}),
        })),
      });
    });
  }
  // VPC endpoints are an AWS fact, not a Kubernetes one: given with a --scope file; the live reader does not read them yet.
  return {
    policies: selecting.map((p) => `${ns}/${p.metadata.name}`).sort(),
    egressRestricted,
    rules,
    vpcEndpoints: [],
  };
}

/** Workload facts: service account, seccomp, privilege flags, images. */
export function workloadOf(d: Deployment): Workload {
  const spec = d.spec.template.spec;
  const containers = spec.containers;
  const podSc = spec.securityContext ?? {};
  const seccomp =
    podSc.seccompProfile ?? containers.find((c) => c.securityContext?.seccompProfile)?.securityContext?.seccompProfile;
  const any = (f: (sc: z.infer<typeof securityContextSchema>) => boolean | null | undefined) =>
    containers.some((c) => f(c.securityContext ?? {}) === true);
  return {
    serviceAccount: spec.serviceAccountName ?? 'default',
    ...(seccomp
      ? { seccompProfile: seccomp.localhostProfile ? `${seccomp.type}:${seccomp.localhostProfile}` : seccomp.type }
      : {}),
    runAsNonRoot: podSc.runAsNonRoot === true || containers.every((c) => c.securityContext?.runAsNonRoot === true),
    privileged: any((sc) => sc.privileged),
    // Kubernetes defaults allowPrivilegeEscalation to true unless set false.
    allowPrivilegeEscalation: containers.some((c) => c.securityContext?.allowPrivilegeEscalation !== false),
    hostNetwork: spec.hostNetwork === true,
    images: containers.map((c) => c.image ?? '').filter(Boolean),
  };
}

/** IRSA role of a service account (`eks.amazonaws.com/role-arn` annotation). */
export function irsaRoleOf(snapshot: K8sSnapshot, namespace: string, serviceAccount: string): string | undefined {
  const sa = snapshot.serviceAccounts.find(
    (s) => s.metadata.name === serviceAccount && (s.metadata.namespace ?? 'default') === namespace,
  );
  return sa?.metadata.annotations?.[IRSA_ANNOTATION];
}

/** Deployments (as subject ids) running under a service account. */
export function deploymentsUsing(snapshot: K8sSnapshot, namespace: string, serviceAccount: string): string[] {
  return snapshot.deployments
    .filter(
      (d) =>
        (d.metadata.namespace ?? 'default') === namespace &&
        (d.spec.template.spec.serviceAccountName ?? 'default') === serviceAccount,
    )
    .map((d) => `k8s:${snapshot.cluster}/${namespace}/${d.metadata.name}`)
    .sort();
}

export const IMDS_IP = '169.254.169.254';

/**
 * Whether the pods can reach the node's instance metadata (and so the node role): host networking always can; with
 * IMDSv2 required a hop limit of 1 stops pod traffic; a NetworkPolicy egress allow-list without 169.254.169.254 blocks
 * it where the CNI enforces policies.
 */
export function imdsReachability(
  workload: Workload,
  network: DeclaredNetwork,
  imds: { httpTokens?: 'required' | 'optional'; hopLimit?: number } | undefined,
): { reachable: boolean; reason: string } {
  if (workload.hostNetwork) return { reachable: true, reason: 'pods use hostNetwork: IMDS is reachable directly' };
  if (network.egressRestricted) {
    const allowed = network.rules.some(
      (r) =>
        (r.ports.length === 0 ||
          r.ports.some(
            (p) =>
              p.port === undefined || p.port === 80 || (p.endPort !== undefined && p.port <= 80 && 80 <= p.endPort),
          )) &&
        r.peers.some(
          (p) =>
            'any' in p || ('cidr' in p && ipInCidr(IMDS_IP, p.cidr) && !p.except.some((x) => ipInCidr(IMDS_IP, x))),
        ),
    );
    if (!allowed)
      return {
        reachable: false,
        reason: `NetworkPolicy egress (${network.policies.join(', ')}) does not allow ${IMDS_IP}:80`,
      };
  }
  if (!imds)
    return {
      reachable: true,
      reason: 'IMDS metadata options unknown: assumed reachable (EKS managed node groups default to hop limit 2)',
    };
  if (imds.httpTokens === 'optional')
    return { reachable: true, reason: 'IMDSv1 allowed (HttpTokens optional): the hop limit does not apply' };
  const hop = imds.hopLimit ?? 1;
  if (hop >= 2)
    return {
      reachable: true,
      reason: `IMDSv2 hop limit ${hop} lets pod traffic through${network.egressRestricted ? ' and NetworkPolicy allows it' : ' and no NetworkPolicy restricts egress'}`,
    };
  return { reachable: false, reason: `IMDSv2 required with hop limit ${hop}: pods cannot get a token` };
}

/** Loads a snapshot from a live API server (kubeconfig from the environment). Used by the CLI's --kube option. */
export async function readK8sSnapshot(
  cluster: string,
  context?: string,
): Promise<{ snapshot: K8sSnapshot; errors: string[] }> {
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  kc.loadFromDefault();
  if (context) kc.setCurrentContext(context);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const net = kc.makeApiClient(k8s.NetworkingV1Api);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const [d, n, s] = await Promise.all([
    apps.listDeploymentForAllNamespaces(),
    net.listNetworkPolicyForAllNamespaces(),
    core.listServiceAccountForAllNamespaces(),
  ]);
  return parseK8sSnapshot(cluster, { deployments: d.items, networkPolicies: n.items, serviceAccounts: s.items });
}
