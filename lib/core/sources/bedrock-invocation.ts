/**
 * Bedrock model invocation logs (schemaType `ModelInvocationLog`, schemaVersion `1.0`), as delivered to S3 (one JSON
 * object per line, gzip) or through a CloudWatch Logs subscription (`{"awslogs":{"data":...}}` or the decoded
 * `DATA_MESSAGE`; `CONTROL_MESSAGE` is skipped and counted). One observation per invocation: layer `application`,
 * kind `model`, key `model:<modelId as invoked>` (inference profile ids/ARNs kept whole; attrs.foundationModel holds
 * the foundation model when it can be derived from the id).
 *
 * Prompt and completion bodies are never kept raw unless ctx.promptContent is `raw`: attrs carry inputSha256 /
 * outputSha256 and, with `hash-and-excerpt`, a redacted excerpt (see redact.ts). A ticket id found in the prompt
 * text (before redaction) goes to correlation.ticket.
 */
import { z } from 'zod';
import type { BedrockAgentRef, PrincipalRef } from '../identity/types.ts';
import { type AttrValue, type Correlation, keys, type Observation, subjectIds } from '../observation.ts';
import { isCloudWatchPayload, parseCloudWatchRecord } from './cloudwatch.ts';
import { inferenceParams } from './inference-params.ts';
import { bodyText, contentAttrs, findTicket } from './redact.ts';
import type { ParseContext, RecordInput, RecordResult, SourceParser } from './types.ts';
import {
  boundedNum,
  hashId,
  isObject,
  NUMERIC_BOUNDS,
  type NumericCheck,
  normalizeTime,
  obj,
  parseJson,
  reject,
  schemaReason,
  typeName,
} from './util.ts';

const strOpt = z.string().nullish();
const tokenCount = z.number().int().min(0).max(NUMERIC_BOUNDS.tokens).nullish();
const logSchema = z
  .object({
    schemaType: z.literal('ModelInvocationLog'),
    schemaVersion: z.string(),
    timestamp: z.union([z.string(), z.number()]),
    modelId: z.string().min(1),
    requestId: strOpt,
    operation: strOpt,
    accountId: strOpt,
    region: strOpt,
    inferenceRegion: strOpt,
    errorCode: strOpt,
    identity: z.object({ arn: strOpt }).passthrough().nullish(),
    input: z
      .object({
        inputContentType: strOpt,
        inputBodyJson: z.unknown().optional(),
        inputBodyText: strOpt,
        inputBodyS3Path: strOpt,
        inputTokenCount: tokenCount,
      })
      .passthrough()
      .nullish(),
    output: z
      .object({
        outputContentType: strOpt,
        outputBodyJson: z.unknown().optional(),
        outputBodyText: strOpt,
        outputBodyS3Path: strOpt,
        outputTokenCount: tokenCount,
      })
      .passthrough()
      .nullish(),
  })
  .passthrough();
type InvocationLog = z.infer<typeof logSchema>;

export const SUPPORTED_SCHEMA_VERSIONS = new Set(['1.0']);

export const bedrockInvocationParser: SourceParser = {
  source: 'bedrock-invocation',
  parse(input, ctx) {
    const p = parseJson(input.text);
    if (!p.ok)
      return { observations: [], rejects: [reject('bedrock-invocation', 'invalid-json', p.error, input, ctx.file)] };
    return parseInvocationValue(p.value, input, ctx);
  },
  parseValue: (value, input, ctx) => parseInvocationValue(value, input, ctx),
};

export function parseInvocationValue(value: unknown, input: RecordInput, ctx: ParseContext): RecordResult {
  if (isCloudWatchPayload(value))
    return parseCloudWatchRecord('bedrock-invocation', value, input, ctx, (ev) => {
      const p = parseJson(ev.text);
      if (!p.ok)
        return { observations: [], rejects: [reject('bedrock-invocation', 'invalid-json', p.error, ev, ctx.file)] };
      return parseLog(p.value, ev, ctx);
    });
  return parseLog(value, input, ctx);
}

function parseLog(value: unknown, input: RecordInput, ctx: ParseContext): RecordResult {
  const fail = (reason: string, detail: string): RecordResult => ({
    observations: [],
    rejects: [reject('bedrock-invocation', reason, detail, input, ctx.file)],
  });
  if (!isObject(value)) return fail('not-an-object', `expected a JSON object, got ${typeName(value)}`);
  const r = logSchema.safeParse(value);
  if (!r.success) {
    const { reason, detail } = schemaReason(r.error.issues, value);
    if (reason === 'wrong-type:schemaType') return fail('not-a-model-invocation-log', detail);
    return fail(reason, detail);
  }
  const log = r.data;
  if (!SUPPORTED_SCHEMA_VERSIONS.has(log.schemaVersion))
    return fail('unsupported-schema-version', `schemaVersion ${log.schemaVersion.slice(0, 20)}`);
  const time = normalizeTime(log.timestamp);
  if (!time) return fail('invalid-time:timestamp', `unrecognized timestamp ${String(log.timestamp).slice(0, 60)}`);
  const inTokens = log.input?.inputTokenCount ?? usage(log.output?.outputBodyJson, 'input');
  const outTokens = log.output?.outputTokenCount ?? usage(log.output?.outputBodyJson, 'output');
  for (const t of [inTokens, outTokens]) if (typeof t === 'object' && t && !t.ok) return fail(t.reason, t.detail);
  const tokens = { input: tokenValue(inTokens), output: tokenValue(outTokens) };
  return { observations: [toObservation(log, time, tokens, input, ctx)], rejects: [] };
}

function tokenValue(t: number | NumericCheck | null | undefined): number | undefined {
  if (t === null || t === undefined) return undefined;
  return typeof t === 'number' ? t : t.ok ? t.value : undefined;
}

function toObservation(
  log: InvocationLog,
  time: string,
  tokens: { input?: number; output?: number },
  input: RecordInput,
  ctx: ParseContext,
): Observation {
  const arn = log.identity?.arn ?? undefined;
  const assumed = arn ? /^arn:([^:]+):sts::(\d+):assumed-role\/([^/]+)\/(.+)$/.exec(arn) : null;
  const roleArn = assumed ? `arn:${assumed[1]}:iam::${assumed[2]}:role/${assumed[3]}` : undefined;
  const region = log.region ?? undefined;

  const ref: PrincipalRef = {};
  if (arn) ref.arn = arn;
  if (roleArn) ref.roleArn = roleArn;
  if (assumed) ref.roleSessionName = assumed[4]!;
  let subject = arn ? ctx.identity.byPrincipal(ref, time) : undefined;
  if (!subject && roleArn) {
    const agentRef: BedrockAgentRef = { roleArn };
    if (region) agentRef.region = region;
    subject = ctx.identity.byBedrockAgent(agentRef, time);
  }
  subject ??= subjectIds.unattributed(arn ?? log.accountId ?? 'unknown');

  const inBody = log.input?.inputBodyJson ?? log.input?.inputBodyText ?? undefined;
  const outBody = log.output?.outputBodyJson ?? log.output?.outputBodyText ?? undefined;
  const correlation: Correlation = {};
  if (log.requestId) correlation.requestId = log.requestId;
  if (arn) correlation.principalArn = arn;
  if (assumed) correlation.roleSession = `${roleArn}/${assumed[4]}`;
  const promptText = typeof inBody === 'string' ? inBody : bodyText(inBody);
  const ticket = findTicket(promptText) ?? findTicket(typeof outBody === 'string' ? outBody : bodyText(outBody));
  if (ticket) correlation.ticket = ticket;

  const attrs: Record<string, AttrValue> = { modelId: log.modelId };
  const fm = foundationModelOf(log.modelId);
  if (fm) attrs.foundationModel = fm;
  if (log.operation) attrs.operation = log.operation;
  if (region) attrs.region = region;
  if (log.inferenceRegion) attrs.inferenceRegion = log.inferenceRegion;
  if (log.accountId) attrs.accountId = log.accountId;
  if (log.errorCode) attrs.errorCode = log.errorCode;
  if (tokens.input !== undefined) attrs.inputTokens = tokens.input;
  if (tokens.output !== undefined) attrs.outputTokens = tokens.output;
  if (log.input?.inputContentType) attrs.inputContentType = log.input.inputContentType;
  if (log.input?.inputBodyS3Path) attrs.inputBodyS3Path = log.input.inputBodyS3Path;
  if (log.output?.outputBodyS3Path) attrs.outputBodyS3Path = log.output.outputBodyS3Path;
  Object.assign(
    attrs,
    contentAttrs('input', inBody, ctx),
    contentAttrs('output', outBody, ctx),
    inferenceParams(inBody),
  );

  return {
    v: 1,
    id: log.requestId ? `bedrock-invocation:${log.requestId}` : hashId('bedrock-invocation', input.text),
    time,
    source: 'bedrock-invocation',
    subject,
    layer: 'application',
    kind: 'model',
    key: keys.model(log.modelId),
    count: 1,
    correlation,
    attrs,
  };
}

/** Token usage from a response body when the log's own counts are absent (Converse `usage`, Anthropic `usage`). */
function usage(body: unknown, which: 'input' | 'output'): NumericCheck | undefined {
  const u = obj(obj(body)?.usage);
  if (!u) return undefined;
  const field = u[`${which}Tokens`] !== undefined ? `${which}Tokens` : `${which}_tokens`;
  const r = boundedNum(u[field], `output.outputBodyJson.usage.${field}`, NUMERIC_BOUNDS.tokens);
  // A usage block of another shape (strings, nested objects) carries no count; only a number past the bound rejects.
  return r.ok || r.reason.startsWith('out-of-range') ? r : undefined;
}

/**
 * The foundation model behind a modelId when derivable: the id itself, the id in a foundation-model ARN, or a
 * system inference profile (id or ARN) with its geography prefix (`us.`, `eu.`, `apac.`, `global.` ...) removed.
 * Application inference profiles, provisioned and custom models are opaque: undefined.
 */
export function foundationModelOf(modelId: string): string | undefined {
  const arn = /^arn:[^:]+:bedrock:[^:]*:[^:]*:([^/]+)\/(.+)$/.exec(modelId);
  let id = modelId;
  if (arn) {
    if (arn[1] === 'foundation-model') return arn[2];
    if (arn[1] !== 'inference-profile') return undefined;
    id = arn[2]!;
  }
  const geo = /^(us|eu|apac|us-gov|global|jp|au|ca)\.(.+)$/.exec(id);
  if (geo) return geo[2];
  return /^[a-z0-9-]+\.[A-Za-z0-9.:_-]+$/.test(id) ? id : undefined;
}
