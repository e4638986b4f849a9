/**
 * Pods on this node and their owning Deployment, from the kubelet (`/pods`) or the API server
 * (`@kubernetes/client-node`, pods with `spec.nodeName=<node>`, ReplicaSets for the owner chain).
 *
 * Pod lists are outside data: they pass a zod schema, and a malformed pod is skipped and counted, never trusted.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { z } from 'zod';
import { deploymentFromReplicaSetName } from '../lib/core/identity/pod-name.ts';
import type { Runtime } from './cgroup.ts';

/** Timestamps arrive as strings from JSON and as Date objects from client-node's deserializer. */
const time = z.union([z.string(), z.date()]).transform((t) => (t instanceof Date ? t.toISOString() : t));
const ownerRef = z.object({ kind: z.string(), name: z.string(), controller: z.boolean().optional() }).passthrough();
const seccompProfile = z
  .object({
    seccompProfile: z.object({ type: z.string(), localhostProfile: z.string().nullish() }).passthrough().nullish(),
  })
  .passthrough()
  .nullish();

const podSchema = z
  .object({
    metadata: z
      .object({
        name: z.string().min(1),
        namespace: z.string().min(1),
        uid: z.string().min(1),
        labels: z.record(z.string()).nullish(),
        ownerReferences: z.array(ownerRef).nullish(),
        creationTimestamp: time.nullish(),
      })
      .passthrough(),
    spec: z
      .object({
        nodeName: z.string().nullish(),
        serviceAccountName: z.string().nullish(),
        hostNetwork: z.boolean().nullish(),
        securityContext: seccompProfile,
        containers: z.array(z.object({ name: z.string(), securityContext: seccompProfile }).passthrough()).nullish(),
      })
      .passthrough()
      .nullish(),
    status: z
      .object({
        phase: z.string().nullish(),
        podIP: z.string().nullish(),
        podIPs: z.array(z.object({ ip: z.string() }).passthrough()).nullish(),
        startTime: time.nullish(),
        containerStatuses: z
          .array(
            z
              .object({
                name: z.string(),
                containerID: z.string().nullish(),
                image: z.string().nullish(),
                imageID: z.string().nullish(),
              })
              .passthrough(),
          )
          .nullish(),
        initContainerStatuses: z
          .array(z.object({ name: z.string(), containerID: z.string().nullish() }).passthrough())
          .nullish(),
      })
      .passthrough()
      .nullish(),
  })
  .passthrough();

const podListSchema = z.object({ items: z.array(z.unknown()) }).passthrough();

export interface ContainerSummary {
  name: string;
  containerId: string;
  runtime: Runtime;
  image?: string;
  /** `sha256:...` image digest when the runtime reports one. */
  digest?: string;
  /** The Localhost seccomp profile it runs under: the SPO SeccompProfile name (`operator/<name>.json`) or the path. */
  seccompProfile?: string;
}

export interface PodSummary {
  uid: string;
  name: string;
  namespace: string;
  nodeName?: string;
  serviceAccount?: string;
  hostNetwork: boolean;
  phase?: string;
  ips: string[];
  startTime?: string;
  labels: Record<string, string>;
  owner?: { kind: string; name: string };
  /** Owning Deployment (resolved through the ReplicaSet), when there is one. */
  deployment?: string;
  containers: ContainerSummary[];
}

const RUNTIME_PREFIX: Record<string, Runtime> = { containerd: 'containerd', 'cri-o': 'cri-o', docker: 'docker' };

/** `containerd://<id>` -> {runtime, id}. */
export function parseContainerId(s: string): { runtime: Runtime; id: string } | undefined {
  const m = /^([a-z-]+):\/\/([0-9a-f]{64})$/.exec(s);
  return m ? { runtime: RUNTIME_PREFIX[m[1]!] ?? 'unknown', id: m[2]! } : undefined;
}

/** `operator/<name>.json` or `operator/<ns>/<name>.json` (SPO) -> `<name>`; another Localhost path as it is. */
export function seccompProfileName(localhostProfile: string): string {
  return /^operator\/(?:[^/]+\/)?([^/]+)\.json$/.exec(localhostProfile)?.[1] ?? localhostProfile;
}

/** Turns one pod object (kubelet JSON or client-node V1Pod) into a summary; undefined when malformed. */
export function summarizePod(raw: unknown): PodSummary | undefined {
  const p = podSchema.safeParse(raw);
  if (!p.success) return undefined;
  const { metadata: md, spec, status } = p.data;
  const ips = [...new Set([...(status?.podIPs ?? []).map((x) => x.ip), ...(status?.podIP ? [status.podIP] : [])])];
  const owner = (md.ownerReferences ?? []).find((o) => o.controller) ?? md.ownerReferences?.[0];
  const containers: ContainerSummary[] = [];
  // A container's own securityContext overrides the pod's; only Localhost profiles have a name to report.
  const localhost = (sc: z.infer<typeof seccompProfile>) =>
    sc?.seccompProfile?.type === 'Localhost' && sc.seccompProfile.localhostProfile
      ? seccompProfileName(sc.seccompProfile.localhostProfile)
      : undefined;
  const profileOf = (name: string) => {
    const own = spec?.containers?.find((x) => x.name === name)?.securityContext;
    return own?.seccompProfile ? localhost(own) : localhost(spec?.securityContext);
  };
  for (const c of [...(status?.containerStatuses ?? []), ...(status?.initContainerStatuses ?? [])]) {
    const parsed = c.containerID ? parseContainerId(c.containerID) : undefined;
    if (!parsed) continue;
    const imageID = 'imageID' in c ? (c.imageID as string | null | undefined) : undefined;
    const digest = imageID ? /(sha256:[0-9a-f]{64})/.exec(imageID)?.[1] : undefined;
    const image = 'image' in c ? (c.image as string | null | undefined) : undefined;
    containers.push({
      name: c.name,
      containerId: parsed.id,
      runtime: parsed.runtime,
      ...(image ? { image } : {}),
      ...(digest ? { digest } : {}),
      ...(profileOf(c.name) ? { seccompProfile: profileOf(c.name) } : {}),
    });
  }
  const labels = md.labels ?? {};
  const summary: PodSummary = {
    uid: md.uid,
    name: md.name,
    namespace: md.namespace,
    hostNetwork: Boolean(spec?.hostNetwork),
    ips: spec?.hostNetwork ? [] : ips, // a host-network pod's IP is the node's: never a lease
    labels,
    containers,
  };
  if (spec?.nodeName) summary.nodeName = spec.nodeName;
  if (spec?.serviceAccountName) summary.serviceAccount = spec.serviceAccountName;
  if (status?.phase) summary.phase = status.phase;
  if (status?.startTime ?? md.creationTimestamp)
    summary.startTime = (status?.startTime ?? md.creationTimestamp) as string;
  if (owner) summary.owner = { kind: owner.kind, name: owner.name };
  if (owner?.kind === 'Deployment') summary.deployment = owner.name;
  // A Deployment names its ReplicaSets `<deployment>-<pod-template-hash>`: exact when the label is there.
  if (owner?.kind === 'ReplicaSet') {
    const d = deploymentFromReplicaSetName(owner.name, labels['pod-template-hash']);
    if (d) summary.deployment = d;
  }
  return summary;
}

/** Parses a PodList body; malformed pods are counted in `skipped`. */
export function summarizePodList(raw: unknown): { pods: PodSummary[]; skipped: number } {
  const list = podListSchema.safeParse(raw);
  if (!list.success) return { pods: [], skipped: 0 };
  const pods: PodSummary[] = [];
  let skipped = 0;
  for (const item of list.data.items) {
    const s = summarizePod(item);
    if (s) pods.push(s);
    else skipped++;
  }
  return { pods, skipped };
}

/** Where pods come from. `listPods` returns this node's pods with `deployment` resolved where possible. */
export interface PodSource {
  readonly kind: 'kubelet' | 'api-server';
  listPods(): Promise<{ pods: PodSummary[]; skipped: number }>;
}

/**
 * ReplicaSet -> Deployment through the API (authoritative, cached); pods keep the naming-rule answer from
 * {@link summarizePod} when the API cannot be asked or fails.
 */
async function resolveDeployments(
  pods: PodSummary[],
  readRsOwner: (ns: string, name: string) => Promise<{ kind: string; name: string } | undefined>,
  cache: Map<string, string | null>,
): Promise<void> {
  for (const p of pods) {
    if (p.owner?.kind !== 'ReplicaSet') continue;
    const key = `${p.namespace}/${p.owner.name}`;
    let d = cache.get(key);
    if (d === undefined) {
      try {
        const o = await readRsOwner(p.namespace, p.owner.name);
        d = o?.kind === 'Deployment' ? o.name : null;
        cache.set(key, d);
      } catch {
        continue; // API hiccup: keep the naming rule's answer this time, ask again next time
      }
    }
    if (d) p.deployment = d;
    else delete p.deployment;
  }
}

export interface KubeletOptions {
  /** Base URL, e.g. `https://10.0.1.17:10250` (or `http://127.0.0.1:10255` for the read-only port). */
  url: string;
  token?: string;
  /** PEM CA for the kubelet's serving certificate; without it the certificate is not verified (kubelet certs are often self-signed). */
  ca?: string;
  timeoutMs?: number;
}

function getJson(url: string, opts: { token?: string; ca?: string; timeoutMs?: number }): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(
      u,
      {
        method: 'GET',
        headers,
        timeout: opts.timeoutMs ?? 10_000,
        ...(u.protocol === 'https:' ? { ca: opts.ca, rejectUnauthorized: Boolean(opts.ca) } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          if ((res.statusCode ?? 0) >= 300) return reject(new Error(`GET ${u.pathname}: HTTP ${res.statusCode}`));
          try {
            resolve(JSON.parse(body));
          } catch (e) {
            reject(new Error(`GET ${u.pathname}: invalid JSON`, { cause: e }));
          }
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${u.pathname}: timeout`)));
    req.on('error', reject);
    req.end();
  });
}

/** Pods from the kubelet's `/pods` endpoint (this node only; no ReplicaSet access: owners by the naming rule). */
export function kubeletPodSource(opts: KubeletOptions): PodSource {
  return {
    kind: 'kubelet',
    async listPods() {
      const body = await getJson(`${opts.url.replace(/\/$/, '')}/pods`, opts);
      return summarizePodList(body);
    },
  };
}

/** Pods from the API server (field selector on this node), owners through ReplicaSets (cached). */
export function apiServerPodSource(kc: KubeConfig, nodeName: string): PodSource {
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const cache = new Map<string, string | null>();
  return {
    kind: 'api-server',
    async listPods() {
      const list = await core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${nodeName}` });
      const r = summarizePodList(list);
      await resolveDeployments(
        r.pods,
        async (namespace, name) => {
          const rs = await apps.readNamespacedReplicaSet({ name, namespace });
          const o = (rs.metadata?.ownerReferences ?? []).find((x) => x.controller) ?? rs.metadata?.ownerReferences?.[0];
          return o ? { kind: o.kind, name: o.name } : undefined;
        },
        cache,
      );
      return r;
    },
  };
}

/** A KubeConfig for in-cluster use, or for a given server URL and token (tests, out-of-cluster runs). */
export function kubeConfig(opts?: { server: string; token?: string; skipTLSVerify?: boolean }): KubeConfig {
  const kc = new KubeConfig();
  if (!opts) {
    kc.loadFromCluster();
    return kc;
  }
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: opts.server, skipTLSVerify: opts.skipTLSVerify ?? false }],
    users: [{ name: 'u', ...(opts.token ? { token: opts.token } : {}) }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  return kc;
}
