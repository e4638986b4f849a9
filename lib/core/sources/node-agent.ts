/**
 * The node-agent batch: the versioned JSON document the Warden node agent (and `warden agent watch`) ships, and its
 * parser into Observations.
 *
 * A batch covers one aggregation window of one node:
 * `{ schema: "warden.node-agent/v1", agent: {node, cluster, version}, window: {start, end}, drops: {reason: n},
 *    records: [...] }`.
 * Records are already aggregated by the agent (`count`); each carries an `attribution` (cgroup -> container -> pod ->
 * Deployment, or a local watch name) from which the parser derives the subject:
 * `k8s:<cluster>/<ns>/<deployment>`, `local:<name>`, else `unattributed:<cluster>/<ns/pod | container:id | cgroup:path>`.
 *
 * Validation is per record: one malformed record becomes a reject and the rest of the batch still yields
 * observations. Only a batch whose envelope is unusable is rejected as a whole.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { type AttrValue, type Correlation, keys, type Layer, type Observation, type Reject } from '../observation.ts';
import type { ParseContext, RecordInput, RecordResult, SourceParser } from './types.ts';
import { boundedJson, NUMERIC_BOUNDS, normalizeTime } from './util.ts';

export const NODE_AGENT_SCHEMA = 'warden.node-agent/v1' as const;

const isoTime = z
  .string()
  .min(10)
  .max(40)
  .refine((s) => normalizeTime(s) !== undefined, 'not an ISO-8601 time between 1970 and 2100');
const count = z.number().int().positive().max(NUMERIC_BOUNDS.count).default(1);
const pid = z.number().int().nonnegative().max(NUMERIC_BOUNDS.pid);
const u32 = z.number().int().nonnegative().max(NUMERIC_BOUNDS.u32);
const fileSize = z.number().int().nonnegative().max(NUMERIC_BOUNDS.size);
const shortStr = z.string().min(1).max(4096);
const name = z.string().min(1).max(253);

/** Where a record came from: the agent's resolution of cgroup -> container -> pod -> Deployment. */
export const attributionSchema = z
  .object({
    cgroupId: z
      .union([z.string().regex(/^\d{1,20}$/), z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)])
      .optional(),
    cgroupPath: z.string().max(4096).optional(),
    containerId: z.string().max(128).optional(),
    runtime: z.enum(['containerd', 'cri-o', 'docker', 'unknown']).optional(),
    pod: name.optional(),
    podUid: z.string().max(64).optional(),
    namespace: name.optional(),
    deployment: name.optional(),
    /** Local mode (`warden agent watch --name N`): the subject is `local:<N>`. */
    local: name.optional(),
  })
  .strict();
export type Attribution = z.infer<typeof attributionSchema>;

const base = { time: isoTime.optional(), count, attribution: attributionSchema.default({}) };

export const execRecordSchema = z
  .object({
    type: z.literal('exec'),
    ...base,
    path: shortStr,
    /** argv as seen, or with values redacted by the agent (argvRedacted=true). */
    argv: z.array(z.string().max(4096)).max(256).optional(),
    argvRedacted: z.boolean().optional(),
    pid: pid.optional(),
    ppid: pid.optional(),
    uid: u32.optional(),
  })
  .strict();

export const openRecordSchema = z
  .object({
    type: z.literal('open'),
    ...base,
    path: shortStr,
    flags: u32.optional(),
    /** errno of a failed open (EACCES=13, ENOENT=2 ...): attempts are behavior too. */
    errno: z.number().int().positive().max(NUMERIC_BOUNDS.errno).optional(),
    /** File size in bytes, reported for model weight files. */
    size: fileSize.optional(),
    pid: pid.optional(),
  })
  .strict();

export const connectRecordSchema = z
  .object({
    type: z.literal('connect'),
    ...base,
    daddr: z.string().ip(),
    dport: z.number().int().min(0).max(65535),
    proto: z.enum(['tcp', 'udp', 'other']).default('tcp'),
    pid: pid.optional(),
  })
  .strict();

export const dnsRecordSchema = z
  .object({
    type: z.literal('dns'),
    ...base,
    qname: z
      .string()
      .min(1)
      .max(255)
      .regex(/^[A-Za-z0-9_.*-]+\.?$/, 'not a DNS name'),
    qtype: z.union([z.string().max(16), z.number().int().nonnegative().max(65535)]).optional(),
    answers: z.array(z.string().max(255)).max(64).optional(),
  })
  .strict();

const syscallName = z.string().regex(/^([a-z0-9_]{1,64}|nr:\d{1,4})$/, 'syscall name or nr:N');

/** Syscall counts kept in the kernel and read as aggregates: `{ openat: 120, "nr:451": 2 }`. */
export const syscallsRecordSchema = z
  .object({
    type: z.literal('syscalls'),
    time: isoTime.optional(),
    attribution: attributionSchema.default({}),
    counts: z.record(syscallName, z.number().int().positive().max(NUMERIC_BOUNDS.count)),
  })
  .strict();

/** Architectures a seccomp record can name (the audit record's `arch`, decoded by the loader). */
export const SECCOMP_ARCHES = ['x86_64', 'aarch64', 'i386', 'x32', 'arm', 'unknown'] as const;
/** What the filter did: `log` (SCMP_ACT_LOG, a would-be denial of a monitor profile) or a real denial. */
export const SECCOMP_ACTIONS = [
  'log',
  'errno',
  'kill_thread',
  'kill_process',
  'trap',
  'trace',
  'user_notif',
  'unknown',
] as const;

/**
 * A syscall a seccomp filter logged (kernel audit record type 1326, read by the node agent). A monitor profile
 * (`SCMP_ACT_LOG` default) logs every call its enforce twin would deny: key `seccomp:logged:<name>`; a real denial
 * (errno, kill, trap) is `seccomp:denied:<name>`.
 */
export const seccompRecordSchema = z
  .object({
    type: z.literal('seccomp'),
    ...base,
    /** x86_64 spelling of the name (aarch64 uses the same names), or `nr:<n>` when the table does not know it. */
    syscall: syscallName,
    nr: z.number().int().nonnegative().max(4095).optional(),
    arch: z.enum(SECCOMP_ARCHES),
    action: z.enum(SECCOMP_ACTIONS).default('log'),
    exe: z.string().min(1).max(4096).optional(),
    comm: z.string().min(1).max(64).optional(),
    /** The SeccompProfile (SPO) name the pod's container runs under, when the agent knows it. */
    profile: name.optional(),
    pid: z.number().int().nonnegative().optional(),
  })
  .strict();

/** A pod IP lease: `ip` belonged to `pod` from `from` until `to` (open while the pod runs). */
export const leaseRecordSchema = z
  .object({
    type: z.literal('lease'),
    ip: z.string().ip(),
    pod: name,
    namespace: name,
    deployment: name.optional(),
    podUid: z.string().max(64).optional(),
    from: isoTime,
    to: isoTime.nullable().optional(),
  })
  .strict();

export const packageSchema = z
  .object({
    ecosystem: z.enum(['pypi', 'npm']),
    name: z.string().min(1).max(214),
    version: z.string().min(1).max(128),
    path: z.string().max(4096).optional(),
  })
  .strict();
export const modelFileSchema = z.object({ path: shortStr, size: fileSize, sha256: z.string().optional() }).strict();
export const mcpServerSchema = z
  .object({
    transport: z.enum(['stdio', 'remote']),
    name: z.string().min(1).max(512),
    command: z.array(z.string().max(4096)).max(256).optional(),
  })
  .strict();
export const promptFileSchema = z
  .object({ path: shortStr, sha256: z.string().regex(/^[0-9a-f]{64}$/), size: fileSize.optional() })
  .strict();

/** An MCP server process spawned (stdio transport) or connected to (remote), seen after startup. */
export const mcpSpawnRecordSchema = z
  .object({
    type: z.literal('mcp-spawn'),
    ...base,
    transport: z.enum(['stdio', 'remote']),
    name: z.string().min(1).max(512),
    command: z.array(z.string().max(4096)).max(256).optional(),
  })
  .strict();

/** What a container had at start: image, packages, model files, MCP servers spawned, prompt files. */
export const containerStartRecordSchema = z
  .object({
    type: z.literal('container-start'),
    time: isoTime,
    attribution: attributionSchema.default({}),
    /** Container image reference; absent in local mode (`warden agent watch`). */
    image: z.string().min(1).max(1024).optional(),
    digest: z
      .string()
      .regex(/^sha256:[0-9a-f]{64}$/)
      .optional(),
    /** The digest this Deployment ran before, when the agent saw one: a different digest is a deploy event. */
    previousDigest: z
      .string()
      .regex(/^sha256:[0-9a-f]{64}$/)
      .optional(),
    packages: z.array(packageSchema).max(20_000).default([]),
    models: z.array(modelFileSchema).max(1000).default([]),
    mcpServers: z.array(mcpServerSchema).max(256).default([]),
    prompts: z.array(promptFileSchema).max(1000).default([]),
  })
  .strict();

export const nodeAgentRecordSchema = z.discriminatedUnion('type', [
  execRecordSchema,
  openRecordSchema,
  connectRecordSchema,
  dnsRecordSchema,
  syscallsRecordSchema,
  leaseRecordSchema,
  containerStartRecordSchema,
  mcpSpawnRecordSchema,
  seccompRecordSchema,
]);
export type NodeAgentRecord = z.infer<typeof nodeAgentRecordSchema>;
/** The record as the agent writes it (defaults not yet applied). */
export type NodeAgentRecordInput = z.input<typeof nodeAgentRecordSchema>;
export type LeaseRecord = z.infer<typeof leaseRecordSchema>;
export type ContainerStartRecord = z.infer<typeof containerStartRecordSchema>;

/** The envelope; records are validated one by one so that one bad record does not lose the batch. */
export const nodeAgentEnvelopeSchema = z.object({
  schema: z.literal(NODE_AGENT_SCHEMA),
  agent: z
    .object({
      node: name,
      /** EKS cluster name; absent in local mode. */
      cluster: name.optional(),
      version: z.string().min(1).max(64),
    })
    .strict(),
  window: z.object({ start: isoTime, end: isoTime }).strict(),
  /** Events the agent (kernel ring buffer or its shipping queue) dropped, by reason. Never silent. */
  drops: z.record(z.string().min(1).max(64), z.number().int().nonnegative().max(NUMERIC_BOUNDS.count)).default({}),
  /** Index of the first record in the window, when the agent split the window into several batches. */
  offset: z.number().int().nonnegative().max(1_000_000).default(0),
  records: z.array(z.unknown()).max(1_000_000),
});

export interface NodeAgentBatch {
  schema: typeof NODE_AGENT_SCHEMA;
  agent: { node: string; cluster?: string; version: string };
  window: { start: string; end: string };
  drops: Record<string, number>;
  /** Index of the first record in the window when the window was split into several batches (default 0). */
  offset?: number;
  records: NodeAgentRecordInput[];
}

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

const MAX_EXCERPT = 2048;

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

function digest(parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}

function excerpt(text: string): string {
  return text.length > MAX_EXCERPT ? text.slice(0, MAX_EXCERPT) : text;
}

function zodDetail(err: z.ZodError): { reason: string; detail: string } {
  const issue = err.issues[0];
  const path = issue?.path.join('.') || 'record';
  const reason =
    issue?.code === 'invalid_union_discriminator'
      ? 'unknown-record-type'
      : issue?.code === 'too_big' && issue.type === 'number'
        ? `out-of-range:${path}`
        : `invalid-field:${path}`;
  return { reason, detail: `${path}: ${issue?.message ?? 'invalid'}` };
}

type Emit = (o: {
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
function mapRecord(rec: NodeAgentRecord, cluster: string | undefined, emit: Emit): void {
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

/**
 * Parses one node-agent batch (the whole JSON document is one record).
 * @example nodeAgentParser.parse({ text: JSON.stringify(batch) }, ctx).observations
 */
export function parseNodeAgentBatch(input: RecordInput, ctx: ParseContext): RecordResult {
  const observations: Observation[] = [];
  const rejects: Reject[] = [];
  const location = { file: ctx.file, line: input.line, record: input.record };
  const reject = (reason: string, detail: string, raw: string, record?: number) =>
    rejects.push({
      source: 'node-agent',
      reason,
      detail,
      location: record === undefined ? location : { ...location, record },
      excerpt: excerpt(raw),
    });

  let doc: unknown;
  try {
    doc = JSON.parse(input.text);
  } catch (err) {
    reject('invalid-json', err instanceof Error ? err.message : String(err), input.text);
    return { observations, rejects };
  }
  const env = nodeAgentEnvelopeSchema.safeParse(doc);
  if (!env.success) {
    const isOther =
      typeof doc === 'object' &&
      doc !== null &&
      'schema' in doc &&
      (doc as { schema: unknown }).schema !== NODE_AGENT_SCHEMA;
    const { reason, detail } = zodDetail(env.error);
    reject(isOther ? 'unsupported-schema' : reason, detail, input.text);
    return { observations, rejects };
  }
  const { agent, window, drops, records, offset } = env.data;
  const batchId = digest([agent.node, agent.cluster ?? '', window.start, window.end]);

  records.forEach((raw, index) => {
    const parsed = nodeAgentRecordSchema.safeParse(raw);
    if (!parsed.success) {
      const { reason, detail } = zodDetail(parsed.error);
      reject(reason, `records[${index}].${detail}`, boundedJson(raw), index);
      return;
    }
    const rec = parsed.data;
    const recTime = 'time' in rec && rec.time ? rec.time : window.start;
    const attribution = 'attribution' in rec ? rec.attribution : {};
    const defaultSubject = subjectOf(attribution, agent.cluster);
    // Position in the window (a batch split under the size limit carries its offset) and content: two agent pods
    // on one node, or two parts of one window, never share an id unless they carry the same record.
    const content = digest([String(offset + index), JSON.stringify(raw)]);
    mapRecord(rec, agent.cluster, (o) => {
      const key = o.key;
      const subject = o.subject ?? defaultSubject;
      observations.push({
        v: 1,
        // Stable for the same record of the same node and window, so replaying a batch is idempotent in the store.
        id: `na-${digest([batchId, subject, content, o.part ?? '', key])}`,
        time: normalizeTime(o.time ?? recTime) as string,
        source: 'node-agent',
        subject,
        layer: o.layer,
        kind: key.slice(0, key.indexOf(':')),
        key,
        count: o.count ?? 1,
        correlation: o.correlation ?? {},
        attrs: { ...o.attrs, node: agent.node },
      });
    });
  });

  // Drops are shipped as observations of the node so coverage can show what the kernel or the queue lost.
  for (const [reason, n] of Object.entries(drops)) {
    if (n <= 0) continue;
    const key = `drops:${reason}`;
    observations.push({
      v: 1,
      id: `na-${digest([batchId, 'drops', reason])}`,
      time: normalizeTime(window.start) as string,
      source: 'node-agent',
      subject: `unattributed:node:${agent.cluster ? `${agent.cluster}/` : ''}${agent.node}`,
      layer: 'kernel',
      kind: 'drops',
      key,
      count: n,
      correlation: {},
      attrs: { node: agent.node, windowEnd: window.end },
    });
  }
  return { observations, rejects };
}

/** The node-agent source parser (register in lib/core/sources/index.ts). */
export const nodeAgentParser: SourceParser = { source: 'node-agent', parse: parseNodeAgentBatch };

/** Pod IP leases carried by a batch, for the identity resolver (lib/core/identity). Invalid records are skipped. */
export function leasesFromBatch(doc: unknown): Array<LeaseRecord & { cluster?: string }> {
  const env = nodeAgentEnvelopeSchema.safeParse(doc);
  if (!env.success) return [];
  const out: Array<LeaseRecord & { cluster?: string }> = [];
  for (const raw of env.data.records) {
    const r = leaseRecordSchema.safeParse(raw);
    if (r.success) out.push({ ...r.data, cluster: env.data.agent.cluster });
  }
  return out;
}
