/**
 * What a node-agent record means: the subject of its attribution (cgroup -> container -> pod -> Deployment, or a
 * local watch name) and the observations each record type becomes. Records arrive validated
 * (node-agent-schema.ts); the batch parser (node-agent.ts) gives them ids, times and the node.
 */
import { type AttrValue, type Correlation, keys, type Layer } from '../observation.ts';
import type { Attribution, NodeAgentRecord } from './node-agent-schema.ts';

/** File name suffixes treated as local model weights (`model:file:` keys). */
export const MODEL_FILE_SUFFIXES = [
  '.safetensors',
  '.gguf',
  '.ggml',
  '.pt',
  '.pth',
  '.onnx',
  '.ckpt',
  '.tflite',
  '.mlmodel',
  '.h5',
  '.keras',
  '.pb',
] as const;

/** True when a path names model weights (by suffix, or HF-style `pytorch_model*.bin` / `model*.bin`). */
export function isModelFile(path: string): boolean {
  const p = path.toLowerCase();
  // `site-packages/*.pth` are the interpreter's path configuration files (read at every start), not PyTorch weights.
  if (p.endsWith('.pth') && /\/(site|dist)-packages\/[^/]+$/.test(p)) return false;
  if (MODEL_FILE_SUFFIXES.some((s) => p.endsWith(s))) return true;
  const base = p.slice(p.lastIndexOf('/') + 1);
  return /^(pytorch_model|model|tf_model|flax_model)[\w.-]*\.bin$/.test(base);
}

function cgroupIdString(a: Attribution): string | undefined {
  return a.cgroupId === undefined ? undefined : String(a.cgroupId);
}

/** Subject of a record: Deployment when attributed, `local:` in watch mode, else `unattributed:` with what is known. */
export function subjectOf(a: Attribution, cluster: string | undefined): string {
  if (a.local) return `local:${a.local}`;
  if (a.namespace && a.deployment && cluster) return `k8s:${cluster}/${a.namespace}/${a.deployment}`;
  if (a.namespace && a.pod) return `unattributed:${cluster ? `${cluster}/` : ''}${a.namespace}/${a.pod}`;
  // Unresolved containers and cgroups are the cluster's (`unattributed:<cluster>/...`): two clusters' cgroups never
  // share a subject, and a node agent's scope (its cluster) covers them. Local mode has no cluster.
  const within = cluster ? `${cluster}/` : '';
  if (a.containerId) return `unattributed:${within}container:${a.containerId.slice(0, 12)}`;
  if (a.cgroupPath) return `unattributed:${within}cgroup:${a.cgroupPath}`;
  const id = cgroupIdString(a);
  return `unattributed:${within}cgroup:${id ?? 'unknown'}`;
}

function correlationOf(a: Attribution, pid?: number): Correlation {
  const c: Correlation = {};
  const id = cgroupIdString(a);
  if (id) c.cgroupId = id;
  if (a.containerId) c.containerId = a.containerId;
  if (a.pod) c.podName = a.namespace ? `${a.namespace}/${a.pod}` : a.pod;
  if (pid !== undefined) c.pid = pid;
  return c;
}

/** Receives one observation of a record; the parser fills in id, time, source, kind and the node. */
export type Emit = (o: {
  key: string;
  layer: Layer;
  count?: number;
  time?: string;
  subject?: string;
  correlation?: Correlation;
  attrs?: Record<string, AttrValue>;
  part?: string;
}) => void;

/** Maps one validated record to observations. */
export function mapRecord(rec: NodeAgentRecord, cluster: string | undefined, emit: Emit): void {
  switch (rec.type) {
    case 'exec': {
      const attrs: Record<string, AttrValue> = {};
      if (rec.argv) attrs.argv = rec.argv;
      if (rec.argvRedacted) attrs.argvRedacted = true;
      if (rec.uid !== undefined) attrs.uid = rec.uid;
      if (rec.ppid !== undefined) attrs.ppid = rec.ppid;
      emit({
        key: keys.exec(rec.path),
        layer: 'kernel',
        count: rec.count,
        attrs,
        correlation: correlationOf(rec.attribution, rec.pid),
      });
      return;
    }
    case 'open': {
      const attrs: Record<string, AttrValue> = {};
      if (rec.flags !== undefined) attrs.flags = rec.flags;
      if (rec.errno !== undefined) attrs.errno = rec.errno;
      if (rec.size !== undefined) attrs.size = rec.size;
      const correlation = correlationOf(rec.attribution, rec.pid);
      emit({ key: keys.open(rec.path), layer: 'kernel', count: rec.count, attrs, correlation });
      // Opening weights is the runtime evidence of which local model the agent actually loaded.
      if (isModelFile(rec.path)) {
        emit({
          key: keys.modelFile(rec.path),
          layer: 'application',
          count: rec.count,
          attrs,
          correlation,
          part: 'model',
        });
      }
      return;
    }
    case 'connect':
      emit({
        key: keys.egress(rec.daddr, rec.dport),
        layer: 'network',
        count: rec.count,
        attrs: { proto: rec.proto, dport: rec.dport, daddr: rec.daddr },
        correlation: correlationOf(rec.attribution, rec.pid),
      });
      return;
    case 'dns': {
      const attrs: Record<string, AttrValue> = {};
      if (rec.qtype !== undefined) attrs.qtype = String(rec.qtype);
      if (rec.answers) attrs.answers = rec.answers;
      emit({
        key: keys.dns(rec.qname),
        layer: 'network',
        count: rec.count,
        attrs,
        correlation: correlationOf(rec.attribution),
      });
      return;
    }
    case 'syscalls':
      for (const [nameOrNr, n] of Object.entries(rec.counts)) {
        emit({
          key: keys.syscall(nameOrNr),
          layer: 'kernel',
          count: n,
          correlation: correlationOf(rec.attribution),
          part: nameOrNr,
        });
      }
      return;
    case 'seccomp': {
      const attrs: Record<string, AttrValue> = { arch: rec.arch, action: rec.action };
      if (rec.nr !== undefined) attrs.nr = rec.nr;
      if (rec.exe) attrs.exe = rec.exe;
      if (rec.comm) attrs.comm = rec.comm;
      if (rec.profile) attrs.profile = rec.profile;
      emit({
        key: `seccomp:${rec.action === 'log' ? 'logged' : 'denied'}:${rec.syscall}`,
        layer: 'kernel',
        count: rec.count,
        attrs,
        correlation: correlationOf(rec.attribution, rec.pid),
      });
      return;
    }
    case 'kernel-event':
      emit({
        key: `kernel:${rec.kind}:${rec.key}`,
        layer: 'kernel',
        count: rec.count,
        attrs: rec.attrs ?? {},
        correlation: correlationOf(rec.attribution, rec.pid),
      });
      return;
    case 'lease': {
      // The lease is owned by the Deployment it served; identity resolution consumes it via leasesFromBatch too.
      const subject =
        rec.deployment && cluster
          ? `k8s:${cluster}/${rec.namespace}/${rec.deployment}`
          : `unattributed:${cluster ? `${cluster}/` : ''}${rec.namespace}/${rec.pod}`;
      emit({
        key: `lease:${rec.ip}`,
        layer: 'network',
        time: rec.from,
        subject,
        attrs: { ip: rec.ip, pod: rec.pod, namespace: rec.namespace, from: rec.from, to: rec.to ?? null },
        correlation: { podIp: rec.ip, podName: `${rec.namespace}/${rec.pod}` },
      });
      return;
    }
    case 'mcp-spawn':
      emit({
        key: keys.mcp(rec.transport, rec.name),
        layer: 'tool',
        count: rec.count,
        attrs: rec.command ? { command: rec.command } : {},
        correlation: correlationOf(rec.attribution),
      });
      return;
    case 'container-start': {
      const correlation = correlationOf(rec.attribution);
      if (rec.image) {
        const ref = rec.digest ? `${rec.image.replace(/@sha256:[0-9a-f]+$/, '')}@${rec.digest}` : rec.image;
        // A digest different from the one this Deployment ran before is a rollout: drift correlates with it.
        const deployEvent =
          rec.previousDigest !== undefined && rec.digest !== undefined && rec.previousDigest !== rec.digest;
        const imageAttrs: Record<string, AttrValue> = { image: rec.image, deployEvent };
        if (rec.digest) imageAttrs.digest = rec.digest;
        if (rec.previousDigest) imageAttrs.previousDigest = rec.previousDigest;
        emit({ key: `image:${ref}`, layer: 'application', attrs: imageAttrs, correlation, part: 'image' });
      }
      for (const p of rec.packages) {
        emit({
          key: keys.pkg(p.ecosystem, p.name.toLowerCase(), p.version),
          layer: 'application',
          attrs: p.path ? { path: p.path } : {},
          correlation,
          part: `pkg:${p.ecosystem}:${p.name}@${p.version}`,
        });
      }
      for (const m of rec.models) {
        const attrs: Record<string, AttrValue> = { size: m.size };
        if (m.sha256) attrs.sha256 = m.sha256;
        emit({ key: keys.modelFile(m.path), layer: 'application', attrs, correlation, part: `model:${m.path}` });
      }
      for (const s of rec.mcpServers) {
        emit({
          key: keys.mcp(s.transport, s.name),
          layer: 'tool',
          attrs: s.command ? { command: s.command } : {},
          correlation,
          part: `mcp:${s.transport}:${s.name}`,
        });
      }
      for (const p of rec.prompts) {
        const attrs: Record<string, AttrValue> = { sha256: p.sha256 };
        if (p.size !== undefined) attrs.size = p.size;
        emit({ key: keys.prompt(p.path), layer: 'application', attrs, correlation, part: `prompt:${p.path}` });
      }
      return;
    }
  }
}
