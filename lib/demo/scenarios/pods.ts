/**
 * The agent's replicas: a ReplicaSet of pods replaced at day boundaries and on rollouts. Each start reports what the
 * node agent sees (pod IP leases, container-start inventory, the entrypoint exec and the prompt it opens); each end
 * closes the pod's lease.
 */
import type { Principal } from './formats.ts';
import { iso, type Pod, record, type ScenarioRun } from './run.ts';

/** The node agent's attribution of a pod's activity. */
export function attribution(run: ScenarioRun, p: Pod) {
  return {
    cgroupId: p.cgroupId,
    containerId: p.containerId,
    runtime: 'containerd' as const,
    pod: p.name,
    podUid: p.uid,
    namespace: run.spec.namespace,
    deployment: run.spec.deployment,
  };
}

/** The IRSA principal a pod's AWS calls carry. */
export function podPrincipal(run: ScenarioRun, p: Pod): Principal {
  const { spec } = run;
  return {
    account: spec.account,
    roleName: spec.podRole,
    sessionName: p.roleSession,
    roleId: p.roleId,
    accessKeyId: p.accessKeyId,
    webIdentity: {
      provider: `arn:aws:iam::${spec.account}:oidc-provider/oidc.eks.${spec.region}.amazonaws.com/id/${'A'.repeat(32)}`,
    },
  };
}

/** The pod's IP lease, open (`to` null) or closed. */
function lease(run: ScenarioRun, p: Pod, to: string | null) {
  const { namespace, deployment } = run.spec;
  return { type: 'lease' as const, ip: p.ip, pod: p.name, namespace, deployment, podUid: p.uid, from: iso(p.from), to };
}

const letters = (hex: string, alphabet: string) => hex.replace(/[0-9]/g, (d) => alphabet[Number(d)]!);

/** Ends the running pods at `at` and starts `spec.replicas` new ones on the current image. */
export function replacePods(run: ScenarioRun, at: number): void {
  const { spec, rng, state, truth } = run;
  for (const p of run.pods) {
    p.to = at;
    record(run, p.node, lease(run, p, iso(at)));
  }
  const rs = letters(rng.hex(10), 'bcdfghjklm');
  run.pods = [];
  for (let i = 0; i < spec.replicas; i++) {
    const node = spec.nodes[i % spec.nodes.length]!;
    run.ipSeq = run.ipSeq >= 240 ? 20 : run.ipSeq + 1;
    const p: Pod = {
      name: `${spec.deployment}-${rs}-${letters(rng.hex(5), 'npqrstvwxz')}`,
      ip: `10.0.${1 + (i % 2)}.${run.ipSeq}`,
      node,
      eni: `eni-0${rng.hex(16)}`,
      containerId: rng.hex(64),
      cgroupId: String(rng.int(10_000, 999_999)),
      uid: rng.uuid(),
      from: at,
      roleSession: `botocore-session-${Math.floor(at / 1000)}${i}`,
      roleId: run.podRoleId,
      accessKeyId: `ASIA${rng.upper(16)}`,
    };
    run.pods.push(p);
    truth.pods.push({ name: p.name, ip: p.ip, node, from: iso(at), to: '' });
    record(run, node, lease(run, p, null));
    const previousDigest = run.previousDigest;
    record(run, node, {
      type: 'container-start',
      time: iso(at + 2000),
      attribution: attribution(run, p),
      image: `${spec.image}@${state.digest}`,
      digest: state.digest,
      ...(previousDigest && previousDigest !== state.digest ? { previousDigest } : {}),
      packages: state.packages.map((x) => ({ ecosystem: 'pypi' as const, name: x.name, version: x.version })),
      models: [],
      mcpServers: [],
      prompts: [{ path: spec.promptPath, sha256: state.promptSha, size: 4096 }],
    });
    record(run, node, {
      type: 'exec',
      time: iso(at + 1000),
      attribution: attribution(run, p),
      path: '/usr/local/bin/python3.12',
      argv: ['python3', '-m', 'support_agent'],
    });
    record(run, node, { type: 'open', time: iso(at + 1500), attribution: attribution(run, p), path: spec.promptPath });
  }
  run.previousDigest = state.digest;
  for (const tp of truth.pods) {
    const live = run.pods.find((p) => p.name === tp.name);
    if (!live && tp.to === '') tp.to = iso(at);
  }
}
