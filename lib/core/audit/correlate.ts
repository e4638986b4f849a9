/**
 * Builds the audit entry of one triggering input by following correlation ids across layers:
 *   input (ticket / sessionId / requestId) -> model invocations and tool calls of the same session(s)
 *   -> AWS API calls by the agent's role session(s) in that interval -> VPC flow egress from the pod IPs those calls
 *   came from -> the pod's kernel events (node-agent connects; exec/open/syscall aggregates of the windows).
 * Pure: the caller fetches candidate evidence (see lib/app/audit) and passes it in.
 */
import type { AttrValue, Observation } from '../observation.ts';
import type { AggregateRow } from '../store/aggregate-row.ts';
import { auditIdFor } from './ids.ts';
import {
  AUDIT_SCHEMA,
  type CrossLayerAuditEntry,
  LINKS,
  type Link,
  type TimelineEvent,
  type TriggerType,
} from './types.ts';

/** Observations after the last session event still belong to it for this long (tool side effects, flow records). */
export const DEFAULT_GRACE_MS = 120_000;
/** Most timeline events kept per key; beyond that they are counted (the summary has the totals). */
export const MAX_EVENTS_PER_KEY = 25;
export const MAX_EVENTS = 300;

/** Attributes copied into the timeline (never raw prompt text: only what the parser kept under the policy). */
const KEPT_ATTRS = [
  'eventName',
  'operation',
  'modelId',
  'inputTokens',
  'outputTokens',
  'inputSha256',
  'inputExcerpt',
  'outputSha256',
  'outputExcerpt',
  'text',
  'textSha256',
  'sha256',
  'excerpt',
  'bytes',
  'packets',
  'action',
  'errorCode',
  'sourceIPAddress',
  'resource',
  'bytesTransferredIn',
  'agentId',
  'agentAliasId',
  'actionGroup',
  'function',
  'apiPath',
  'dport',
  'daddr',
];

export interface Trigger {
  input: string;
  inputType: TriggerType;
  subjects: string[];
  /** Span of the input's own observations (before the grace period). */
  from: string;
  to: string;
}

function matches(o: Observation, input: string): TriggerType | undefined {
  if (o.correlation.ticket === input) return 'ticket';
  if (o.correlation.sessionId === input) return 'session';
  if (o.correlation.requestId === input && (o.source === 'bedrock-invocation' || o.source === 'bedrock-trace'))
    return 'request';
  return undefined;
}

/** Finds the input among candidate observations: its type, subjects and span; undefined when nothing mentions it. */
export function findTrigger(input: string, candidates: Observation[]): Trigger | undefined {
  let type: TriggerType | undefined;
  const hits: Observation[] = [];
  for (const o of candidates) {
    const m = matches(o, input);
    if (!m) continue;
    hits.push(o);
    if (!type || m === 'ticket') type = m;
  }
  if (!type || hits.length === 0) return undefined;
  // The session ids of the hits widen the span to the whole session (a ticket may appear in one prompt only).
  const sessions = new Set(hits.map((o) => o.correlation.sessionId).filter((x): x is string => typeof x === 'string'));
  const all = candidates.filter(
    (o) => hits.includes(o) || (o.correlation.sessionId && sessions.has(String(o.correlation.sessionId))),
  );
  const times = all.map((o) => o.time).sort();
  return {
    input,
    inputType: type,
    subjects: [...new Set(all.map((o) => o.subject))].sort(),
    from: times[0]!,
    to: times[times.length - 1]!,
  };
}

function pick(attrs: Record<string, AttrValue>): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const k of KEPT_ATTRS) if (attrs[k] !== undefined) out[k] = attrs[k]!;
  return out;
}

function linkOf(o: Observation): Link {
  if (o.source === 'node-agent') return 'kernel';
  if (o.layer === 'cloud-api') return 'cloud-api';
  if (o.layer === 'network') return 'egress';
  if (o.kind === 'tool' || o.kind === 'kb' || o.kind === 'agent' || o.kind === 'result') return 'tool';
  return 'model';
}

function strs(values: Iterable<unknown>): string[] {
  return [...new Set([...values].filter((v): v is string => typeof v === 'string' && v.length > 0))].sort();
}

/**
 * Builds the entry. `evidence` must cover the trigger's subjects over [trigger.from, trigger.to + grace];
 * `kernel` the kernel-layer aggregates of those subjects in the same windows.
 */
export function buildAuditEntry(
  trigger: Trigger,
  evidence: Observation[],
  kernel: AggregateRow[],
  builtAt: string,
  graceMs = DEFAULT_GRACE_MS,
): CrossLayerAuditEntry {
  const subjects = new Set(trigger.subjects);
  const fromMs = Date.parse(trigger.from);
  const toMs = Date.parse(trigger.to) + graceMs;
  const inSpan = evidence.filter(
    (o) => subjects.has(o.subject) && Date.parse(o.time) >= fromMs && Date.parse(o.time) <= toMs,
  );
  const direct = inSpan.filter((o) => matches(o, trigger.input));
  const tickets = strs(direct.map((o) => o.correlation.ticket));
  const sessionIds = strs(direct.map((o) => o.correlation.sessionId));
  const session = inSpan.filter(
    (o) =>
      direct.includes(o) ||
      (o.correlation.sessionId !== undefined && sessionIds.includes(String(o.correlation.sessionId))) ||
      (o.correlation.ticket !== undefined && tickets.includes(String(o.correlation.ticket))),
  );
  const requestIds = strs(session.filter((o) => o.source !== 'cloudtrail').map((o) => o.correlation.requestId));
  // AWS API calls of the agent's subject in the interval: the pod's role sessions are not named by the session's
  // own records (those carry the agent service role), so the subject and the interval are the link; pod IPs then
  // narrow egress. Concurrent sessions of the same agent in the same interval are included too (documented).
  const sessionRoles = strs(session.map((o) => o.correlation.roleSession));
  const api = inSpan.filter((o) => o.layer === 'cloud-api' && o.attrs.deployEvent !== true && !session.includes(o));
  const roleSessions = strs([...sessionRoles, ...api.map((o) => o.correlation.roleSession)]);
  // Pod IPs: where the API calls came from, else the pods the session ran in.
  const podIps = strs([...api.map((o) => o.attrs.sourceIPAddress), ...session.map((o) => o.correlation.podIp)]).filter(
    (ip) => /^(10|172|192)\./.test(ip) || ip.includes(':'),
  );
  const leases = inSpan.filter((o) => o.key.startsWith('lease:'));
  const egress = inSpan.filter(
    (o) =>
      o.layer === 'network' &&
      o.source !== 'node-agent' &&
      !o.key.startsWith('lease:') &&
      (podIps.length === 0 || podIps.includes(String(o.correlation.podIp))),
  );
  const pods = strs([
    ...leases.filter((o) => podIps.includes(String(o.correlation.podIp))).map((o) => o.correlation.podName),
    ...session.map((o) => o.correlation.podName),
  ]);
  const kernelObs = inSpan.filter(
    (o) =>
      o.source === 'node-agent' &&
      !o.key.startsWith('lease:') &&
      (pods.length === 0 || pods.includes(String(o.correlation.podName))),
  );
  const chosen = [...new Set([...session, ...api, ...egress, ...kernelObs])];

  const counts = Object.fromEntries(LINKS.map((l) => [l, 0])) as Record<Link, number>;
  const perKey = new Map<string, number>();
  const events: TimelineEvent[] = [];
  let truncated = 0;
  const push = (e: TimelineEvent) => {
    counts[e.link] += e.count;
    const n = (perKey.get(e.key) ?? 0) + 1;
    perKey.set(e.key, n);
    if (n > MAX_EVENTS_PER_KEY || events.length >= MAX_EVENTS) {
      truncated++;
      return;
    }
    events.push(e);
  };
  chosen.sort((a, b) => a.time.localeCompare(b.time) || a.id.localeCompare(b.id));
  for (const o of chosen) {
    push({
      time: o.time,
      link: linkOf(o),
      layer: o.layer,
      source: o.source,
      key: o.key,
      count: o.count,
      ref: o.id,
      subject: o.subject,
      correlation: o.correlation,
      attrs: pick(o.attrs),
    });
  }
  const lo = new Date(Math.floor(fromMs / 3_600_000) * 3_600_000).toISOString();
  for (const r of kernel) {
    if (!subjects.has(r.subject) || r.layer !== 'kernel' || r.window < lo || Date.parse(r.window) > toMs) continue;
    push({
      time: r.firstSeen,
      link: 'kernel',
      layer: 'kernel',
      source: 'aggregate',
      key: r.key,
      count: r.count,
      ref: `agg:${r.subject}:${r.key}:${r.window}`,
      subject: r.subject,
      correlation: {},
      attrs: {},
    });
  }
  events.sort((a, b) => a.time.localeCompare(b.time) || a.ref.localeCompare(b.ref));
  const promptObs = direct.find((o) => o.attrs.inputSha256 !== undefined) ?? direct[0];
  const prompt: Record<string, AttrValue> = {};
  if (promptObs) {
    for (const k of ['inputSha256', 'inputExcerpt', 'input', 'modelId'])
      if (promptObs.attrs[k] !== undefined) prompt[k] = promptObs.attrs[k]!;
  }
  const times = events.map((e) => e.time);
  return {
    schema: AUDIT_SCHEMA,
    id: auditIdFor(trigger.input),
    input: trigger.input,
    inputType: trigger.inputType,
    subjects: [...subjects].sort(),
    from: times.length > 0 ? times[0]! : trigger.from,
    to: times.length > 0 ? times[times.length - 1]! : trigger.to,
    links: { tickets, sessionIds, requestIds, roleSessions, podIps, pods },
    prompt,
    timeline: events,
    counts,
    truncated,
    builtAt,
  };
}

/** Distinct triggering inputs in evidence: tickets first, then agent sessions without a ticket. */
export function triggeringInputs(evidence: Observation[]): string[] {
  const tickets = new Set<string>();
  const sessionsWithTicket = new Set<string>();
  const sessions = new Set<string>();
  for (const o of evidence) {
    const t = o.correlation.ticket;
    const s = o.correlation.sessionId;
    if (typeof t === 'string') {
      tickets.add(t);
      if (typeof s === 'string') sessionsWithTicket.add(s);
    } else if (typeof s === 'string') sessions.add(s);
  }
  return [...tickets, ...[...sessions].filter((s) => !sessionsWithTicket.has(s))].sort();
}
