/**
 * The node-agent batch parser: one batch (lib/core/sources/node-agent-schema.ts) into Observations.
 *
 * Records are already aggregated by the agent (`count`); each carries an `attribution` (cgroup -> container -> pod ->
 * Deployment, or a local watch name) from which the subject is derived (node-agent-records.ts):
 * `k8s:<cluster>/<ns>/<deployment>`, `local:<name>`, else `unattributed:<cluster>/<ns/pod | container:id | cgroup:path>`.
 *
 * Validation is per record: one malformed record becomes a reject and the rest of the batch still yields
 * observations. Only a batch whose envelope is unusable is rejected as a whole.
 */
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import type { Observation, Reject } from '../observation.ts';
import { mapRecord, subjectOf } from './node-agent-records.ts';
import {
  type LeaseRecord,
  leaseRecordSchema,
  NODE_AGENT_SCHEMA,
  nodeAgentEnvelopeSchema,
  nodeAgentRecordSchema,
} from './node-agent-schema.ts';
import type { ParseContext, RecordInput, RecordResult, SourceParser } from './types.ts';
import { boundedJson, normalizeTime } from './util.ts';

// The source's public face: the agent, the demo and the artifact generators name the wire format from here.
export { isModelFile, subjectOf } from './node-agent-records.ts';
export {
  type Attribution,
  type ContainerStartRecord,
  NODE_AGENT_SCHEMA,
  type NodeAgentBatch,
  type NodeAgentRecordInput,
  SECCOMP_ACTIONS,
} from './node-agent-schema.ts';

const MAX_EXCERPT = 2048;

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
