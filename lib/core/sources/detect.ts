/**
 * Source auto-detection from a record (or the first record of a file). Works on the parsed JSON value, so the
 * record is parsed once; text lines (VPC flow logs) are recognized by shape.
 *
 * Rules, first match wins:
 * - `schema: "warden.node-agent/v1"` at top level -> node-agent
 * - EventBridge `detail-type: "AWS API Call via CloudTrail"` (or any envelope whose detail is a CloudTrail record),
 *   or `eventSource` + `eventName` strings -> cloudtrail
 * - `schemaType: "ModelInvocationLog"` -> bedrock-invocation
 * - a Bedrock Agent TracePart (`trace` object with orchestrationTrace / preProcessingTrace / ... and agent ids), or
 *   an InvokeAgent stream event `{"trace": TracePart}`, or a logged RETURN_CONTROL exchange -> bedrock-trace
 * - CloudWatch Logs subscription payloads (`awslogs.data`, or decoded `messageType` + `logEvents`): by the first log
 *   event's message (see cloudwatch.ts); a payload with no DATA events -> the `hint` or bedrock-invocation
 * - a log-pipeline tag `p_log_type` of AWS.CloudTrail / AWS.VPCFlow / AWS.BedrockModelInvocation -> that source
 * - a VPC flow log line (a default order: v2, all fields of v3/v4/v5/v7/v8, Transit Gateway; or a header line naming
 *   flow-log fields), a JSON string holding one, or
 *   a JSON object with flow-log field names (srcaddr / srcAddr ...) -> vpc-flow
 * Anything else: undefined, with {@link unsupportedKind} naming well-known AWS formats Warden does not ingest.
 */
import type { SourceName } from '../observation.ts';
import { isReturnControlRecord } from './bedrock-return-control.ts';
import { decodeCloudWatchPayload, isCloudWatchPayload } from './cloudwatch.ts';
import { isObject, parseJson, str } from './util.ts';
import { isFlowHeader, isFlowJson } from './vpc-flow.ts';
import { isDefaultFlowLine, looksLikeFlowLine } from './vpc-flow-format.ts';

export const NODE_AGENT_SCHEMA_ID = 'warden.node-agent/v1';

const TRACE_KEYS = [
  'orchestrationTrace',
  'preProcessingTrace',
  'postProcessingTrace',
  'guardrailTrace',
  'failureTrace',
  'routingClassifierTrace',
  'customOrchestrationTrace',
];

/** Detects the source of one record given as text. */
export function detectSource(text: string): SourceName | undefined {
  const t = text.trimStart();
  if (t.startsWith('{') || t.startsWith('[') || t.startsWith('"')) {
    const p = parseJson(t);
    if (p.ok) return detectValue(p.value);
    return undefined;
  }
  return detectLine(t);
}

/** Detects the source of a text line (not JSON). */
export function detectLine(line: string): SourceName | undefined {
  if (isDefaultFlowLine(line) || isFlowHeader(line) || looksLikeFlowLine(line)) return 'vpc-flow';
  return undefined;
}

/** Detects the source of a parsed JSON record. */
export function detectValue(v: unknown, depth = 0): SourceName | undefined {
  if (typeof v === 'string') return detectLine(v.trim());
  if (!isObject(v)) return undefined;
  if (v.schema === NODE_AGENT_SCHEMA_ID) return 'node-agent';
  if (isCloudTrailRecord(v)) return 'cloudtrail';
  if (v['detail-type'] === 'AWS API Call via CloudTrail' && isObject(v.detail)) return 'cloudtrail';
  if (isObject(v.detail) && isCloudTrailRecord(v.detail)) return 'cloudtrail';
  if (v.schemaType === 'ModelInvocationLog') return 'bedrock-invocation';
  if (isTracePart(v) || isReturnControlRecord(v)) return 'bedrock-trace';
  if (isObject(v.trace) && isTracePart(v.trace)) return 'bedrock-trace';
  if (isCloudWatchPayload(v) && depth === 0) {
    const decoded = decodeCloudWatchPayload(v);
    if (!decoded.ok) return undefined;
    for (const ev of decoded.payload.logEvents) {
      const msg = ev.message.trim();
      const inner = msg.startsWith('{') ? parseJson(msg) : undefined;
      const s = inner ? (inner.ok ? detectValue(inner.value, depth + 1) : undefined) : detectLine(msg);
      if (s) return s;
    }
    return decoded.payload.messageType === 'CONTROL_MESSAGE' ? 'bedrock-invocation' : undefined;
  }
  const tagged = PIPELINE_TYPES[String(v.p_log_type)];
  if (tagged) return tagged;
  if (unsupportedKind(v)) return undefined;
  if (isFlowJson(v)) return 'vpc-flow';
  return undefined;
}

/** A CloudTrail record: eventSource and eventName (any key case, as data-lake exports lower-case columns). */
export function isCloudTrailRecord(v: Record<string, unknown>): boolean {
  if (typeof v.eventSource === 'string' && typeof v.eventName === 'string') return true;
  return typeof v.eventsource === 'string' && typeof v.eventname === 'string';
}

/** Log-pipeline type tags (Panther `p_log_type`) that name a Warden source. */
const PIPELINE_TYPES: Readonly<Record<string, SourceName>> = {
  'AWS.CloudTrail': 'cloudtrail',
  'AWS.VPCFlow': 'vpc-flow',
  'AWS.BedrockModelInvocation': 'bedrock-invocation',
};

export function isTracePart(v: Record<string, unknown>): boolean {
  if (!isObject(v.trace)) return false;
  const t = v.trace;
  return TRACE_KEYS.some((k) => isObject(t[k])) && (str(v.agentId) !== undefined || str(v.sessionId) !== undefined);
}

/**
 * Names well-known AWS log formats that Warden does not ingest, for a specific reject reason
 * (`unsupported-source:<kind>`), or undefined.
 */
export function unsupportedKind(v: unknown): string | undefined {
  if (typeof v === 'string') {
    if (/^[0-9a-f]{64} \S+ \[\d{2}\/\w{3}\/\d{4}:/.test(v)) return 's3-server-access-log';
    return undefined;
  }
  if (!isObject(v)) return undefined;
  const logType = str(v.p_log_type);
  if (logType === 'Amazon.EKS.Audit' || (v.kind === 'Event' && typeof v.verb === 'string') || 'objectRef' in v)
    return 'eks-audit';
  if (logType === 'AWS.GuardDuty' || (typeof v.schemaVersion === 'string' && isObject(v.service) && 'severity' in v))
    return 'guardduty';
  if (logType === 'AWS.VPCDns' || ('query_name' in v && 'query_type' in v)) return 'route53-resolver-query-log';
  if (logType === 'AWS.S3ServerAccess' || ('bucket' in v && ('remoteip' in v || 'operation' in v)))
    return 's3-server-access-log';
  if (logType && !(logType in PIPELINE_TYPES)) return logType;
  return undefined;
}
