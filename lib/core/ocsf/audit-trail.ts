/**
 * An audit entry as OCSF events for Security Lake: one event per timeline item, all sharing
 * `metadata.correlation_uid` = the audit id.
 * - cloud-api calls, model invocations and tool calls -> API Activity (6003): `api.operation` is the operation
 *   (InvokeModel, the action group's function), the model or action group is the affected resource, the source is
 *   the caller's address when recorded, else the calling agent by name. The model and agent also go to
 *   `unmapped.ai` (OCSF's `ai_model` / `ai_agent` objects only exist from 1.8.0);
 * - egress flows and pod connects -> Network Activity (4001);
 * - kernel exec/open aggregates -> Process Activity (1007) / File System Activity (1001). An aggregate is one event
 *   with `count` = the executions/opens in its window from `start_time`; the process is identified by the
 *   aggregate's id (`process.uid`), since the window merges many pids; the device is the pod when the entry knows
 *   one, else the workload by name (device type Unknown).
 * A rollout entry (one rollout transition) is one Entity Management (3004) event on the managed entity "enforcement
 * artifacts of class C": generate = Create, monitor / IAM review = Update, enforce = Enable, rollback = Disable (the
 * state is in `entity_result`), the rest Other; `correlation_uid` = `rollout:<rolloutId>`, so a rollout's transitions group.
 */
import {
  type AuditEntry,
  type CrossLayerAuditEntry,
  isRolloutEntry,
  type RolloutAuditEntry,
  type RolloutPhase,
  type TimelineEvent,
} from '../audit/types.ts';
import { metadata, type OcsfEvent, withType } from './types.ts';

type Json = Record<string, unknown>;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const isIp = (s: string) => IPV4.test(s) || (s.includes(':') && /^[0-9a-fA-F:.]+$/.test(s));

function base(
  e: TimelineEvent,
  entry: CrossLayerAuditEntry,
  cls: { category_uid: number; category_name: string; class_uid: number; class_name: string },
  activity: [number, string],
): OcsfEvent {
  return withType(cls, activity, {
    severity_id: 1,
    severity: 'Informational',
    time: Date.parse(e.time),
    message: `${e.link}: ${e.key}${e.count > 1 ? ` x${e.count}` : ''}`,
    metadata: metadata(e.ref, entry.id),
    ...(e.count > 1 ? { count: e.count, start_time: Date.parse(e.time) } : {}),
    unmapped: { key: e.key, link: e.link, subject: e.subject, correlation: e.correlation, attrs: e.attrs },
  });
}

/** The caller: its recorded address (CloudTrail sourceIPAddress, the pod IP), else the agent by name. */
function sourceEndpoint(e: TimelineEvent): Json {
  const src = typeof e.attrs.sourceIPAddress === 'string' ? e.attrs.sourceIPAddress : undefined;
  if (src && isIp(src)) return { ip: src };
  if (e.correlation.podIp) return { ip: String(e.correlation.podIp), name: e.subject };
  // CloudTrail names an AWS service caller by host name (e.g. bedrock.amazonaws.com) instead of an address.
  if (src && src.includes('.')) return { hostname: src };
  return { name: e.subject };
}

function actor(e: TimelineEvent): Json {
  return {
    app_name: e.subject,
    ...(e.correlation.principalArn ? { user: { uid: String(e.correlation.principalArn) } } : {}),
    ...(e.correlation.roleSession ? { session: { uid: String(e.correlation.roleSession) } } : {}),
  };
}

const API = { category_uid: 6, category_name: 'Application Activity', class_uid: 6003, class_name: 'API Activity' };

/** CRUD activity of an AWS operation by its verb (OCSF API Activity defines only these four). */
function crud(operation: string): [number, string] {
  if (/^(Create|Put|Run|Start|Register|Attach|Add)/.test(operation)) return [1, 'Create'];
  if (/^(Get|List|Describe|Head|Lookup|Search|Scan|Query|BatchGet|Retrieve)/.test(operation)) return [2, 'Read'];
  if (/^(Update|Modify|Set|Tag|Untag|Change|Associate|Enable|Disable)/.test(operation)) return [3, 'Update'];
  if (/^(Delete|Remove|Detach|Terminate|Deregister|Stop)/.test(operation)) return [4, 'Delete'];
  return [99, operation];
}

function apiActivity(e: TimelineEvent, entry: CrossLayerAuditEntry): OcsfEvent {
  let operation: string;
  let service: string;
  let resources: Json[] = [];
  const ai: Json = {};
  const m = /^api:([^:]+):([^:]+):(.*)$/.exec(e.key);
  if (m) {
    [service, operation] = [m[1]!, m[2]!];
    if (m[3] !== '*') resources = [{ uid: m[3] }];
  } else if (e.key.startsWith('model:')) {
    const model = e.key.slice(6);
    operation = typeof e.attrs.operation === 'string' ? e.attrs.operation : 'InvokeModel';
    service = 'bedrock-runtime';
    resources = [{ uid: model, type: 'Bedrock model' }];
    ai.model = { uid: model };
  } else if (e.key.startsWith('tool:')) {
    const [group, fn] = e.key.slice(5).split(/\/(.*)/s);
    operation = fn || group!;
    service = 'bedrock-agent-runtime';
    resources = [{ name: group, type: 'Bedrock agent action group' }];
  } else if (e.key.startsWith('kb:')) {
    operation = 'Retrieve';
    service = 'bedrock-agent-runtime';
    resources = [{ uid: e.key.slice(3), type: 'Bedrock knowledge base' }];
  } else if (e.key.startsWith('agent:')) {
    operation = 'InvokeAgent';
    service = 'bedrock-agent-runtime';
    resources = [{ uid: e.key.slice(6), type: 'Bedrock agent' }];
  } else {
    operation = e.key.slice(e.key.indexOf(':') + 1) || e.key;
    service = e.source;
  }
  if (e.link === 'tool' || e.link === 'model')
    ai.agent = { uid: e.subject, ...(e.correlation.sessionId ? { session: String(e.correlation.sessionId) } : {}) };
  const ev = base(e, entry, API, e.link === 'cloud-api' ? crud(operation) : [99, operation]);
  ev.actor = actor(e);
  ev.api = {
    operation,
    service: { name: service },
    ...(e.correlation.requestId ? { request: { uid: String(e.correlation.requestId) } } : {}),
  };
  ev.src_endpoint = sourceEndpoint(e);
  if (resources.length) ev.resources = resources;
  const failed = Boolean(e.attrs.errorCode);
  Object.assign(ev, { status_id: failed ? 2 : 1, status: failed ? 'Failure' : 'Success' });
  if (failed) ev.status_code = String(e.attrs.errorCode);
  if (Object.keys(ai).length) (ev.unmapped as Json).ai = ai;
  return ev;
}

function networkActivity(e: TimelineEvent, entry: CrossLayerAuditEntry): OcsfEvent {
  const ev = base(
    e,
    entry,
    { category_uid: 4, category_name: 'Network Activity', class_uid: 4001, class_name: 'Network Activity' },
    [6, 'Traffic'],
  );
  // net:egress:<cidr>/<len>:<port>, or another net: key whose last two fields are the peer and port.
  const m = /^net:[a-z-]+:([^/\s]+)(?:\/\d+)?:(\S+)$/.exec(e.key);
  const peer = m?.[1];
  ev.dst_endpoint =
    peer && isIp(peer)
      ? { ip: peer, ...(m![2] !== '*' && /^\d+$/.test(m![2]!) ? { port: Number(m![2]) } : {}) }
      : { name: e.key.slice(4) };
  if (e.correlation.podIp) ev.src_endpoint = { ip: String(e.correlation.podIp), name: e.subject };
  if (typeof e.attrs.bytes === 'number' && Number.isSafeInteger(e.attrs.bytes)) ev.traffic = { bytes: e.attrs.bytes };
  return ev;
}

/** The host of a kernel aggregate: the entry's pod when it has exactly one, else the workload by name. */
function device(e: TimelineEvent, entry: CrossLayerAuditEntry): Json {
  const pods = entry.links?.pods ?? [];
  const ips = entry.links?.podIps ?? [];
  return {
    type_id: 0,
    type: 'Unknown',
    name: pods.length === 1 ? pods[0] : e.subject,
    ...(ips.length === 1 ? { ip: ips[0] } : {}),
  };
}

function fileOf(path: string): Json {
  return { name: path.split('/').pop() || path, path, type_id: 1, type: 'Regular File' };
}

function kernelActivity(e: TimelineEvent, entry: CrossLayerAuditEntry): OcsfEvent {
  const system = { category_uid: 1, category_name: 'System Activity' };
  const proc = { ...system, class_uid: 1007, class_name: 'Process Activity' };
  const ev = e.key.startsWith('open:')
    ? base(e, entry, { ...system, class_uid: 1001, class_name: 'File System Activity' }, [14, 'Open'])
    : base(e, entry, proc, e.key.startsWith('exec:') ? [1, 'Launch'] : [99, e.key.split(':')[0] || 'Other']);
  ev.actor = actor(e);
  ev.device = device(e, entry);
  if (e.key.startsWith('open:')) ev.file = fileOf(e.key.slice(5));
  else
    ev.process = {
      uid: e.ref,
      ...(typeof e.correlation.pid === 'number' ? { pid: e.correlation.pid } : {}),
      ...(e.key.startsWith('exec:') ? { file: fileOf(e.key.slice(5)), name: e.key.slice(5).split('/').pop() } : {}),
    };
  return ev;
}

const ENTITY_ACTIVITY: Record<RolloutPhase, [number, string]> = {
  plan: [99, 'Plan'],
  generate: [1, 'Create'],
  monitor: [3, 'Update'],
  measure: [99, 'Measure'],
  enforce: [8, 'Enable'],
  'iam-review': [3, 'Update'],
  rollback: [9, 'Disable'],
  finish: [99, 'Finish'],
};

/** The Entity Management event of one rollout transition. */
export function rolloutTransitionToOcsf(entry: RolloutAuditEntry): OcsfEvent {
  const t = entry.transition;
  const failed = t.state === 'stopped';
  const notable = failed || t.decision === 'rollback';
  const name = t.class ? `enforcement artifacts of class ${t.class}` : `rollout ${entry.input}`;
  return withType(
    {
      category_uid: 3,
      category_name: 'Identity & Access Management',
      class_uid: 3004,
      class_name: 'Entity Management',
    },
    ENTITY_ACTIVITY[t.phase],
    {
      severity_id: notable ? 3 : 1,
      severity: notable ? 'Medium' : 'Informational',
      status_id: failed ? 2 : 1,
      status: failed ? 'Failure' : 'Success',
      ...(t.error ? { status_detail: t.error } : {}),
      time: Date.parse(t.time),
      message: `rollout ${entry.input}${t.class ? ` class ${t.class}` : ''}: ${t.step} -> ${t.state}${t.decision ? ` (${t.decision})` : ''}`,
      metadata: metadata(entry.id, `rollout:${entry.input}`),
      actor: { app_name: 'warden-rollout' },
      entity: {
        uid: t.name,
        name,
        type: 'Warden enforcement artifacts',
        data: {
          subjects: t.subjects,
          ...(t.artifacts ? { artifacts: t.artifacts } : {}),
          ...(t.applied ? { applied: t.applied } : {}),
          ...(t.restored ? { restored: t.restored } : {}),
        },
      },
      entity_result: { uid: t.name, name, data: { state: t.state, ...(t.decision ? { decision: t.decision } : {}) } },
      ...(t.pullRequest ? { comment: `pull request ${t.pullRequest.url}` } : {}),
      unmapped: { rolloutId: entry.input, transition: t },
    },
  );
}

/** All OCSF events of an audit entry, in timeline order (a rollout entry: its one transition). */
export function auditEntryToOcsf(entry: AuditEntry): OcsfEvent[] {
  if (isRolloutEntry(entry)) return [rolloutTransitionToOcsf(entry)];
  return entry.timeline.map((e) => {
    if (e.key.startsWith('net:')) return networkActivity(e, entry);
    if (e.link === 'kernel' && !e.key.startsWith('api:')) return kernelActivity(e, entry);
    return apiActivity(e, entry);
  });
}
