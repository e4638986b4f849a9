/**
 * An audit entry as OCSF events for Security Lake: one event per timeline item, all sharing
 * `metadata.correlation_uid` = the audit id.
 * - cloud-api calls, model invocations and tool calls -> API Activity (6003); model and tool calls carry the
 *   `ai_model` / `ai_agent` objects of recent OCSF releases (model id, agent subject) so AI activity is queryable;
 * - egress flows and pod connects -> Network Activity (4001);
 * - kernel exec/open aggregates -> Process Activity (1007) / File System Activity (1001).
 * A rollout entry (one rollout transition) is one Entity Management (3004) event on the managed entity "enforcement
 * artifacts of class C": generate = Create, monitor / IAM review = Update, enforce = Enable, rollback = Disable,
 * the rest Other; `correlation_uid` = `rollout:<rolloutId>`, so a rollout's transitions group together.
 */
import {
  type AuditEntry,
  type CrossLayerAuditEntry,
  isRolloutEntry,
  type RolloutAuditEntry,
  type RolloutPhase,
  type TimelineEvent,
} from '../audit/types.ts';
import { OCSF_VERSION, type OcsfEvent, PRODUCT } from './types.ts';

function base(
  e: TimelineEvent,
  entry: CrossLayerAuditEntry,
  cls: {
    category_uid: number;
    category_name: string;
    class_uid: number;
    class_name: string;
    activity_id: number;
    activity_name: string;
  },
): OcsfEvent {
  return {
    ...cls,
    type_uid: cls.class_uid * 100 + cls.activity_id,
    type_name: `${cls.class_name}: ${cls.activity_name}`,
    severity_id: 1,
    severity: 'Informational',
    time: Date.parse(e.time),
    message: `${e.link}: ${e.key}${e.count > 1 ? ` x${e.count}` : ''}`,
    metadata: { version: OCSF_VERSION, product: PRODUCT, uid: e.ref, correlation_uid: entry.id },
    actor: {
      app_name: e.subject,
      ...(e.correlation.roleSession ? { session: { uid: String(e.correlation.roleSession) } } : {}),
    },
    count: e.count,
    unmapped: { key: e.key, link: e.link, correlation: e.correlation, attrs: e.attrs },
  };
}

function apiActivity(e: TimelineEvent, entry: CrossLayerAuditEntry): OcsfEvent {
  const m = /^api:([^:]+):([^:]+):(.*)$/.exec(e.key);
  const ev = base(e, entry, {
    category_uid: 6,
    category_name: 'Application Activity',
    class_uid: 6003,
    class_name: 'API Activity',
    activity_id: 99,
    activity_name: 'Other',
  });
  const operation = m ? m[2]! : e.key.slice(e.key.indexOf(':') + 1);
  ev.api = {
    operation,
    service: { name: m ? m[1] : 'bedrock' },
    ...(e.correlation.requestId ? { request: { uid: String(e.correlation.requestId) } } : {}),
  };
  if (m && m[3] !== '*') ev.resources = [{ uid: m[3] }];
  if (e.key.startsWith('model:')) ev.ai_model = { uid: e.key.slice(6), name: e.key.slice(6) };
  if (e.link === 'tool' || e.link === 'model') {
    ev.ai_agent = {
      uid: e.subject,
      ...(e.correlation.sessionId ? { instance_uid: String(e.correlation.sessionId) } : {}),
    };
  }
  if (e.attrs.errorCode) {
    ev.status_id = 2;
    ev.status = 'Failure';
  } else {
    ev.status_id = 1;
    ev.status = 'Success';
  }
  return ev;
}

function networkActivity(e: TimelineEvent, entry: CrossLayerAuditEntry): OcsfEvent {
  const ev = base(e, entry, {
    category_uid: 4,
    category_name: 'Network Activity',
    class_uid: 4001,
    class_name: 'Network Activity',
    activity_id: 6,
    activity_name: 'Traffic',
  });
  const m = /^net:egress:([^/]+)\/\d+:(\S+)$/.exec(e.key);
  if (m) ev.dst_endpoint = { ip: m[1], ...(m[2] !== '*' ? { port: Number(m[2]) } : {}) };
  if (e.correlation.podIp) ev.src_endpoint = { ip: String(e.correlation.podIp) };
  if (typeof e.attrs.bytes === 'number') ev.traffic = { bytes: e.attrs.bytes };
  return ev;
}

function kernelActivity(e: TimelineEvent, entry: CrossLayerAuditEntry): OcsfEvent {
  if (e.key.startsWith('exec:')) {
    const ev = base(e, entry, {
      category_uid: 1,
      category_name: 'System Activity',
      class_uid: 1007,
      class_name: 'Process Activity',
      activity_id: 1,
      activity_name: 'Launch',
    });
    ev.process = { file: { path: e.key.slice(5) } };
    return ev;
  }
  if (e.key.startsWith('open:')) {
    const ev = base(e, entry, {
      category_uid: 1,
      category_name: 'System Activity',
      class_uid: 1001,
      class_name: 'File System Activity',
      activity_id: 14,
      activity_name: 'Open',
    });
    ev.file = { path: e.key.slice(5) };
    return ev;
  }
  return base(e, entry, {
    category_uid: 1,
    category_name: 'System Activity',
    class_uid: 1007,
    class_name: 'Process Activity',
    activity_id: 99,
    activity_name: 'Other',
  });
}

const ENTITY_ACTIVITY: Record<RolloutPhase, [number, string]> = {
  plan: [99, 'Other'],
  generate: [1, 'Create'],
  monitor: [3, 'Update'],
  measure: [99, 'Other'],
  enforce: [8, 'Enable'],
  'iam-review': [3, 'Update'],
  rollback: [9, 'Disable'],
  finish: [99, 'Other'],
};

/** The Entity Management event of one rollout transition. */
export function rolloutTransitionToOcsf(entry: RolloutAuditEntry): OcsfEvent {
  const t = entry.transition;
  const [activity_id, activity_name] = ENTITY_ACTIVITY[t.phase];
  const failed = t.state === 'stopped';
  const notable = failed || t.decision === 'rollback';
  return {
    category_uid: 3,
    category_name: 'Identity & Access Management',
    class_uid: 3004,
    class_name: 'Entity Management',
    activity_id,
    activity_name,
    type_uid: 3004 * 100 + activity_id,
    type_name: `Entity Management: ${activity_name}`,
    severity_id: notable ? 3 : 1,
    severity: notable ? 'Medium' : 'Informational',
    status_id: failed ? 2 : 1,
    status: failed ? 'Failure' : 'Success',
    ...(t.error ? { status_detail: t.error } : {}),
    time: Date.parse(t.time),
    message: `rollout ${entry.input}${t.class ? ` class ${t.class}` : ''}: ${t.step} -> ${t.state}${t.decision ? ` (${t.decision})` : ''}`,
    metadata: { version: OCSF_VERSION, product: PRODUCT, uid: entry.id, correlation_uid: `rollout:${entry.input}` },
    actor: { app_name: 'warden-rollout' },
    entity: {
      uid: t.name,
      name: t.class ? `enforcement artifacts of class ${t.class}` : `rollout ${entry.input}`,
      type: 'Warden enforcement artifacts',
      data: {
        subjects: t.subjects,
        ...(t.artifacts ? { artifacts: t.artifacts } : {}),
        ...(t.applied ? { applied: t.applied } : {}),
        ...(t.restored ? { restored: t.restored } : {}),
      },
    },
    ...(t.pullRequest ? { resources: [{ uid: t.pullRequest.url, type: 'pull request' }] } : {}),
    unmapped: { rolloutId: entry.input, transition: t },
  };
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
