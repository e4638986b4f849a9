import { readFileSync } from 'node:fs';
import { DaemonSet } from 'kubernetes-models/apps/v1';
import { ClusterRole, ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { Namespace, ServiceAccount } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { agentEnvSchema } from '../../../node-agent/config.ts';

const dir = new URL('../../../deploy/node-agent/', import.meta.url);
const load = (f: string) => parseAllDocuments(readFileSync(new URL(f, dir), 'utf8')).map((d) => d.toJS());
const kustomization = load('kustomization.yaml')[0] as { resources: string[] };
const docs = kustomization.resources.flatMap(load) as Array<{ kind: string }>;

// biome-ignore lint/suspicious/noExplicitAny: model constructors take the raw manifest object
const MODELS: Record<string, new (o: any) => { validate(): void }> = {
  Namespace,
  ServiceAccount,
  ClusterRole,
  ClusterRoleBinding,
  DaemonSet,
};

describe('deploy/node-agent manifests', () => {
  it('every resource validates against the Kubernetes schemas', () => {
    expect(docs.map((d) => d.kind).sort()).toEqual([
      'ClusterRole',
      'ClusterRoleBinding',
      'DaemonSet',
      'Namespace',
      'ServiceAccount',
    ]);
    for (const d of docs) {
      const Model = MODELS[d.kind];
      expect(Model, d.kind).toBeDefined();
      expect(() => new Model!(d).validate()).not.toThrow();
    }
  });

  it('the validation really rejects a broken DaemonSet', () => {
    const ds = structuredClone(docs.find((d) => d.kind === 'DaemonSet')) as unknown as {
      spec: { template: { spec: { containers: unknown } } };
    };
    ds.spec.template.spec.containers = 'agent';
    expect(() => new DaemonSet(ds as never).validate()).toThrow();
  });

  const ds = new DaemonSet(docs.find((d) => d.kind === 'DaemonSet') as never);
  const pod = ds.spec!.template.spec!;
  const c = pod.containers[0]!;

  it('has the eBPF capabilities, host PID, and the cgroup2, BTF and tracefs host mounts', () => {
    expect(c.securityContext?.capabilities?.add).toEqual(
      expect.arrayContaining(['BPF', 'PERFMON', 'SYS_ADMIN', 'NET_ADMIN']),
    );
    expect(c.securityContext?.capabilities?.drop).toEqual(['ALL']);
    expect(c.securityContext?.privileged).toBe(false);
    expect(pod.hostPID).toBe(true);
    const hostPaths = Object.fromEntries((pod.volumes ?? []).map((v) => [v.name, v.hostPath?.path]));
    const mounts = Object.fromEntries((c.volumeMounts ?? []).map((m) => [hostPaths[m.name], m.mountPath]));
    expect(mounts).toMatchObject({
      '/sys/fs/cgroup': '/host/sys/fs/cgroup',
      '/sys/kernel/btf': '/sys/kernel/btf',
      '/sys/kernel/tracing': '/sys/kernel/tracing',
    });
    expect(c.resources?.limits).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(c.resources?.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
  });

  it('runs as the service account with an IRSA role, allowed to read only pods and ReplicaSets', () => {
    const sa = docs.find((d) => d.kind === 'ServiceAccount') as unknown as {
      metadata: { name: string; annotations: Record<string, string> };
    };
    expect(pod.serviceAccountName).toBe(sa.metadata.name);
    expect(sa.metadata.annotations['eks.amazonaws.com/role-arn']).toMatch(/^arn:aws:iam::\d{12}:role\//);
    const role = docs.find((d) => d.kind === 'ClusterRole') as unknown as {
      rules: Array<{ resources: string[]; verbs: string[] }>;
    };
    expect(role.rules.flatMap((r) => r.resources).sort()).toEqual(['pods', 'replicasets']);
    expect(role.rules.flatMap((r) => r.verbs).every((v) => ['get', 'list', 'watch'].includes(v))).toBe(true);
  });

  it('sets every required agent variable, and only variables the agent knows', () => {
    const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? 'from-field']));
    const known = Object.keys(agentEnvSchema.shape);
    for (const name of Object.keys(env).filter((n) => n.startsWith('WARDEN_'))) expect(known).toContain(name);
    const parsed = agentEnvSchema.safeParse(env);
    expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
  });
});
