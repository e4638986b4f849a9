/**
 * The normalized, versioned Observation: what every source parser produces and every capability consumes.
 *
 * Canonicalization rules for behavior keys (`key`), so that the same behavior from two sources or two pods
 * aggregates into one stored count:
 * - `exec:<path>`          absolute path, `//` and `/./` collapsed, `..` resolved; container paths as the container sees them.
 * - `open:<path>`          same path rules; per-process and per-version segments are generalized by the caller
 *                          (`/proc/<pid>/` -> `/proc/*` , `/tmp/<random>` -> `/tmp/*`), see {@link canonicalPath}.
 * - `syscall:<name>`       lower-case syscall name (x86_64 names; the number when unknown: `syscall:nr:451`).
 * - `seccomp:logged:<name>` a call a seccomp monitor profile (SCMP_ACT_LOG) logged: its enforce twin would deny it;
 *                          `seccomp:denied:<name>` a call a filter denied. Names as for `syscall:` (`seccomp:logged:nr:451`).
 * - `net:egress:<cidr>:<port>` / `net:ingress:<cidr>:<port>`  IPv4 /32 or IPv6 /128 unless the source already
 *                          aggregated; port is the service port; ephemeral client ports (>= 32768) are dropped (`*`).
 * - `dns:<name>`           lower-case, trailing dot removed.
 * - `api:<service>:<Action>:<resource>`  IAM-style service prefix (`s3`, `bedrock`), the IAM action name, and the
 *                          resource ARN with account and region kept; object keys generalized to `*` below the
 *                          bucket (`arn:aws:s3:::bucket/*`), `*` when the call names no resource.
 * - `model:<modelId>`      Bedrock modelId or inference profile ID/ARN as invoked; local weights as `model:file:<path>`.
 * - `tool:<actionGroup>/<function or apiPath>`  Bedrock action group tools, MCP tools as `tool:mcp:<server>/<tool>`.
 * - `kb:<knowledgeBaseId>`, `agent:<collaborator agent id or alias arn>`, `guardrail:<id>:<action>`.
 * - `pkg:<ecosystem>:<name>@<version>`, `mcp:<stdio|remote>:<name or url>`, `prompt:<path or id>` (attrs.sha256).
 */

export const OBSERVATION_VERSION = 1 as const;

export const LAYERS = ['kernel', 'network', 'application', 'tool', 'cloud-api'] as const;
export type Layer = (typeof LAYERS)[number];

export const SOURCES = ['cloudtrail', 'bedrock-invocation', 'bedrock-trace', 'vpc-flow', 'node-agent'] as const;
export type SourceName = (typeof SOURCES)[number];

/** Correlation identifiers that tie an observation to others across layers. */
export interface Correlation {
  requestId?: string;
  sessionId?: string;
  traceId?: string;
  podIp?: string;
  podName?: string;
  roleSession?: string;
  principalArn?: string;
  accessKeyId?: string;
  ticket?: string;
  eventId?: string;
  cgroupId?: string;
  containerId?: string;
  pid?: number;
  [k: string]: string | number | undefined;
}

export type AttrValue = string | number | boolean | null | string[] | number[];

export interface Observation {
  /** Schema version of this record. */
  v: typeof OBSERVATION_VERSION;
  /** Stable id derived from the source record (e.g. CloudTrail eventID, hash of a flow-log line); used for idempotency. */
  id: string;
  /** ISO-8601 UTC time of the behavior. */
  time: string;
  source: SourceName;
  /** Subject id: `k8s:<cluster>/<ns>/<deployment>`, `bedrock:<region>/<agentId>`, `local:<name>`, `unattributed:<x>`. */
  subject: string;
  layer: Layer;
  /** Behavior kind, the prefix of the key (`exec`, `open`, `syscall`, `net`, `dns`, `api`, `model`, `tool` ...). */
  kind: string;
  /** Canonical behavior key, see the module comment. */
  key: string;
  /** How many times the behavior happened in this record (>= 1). */
  count: number;
  correlation: Correlation;
  attrs: Record<string, AttrValue>;
}

/** A record a parser could not turn into observations, kept with its reason and location. */
export interface Reject {
  source: SourceName | 'unknown';
  /** Short machine-readable reason code, e.g. `invalid-json`, `missing-field:eventTime`, `truncated-gzip`. */
  reason: string;
  /** Human-readable one-line detail. */
  detail: string;
  /** Where it came from: file path / S3 key, and line or record index. */
  location: { file?: string; line?: number; record?: number };
  /** At most 2 KiB of the raw record, for triage. */
  excerpt: string;
}

export interface ParseResult {
  observations: Observation[];
  rejects: Reject[];
  /** Number of input records seen (parsed or rejected). */
  records: number;
}

/** Observations de-duplicated by id, first kept (a store may return an evidence row once per index it matched). */
export function uniqueById(observations: Observation[]): Observation[] {
  const seen = new Set<string>();
  return observations.filter((o) => (seen.has(o.id) ? false : (seen.add(o.id), true)));
}

// ---------------------------------------------------------------------------------------------------------------
// Subject ids

export const subjectIds = {
  k8s: (cluster: string, namespace: string, deployment: string) => `k8s:${cluster}/${namespace}/${deployment}`,
  bedrock: (region: string, agentId: string) => `bedrock:${region}/${agentId}`,
  local: (name: string) => `local:${name}`,
  unattributed: (principalOrIp: string) => `unattributed:${principalOrIp}`,
} as const;

export type SubjectKind = 'k8s' | 'bedrock' | 'local' | 'unattributed';

export interface ParsedSubject {
  kind: SubjectKind;
  /** k8s: cluster; bedrock: region. */
  scope?: string;
  namespace?: string;
  /** k8s: Deployment name; bedrock: agentId; local: name; unattributed: principal or ip. */
  name: string;
}

/** Parses a subject id; returns undefined for anything that is not one. */
export function parseSubject(id: string): ParsedSubject | undefined {
  const i = id.indexOf(':');
  if (i <= 0) return undefined;
  const kind = id.slice(0, i);
  const rest = id.slice(i + 1);
  if (!rest) return undefined;
  switch (kind) {
    case 'k8s': {
      const parts = rest.split('/');
      if (parts.length !== 3 || parts.some((p) => !p)) return undefined;
      return { kind, scope: parts[0], namespace: parts[1], name: parts[2]! };
    }
    case 'bedrock': {
      const parts = rest.split('/');
      if (parts.length !== 2 || parts.some((p) => !p)) return undefined;
      return { kind, scope: parts[0], name: parts[1]! };
    }
    case 'local':
    case 'unattributed':
      return { kind, name: rest };
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Canonical keys

/** Ports at or above this are treated as ephemeral client ports and dropped from keys. */
export const EPHEMERAL_PORT_MIN = 32768;

/** Normalizes an absolute path: collapses `//` and `/./`, resolves `..`, generalizes per-process segments. */
export function canonicalPath(path: string): string {
  const parts: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      parts.pop();
      continue;
    }
    parts.push(seg);
  }
  if (parts[0] === 'proc' && parts[1] && /^(\d+|self|thread-self)$/.test(parts[1])) parts[1] = '*';
  if (parts[0] === 'proc' && parts[2] === 'task' && parts[3] && /^\d+$/.test(parts[3])) parts[3] = '*';
  // Random temp names (mkstemp, tmp-xxxx, uuids) would make every run a new key.
  if ((parts[0] === 'tmp' || (parts[0] === 'var' && parts[1] === 'tmp')) && parts.length >= 2) {
    const last = parts.length - 1;
    if (/[0-9a-f]{6,}|^tmp|[A-Za-z0-9]{6}$/.test(parts[last]!)) parts[last] = '*';
  }
  return `/${parts.join('/')}`;
}

/** Port for a key: the service port, or `*` for an ephemeral client port or none. */
export function canonicalPort(port: number | undefined): string {
  if (port === undefined || !Number.isInteger(port) || port <= 0 || port >= EPHEMERAL_PORT_MIN) return '*';
  return String(port);
}

/** An IP as a host CIDR (`/32`, `/128`); an existing CIDR is returned with its prefix. */
export function hostCidr(ip: string): string {
  if (ip.includes('/')) return ip.toLowerCase();
  return ip.includes(':') ? `${ip.toLowerCase()}/128` : `${ip}/32`;
}

/** Generalizes an ARN for a key: S3 object keys become `bucket/*`; account and region are kept. */
export function canonicalArn(arn: string): string {
  if (!arn.includes(':s3:::')) return arn;
  const m = /^arn:([^:]+):s3:::([^/]+)\/.+$/.exec(arn);
  if (m) return `arn:${m[1]}:s3:::${m[2]}/*`;
  return arn;
}

export const keys = {
  exec: (path: string) => `exec:${canonicalPath(path)}`,
  open: (path: string) => `open:${canonicalPath(path)}`,
  syscall: (name: string) => `syscall:${name.toLowerCase()}`,
  egress: (ipOrCidr: string, port?: number) => `net:egress:${hostCidr(ipOrCidr)}:${canonicalPort(port)}`,
  ingress: (ipOrCidr: string, port?: number) => `net:ingress:${hostCidr(ipOrCidr)}:${canonicalPort(port)}`,
  dns: (name: string) => `dns:${name.toLowerCase().replace(/\.$/, '')}`,
  api: (service: string, action: string, resource?: string) =>
    `api:${service.toLowerCase()}:${action}:${resource ? canonicalArn(resource) : '*'}`,
  model: (modelId: string) => `model:${modelId}`,
  modelFile: (path: string) => `model:file:${canonicalPath(path)}`,
  tool: (group: string, fn: string) => `tool:${group}/${fn}`,
  mcpTool: (server: string, tool: string) => `tool:mcp:${server}/${tool}`,
  kb: (id: string) => `kb:${id}`,
  agent: (id: string) => `agent:${id}`,
  pkg: (ecosystem: string, name: string, version: string) => `pkg:${ecosystem}:${name}@${version}`,
  mcp: (transport: 'stdio' | 'remote', name: string) => `mcp:${transport}:${name}`,
  prompt: (pathOrId: string) => `prompt:${pathOrId}`,
} as const;

/** The kind of a key: its first segment (`net:egress:...` -> `net`). */
export function keyKind(key: string): string {
  const i = key.indexOf(':');
  return i < 0 ? key : key.slice(0, i);
}

/**
 * Kinds that are identity or telemetry health, not behaviour: pod IP leases (`lease:<ip>`, which pod held an IP
 * when: a new one with every pod) and the node agent's drop counters. Identity resolution and the audit trail use
 * them; baselines, convergence and tracks leave them out.
 */
export const NON_BEHAVIOR_KINDS: ReadonlySet<string> = new Set(['lease', 'drops']);

/** Whether a key describes what the agent did (see {@link NON_BEHAVIOR_KINDS}). */
export function isBehaviorKey(key: string): boolean {
  return !NON_BEHAVIOR_KINDS.has(keyKind(key));
}

// ---------------------------------------------------------------------------------------------------------------
// Aggregation windows

/** The aggregation window: one hour, so hour-of-week seasonality is available to baselines. */
export const WINDOW_MS = 3_600_000;

/** Start of the window (ISO, UTC) that contains `time`. */
export function windowStart(time: string | number | Date): string {
  const t = typeof time === 'number' ? time : new Date(time).getTime();
  return new Date(Math.floor(t / WINDOW_MS) * WINDOW_MS).toISOString();
}
