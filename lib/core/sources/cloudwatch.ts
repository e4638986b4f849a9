/**
 * CloudWatch Logs subscription payloads: `{"awslogs":{"data":"<base64 gzip>"}}` (Lambda subscription event) or
 * the decoded `{"messageType":"DATA_MESSAGE","logEvents":[...]}` (Firehose / S3 delivery). Decoding is bounded:
 * the decompressed payload may not exceed {@link MAX_DECODED_BYTES} (CloudWatch caps a payload at ~1 MB, so more is
 * a zip bomb or corruption). Never throws.
 */
import { gunzipSync } from 'node:zlib';
import { z } from 'zod';
import type { SourceName } from '../observation.ts';
import type { ParseContext, RecordInput, RecordResult } from './types.ts';
import { isObject, parseJson, reject } from './util.ts';

export const MAX_DECODED_BYTES = 16 * 1024 * 1024;

const logEventSchema = z.object({ id: z.string().optional(), timestamp: z.number().optional(), message: z.string() });
const payloadSchema = z.object({
  messageType: z.string(),
  owner: z.string().optional(),
  logGroup: z.string().optional(),
  logStream: z.string().optional(),
  subscriptionFilters: z.array(z.string()).optional(),
  logEvents: z.array(logEventSchema),
});
export type CloudWatchPayload = z.infer<typeof payloadSchema>;

export type DecodeResult = { ok: true; payload: CloudWatchPayload } | { ok: false; reason: string; detail: string };

export function isCloudWatchPayload(v: unknown): boolean {
  if (!isObject(v)) return false;
  if (isObject(v.awslogs) && 'data' in v.awslogs) return true;
  return typeof v.messageType === 'string' && 'logEvents' in v;
}

/** Decodes (base64, gunzip, JSON, schema) a subscription payload. */
export function decodeCloudWatchPayload(v: unknown): DecodeResult {
  if (!isObject(v)) return { ok: false, reason: 'not-an-object', detail: 'CloudWatch payload is not an object' };
  let decoded: unknown = v;
  if (isObject(v.awslogs)) {
    const data = v.awslogs.data;
    if (typeof data !== 'string') return { ok: false, reason: 'wrong-type:awslogs.data', detail: 'expected string' };
    if (!/^[A-Za-z0-9+/=\s]*$/.test(data) || data.length === 0)
      return { ok: false, reason: 'invalid-base64', detail: 'awslogs.data is not base64' };
    const bytes = Buffer.from(data, 'base64');
    let text: string;
    try {
      text = gunzipSync(bytes, { maxOutputLength: MAX_DECODED_BYTES }).toString('utf8');
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      const code = (e as { code?: string }).code;
      if (code === 'ERR_BUFFER_TOO_LARGE' || /larger than|too large/i.test(msg))
        return { ok: false, reason: 'payload-too-large', detail: `decompressed payload exceeds ${MAX_DECODED_BYTES}` };
      if (code === 'Z_BUF_ERROR' || /unexpected end/i.test(msg))
        return { ok: false, reason: 'truncated-gzip', detail: msg };
      return { ok: false, reason: 'invalid-gzip', detail: msg };
    }
    const p = parseJson(text);
    if (!p.ok) return { ok: false, reason: 'invalid-json', detail: `decoded awslogs.data: ${p.error}` };
    decoded = p.value;
  }
  const r = payloadSchema.safeParse(decoded);
  if (!r.success) {
    const issue = r.error.issues[0];
    const path = issue ? issue.path.join('.') : '';
    return { ok: false, reason: `invalid-cloudwatch-payload${path ? `:${path}` : ''}`, detail: issue?.message ?? '' };
  }
  return { ok: true, payload: r.data };
}

/**
 * Parses a subscription payload by handing each DATA_MESSAGE log event's message to `inner` as one record.
 * CONTROL_MESSAGE payloads (CloudWatch's reachability checks) are skipped and counted.
 */
export function parseCloudWatchRecord(
  source: SourceName,
  value: unknown,
  input: RecordInput,
  ctx: ParseContext,
  inner: (event: RecordInput, timestamp: number | undefined, logGroup: string | undefined) => RecordResult,
): RecordResult {
  const d = decodeCloudWatchPayload(value);
  if (!d.ok) return { observations: [], rejects: [reject(source, d.reason, d.detail, input, ctx.file)] };
  if (d.payload.messageType === 'CONTROL_MESSAGE')
    return { observations: [], rejects: [], skipped: { CONTROL_MESSAGE: 1 } };
  if (d.payload.messageType !== 'DATA_MESSAGE')
    return {
      observations: [],
      rejects: [reject(source, 'unknown-message-type', d.payload.messageType.slice(0, 64), input, ctx.file)],
    };
  const out: RecordResult = { observations: [], rejects: [] };
  for (const ev of d.payload.logEvents) {
    const sub: RecordInput = { text: ev.message };
    if (input.line !== undefined) sub.line = input.line;
    if (input.record !== undefined) sub.record = input.record;
    merge(out, inner(sub, ev.timestamp, d.payload.logGroup));
  }
  return out;
}

/** Appends one result to another (observations, rejects, skipped counts). */
export function merge(into: RecordResult, r: RecordResult): RecordResult {
  for (const o of r.observations) into.observations.push(o);
  for (const x of r.rejects) into.rejects.push(x);
  if (r.skipped) {
    into.skipped ??= {};
    for (const [k, n] of Object.entries(r.skipped)) into.skipped[k] = (into.skipped[k] ?? 0) + n;
  }
  return into;
}
