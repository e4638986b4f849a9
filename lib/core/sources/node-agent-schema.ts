/**
 * The node-agent batch as it travels: the versioned JSON document the Warden node agent (and `warden agent watch`)
 * ships, one aggregation window of one node:
 * `{ schema: "warden.node-agent/v1", agent: {node, cluster, version}, window: {start, end}, drops: {reason: n},
 *    records: [...] }`, and the schema of each record type. The parser is lib/core/sources/node-agent.ts; the
 * observations each record becomes, node-agent-records.ts.
 */
import { z } from 'zod';
import { NUMERIC_BOUNDS, normalizeTime } from './util.ts';

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

/**
 * A kernel event of a type with no record of its own here: what a new tracer (node-agent/tracers/<kind>.ts) ships, so
 * a new event type needs no change to this parser. `kind` is the tracer's type; `key` the behavior it saw (one
 * distinct key per window, counted); the observation is `kernel:<kind>:<key>`, in the kernel layer.
 */
export const kernelEventRecordSchema = z
  .object({
    type: z.literal('kernel-event'),
    ...base,
    kind: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, 'a tracer type: lower-case letters, digits, _'),
    key: z.string().min(1).max(1024),
    attrs: z
      .record(
        z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,31}$/, 'an attribute name'),
        z.union([z.string().max(1024), z.number().finite(), z.boolean()]),
      )
      .refine((a) => Object.keys(a).length <= 16, 'at most 16 attributes')
      .optional(),
    pid: pid.optional(),
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
  kernelEventRecordSchema,
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
