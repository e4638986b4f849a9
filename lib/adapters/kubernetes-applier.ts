/**
 * ClusterApplier over the Kubernetes API (EKS): server-side apply of the generated resources with field manager
 * `warden`, keeping the previously applied set per subject (in memory and as annotations) for rollback.
 *
 * Monitor mode per resource kind:
 * - SeccompProfile (SPO, cluster-scoped): the `monitor` content (SCMP_ACT_LOG) is applied, then the Deployment patch
 *   (`*.seccomp-binding.monitor.yaml`) that points the pods at it; enforce applies the enforcing content under the
 *   same name and the enforce patch, whose pod-template annotations roll the pods onto it. The Deployment patch waits
 *   until SPO reports the profile `Installed` (on every node: `Partial` keeps waiting), so no pod is pointed at a
 *   profile file its node does not have yet (kubelet would refuse to start it); `Error` or a timeout fails the apply
 *   with {@link SeccompProfileNotReady} before any Deployment is touched. Not covered: on the enforce switch the
 *   status can still read `Installed` from the monitor content for the moment SPO takes to notice the change (SPO
 *   reports no content hash or observed generation); pods rolled in that moment start under the monitor content,
 *   which logs instead of denying, until their next restart. A Deployment is never deleted: rolling back releases
 *   Warden's fields of it (server-side apply of an empty patch);
 * - NetworkPolicy: with `networkPolicyAudit: 'calico-staged'` it is applied as a Calico
 *   StagedKubernetesNetworkPolicy (evaluated and logged, not enforced); otherwise it is not applied in monitor mode
 *   and the would-be-denials are computed from flow logs and agent connects (lib/core/rollout/blast-radius.ts);
 * - CiliumNetworkPolicy: not applied in monitor mode (Cilium's audit mode is a per-endpoint agent setting, not a
 *   policy field); enforced like the NetworkPolicy.
 *
 * EKS authentication: a bearer token from {@link eksToken} (a presigned STS GetCallerIdentity URL, what
 * `aws eks get-token` returns), or any kubeconfig the caller loads.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { KubeConfig, type KubernetesObject, KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity } from '@smithy/types';
import { parse } from 'yaml';
import type { ClusterApplier, EnforcementMode, Manifest } from '../ports.ts';

export interface KubernetesApplierOptions {
  /** A loaded kubeconfig (e.g. `kc.loadFromOptions` with an EKS token). */
  kubeConfig: KubeConfig;
  networkPolicyAudit?: 'calico-staged' | 'none';
  /** How long to wait for SPO to install a SeccompProfile before binding pods to it (default 180 s, polled every 2 s). */
  seccompReady?: { timeoutMs?: number; pollMs?: number };
}

/** A SeccompProfile SPO did not install (state `Error`/`Terminating`, or not `Installed` in time): nothing bound to it. */
export class SeccompProfileNotReady extends Error {
  constructor(
    readonly profile: string,
    readonly state: string,
    options?: { cause?: unknown },
  ) {
    super(`SeccompProfile ${profile} is not installed (SPO status: ${state}): its Deployment was not bound`, options);
    this.name = 'SeccompProfileNotReady';
  }
}

const MANAGER = 'warden';
/** API groups client-node has model classes for; anything else is a custom resource. */
const isCustomGroup = (apiVersion: string) => {
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
  return group !== '' && !group.endsWith('.k8s.io') && !['apps', 'batch', 'policy', 'autoscaling'].includes(group);
};

/**
 * client-node picks a model class from "<Version><Kind>" alone, so `security-profiles-operator.x-k8s.io/v1`
 * SeccompProfile would be serialized as the core V1SeccompProfile (a securityContext field), dropping its spec.
 * Custom resources go out as they are.
 */
class CustomResourceAwareApi extends KubernetesObjectApi {
  static make(kc: KubeConfig): CustomResourceAwareApi {
    const api = kc.makeApiClient(CustomResourceAwareApi);
    api.setDefaultNamespace(kc);
    return api;
  }

  protected override getSerializationType(apiVersion?: string, kind?: string): Promise<string> {
    if (apiVersion && isCustomGroup(apiVersion)) return Promise.resolve('KubernetesObject');
    return super.getSerializationType(apiVersion, kind);
  }
}

/** The SeccompProfile and the Deployment patch binding it come in a monitor and an enforce variant. */
const isSeccomp = (kind: string) => kind === 'SeccompProfile' || kind === 'Deployment';
const ref = (o: KubernetesObject) => [o.kind, o.metadata?.namespace, o.metadata?.name].filter(Boolean).join('/');

export class KubernetesApplier implements ClusterApplier {
  readonly description: string;
  private readonly api: KubernetesObjectApi;
  private readonly history = new Map<string, KubernetesObject[][]>();

  constructor(private readonly opts: KubernetesApplierOptions) {
    this.api = CustomResourceAwareApi.make(opts.kubeConfig);
    this.description = `Kubernetes API ${opts.kubeConfig.getCurrentCluster()?.server ?? ''}`;
  }

  /** The objects to apply for one mode (see the module comment). */
  objectsFor(mode: EnforcementMode, manifests: Manifest[]): KubernetesObject[] {
    const out: KubernetesObject[] = [];
    for (const m of manifests) {
      const obj = parse(m.content) as KubernetesObject & { spec?: unknown };
      if (!obj?.kind) continue;
      if (mode === 'monitor') {
        if (obj.kind === 'NetworkPolicy' && this.opts.networkPolicyAudit === 'calico-staged') {
          out.push({ ...obj, apiVersion: 'projectcalico.org/v3', kind: 'StagedKubernetesNetworkPolicy' });
        } else if (isSeccomp(obj.kind) && m.path.includes('.monitor.')) out.push(obj);
        continue;
      }
      if (isSeccomp(obj.kind) && !m.path.includes('.enforce.')) continue;
      out.push(obj);
    }
    return out;
  }

  async apply(subject: string, mode: EnforcementMode, manifests: Manifest[]): Promise<{ applied: string[] }> {
    const objects = this.objectsFor(mode, manifests);
    // Profiles first, bound only once installed; the objects are recorded first so a rollback also removes a profile
    // applied before a failed wait.
    const profiles = objects.filter((o) => o.kind === 'SeccompProfile');
    const h = this.history.get(subject) ?? [];
    h.push(objects);
    this.history.set(subject, h);
    const applied: string[] = [];
    const put = async (o: KubernetesObject) => {
      const annotated = {
        ...o,
        metadata: { ...o.metadata, annotations: { ...(o.metadata?.annotations ?? {}), 'warden.dev/mode': mode } },
      };
      await this.api.patch(annotated, undefined, undefined, MANAGER, true, PatchStrategy.ServerSideApply);
      applied.push(`${mode}:${ref(o)}`);
    };
    for (const o of profiles) await put(o);
    for (const o of profiles) await this.awaitInstalled(o);
    for (const o of objects) if (o.kind !== 'SeccompProfile') await put(o);
    return { applied };
  }

  /** Polls a SeccompProfile until SPO reports it `Installed`; throws {@link SeccompProfileNotReady} otherwise. */
  private async awaitInstalled(o: KubernetesObject): Promise<void> {
    const { timeoutMs = 180_000, pollMs = 2_000 } = this.opts.seccompReady ?? {};
    const name = o.metadata?.name ?? '';
    const deadline = Date.now() + timeoutMs;
    let state = 'no status yet';
    for (;;) {
      const got = (await this.api.read({ apiVersion: o.apiVersion, kind: o.kind, metadata: { name } })) as {
        status?: { status?: string };
      };
      state = got.status?.status ?? 'no status yet';
      if (state === 'Installed') return;
      if (state === 'Error' || state === 'Terminating') throw new SeccompProfileNotReady(name, state);
      if (Date.now() + pollMs > deadline) throw new SeccompProfileNotReady(name, `${state} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  async rollback(subject: string): Promise<{ restored: string[] }> {
    const h = this.history.get(subject) ?? [];
    const current = h.pop() ?? [];
    const previous = h.at(-1) ?? [];
    const keep = new Set(previous.map(ref));
    for (const o of current) {
      if (keep.has(ref(o))) continue;
      if (o.kind === 'Deployment')
        await this.api.patch(
          {
            apiVersion: o.apiVersion,
            kind: o.kind,
            metadata: { name: o.metadata?.name, namespace: o.metadata?.namespace },
          },
          undefined,
          undefined,
          MANAGER,
          true,
          PatchStrategy.ServerSideApply,
        );
      else await this.api.delete(o);
    }
    const restored: string[] = [];
    for (const o of previous) {
      await this.api.patch(o, undefined, undefined, MANAGER, true, PatchStrategy.ServerSideApply);
      restored.push(ref(o));
    }
    return { restored };
  }
}

/**
 * An EKS bearer token: `k8s-aws-v1.` + base64url of a presigned STS GetCallerIdentity URL carrying the
 * `x-k8s-aws-id: <cluster>` header (valid 15 minutes), as `aws eks get-token` produces.
 */
export async function eksToken(
  cluster: string,
  region: string,
  credentials: AwsCredentialIdentity,
  now = new Date(),
): Promise<string> {
  const signer = new SignatureV4({ service: 'sts', region, credentials, sha256: Sha256 });
  const hostname = `sts.${region}.amazonaws.com`;
  const signed = await signer.presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname,
      path: '/',
      headers: { host: hostname, 'x-k8s-aws-id': cluster },
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
    },
    { expiresIn: 60, signingDate: now },
  );
  const q = new URLSearchParams(signed.query as Record<string, string>).toString();
  const url = `https://${hostname}/?${q}`;
  return `k8s-aws-v1.${Buffer.from(url).toString('base64url')}`;
}

/** A kubeconfig for an EKS endpoint with a bearer token. */
export function eksKubeConfig(
  server: string,
  caData: string | undefined,
  token: string,
  skipTLSVerify = false,
): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'eks', server, ...(caData ? { caData } : {}), skipTLSVerify }],
    users: [{ name: 'warden', token }],
    contexts: [{ name: 'warden', cluster: 'eks', user: 'warden' }],
    currentContext: 'warden',
  });
  return kc;
}
