/**
 * Bedrock Agent traces: InvokeAgent `TracePart` objects ({agentId, agentAliasId, sessionId, agentVersion, trace,
 * callerChain, eventTime}) as an application or log pipeline records them, one per record, or wrapped as the
 * InvokeAgent stream event `{"trace": TracePart}`, or inside a CloudWatch Logs subscription payload. A logging
 * wrapper may add `timestamp` / `time`, `requestId` and `region`; they are used when present.
 *
 * Observations per trace part:
 * - orchestrationTrace.invocationInput: actionGroupInvocationInput -> `tool:<actionGroup>/<function or apiPath>`
 *   (layer tool, kind tool); knowledgeBaseLookupInput -> `kb:<id>` (tool); agentCollaboratorInvocationInput ->
 *   `agent:<alias arn or name>` (tool); codeInterpreterInvocationInput -> `tool:code-interpreter/execute`.
 *   Each carries attrs.seq, its 1-based position among the tool-layer calls of the session in this file (drift
 *   builds n-grams from it), and attrs.traceStep (the orchestration step suffix of the traceId).
 * - modelInvocationInput (orchestration, pre- and post-processing) -> `model:<foundationModel>` (layer application,
 *   attrs.phase `input`, prompt hash / redacted excerpt); modelInvocationOutput -> the same key with attrs.phase
 *   `output` and token usage, the model taken from the input part of the same traceId seen earlier in the file.
 *   So one model call inside an agent yields two observations; count calls with attrs.phase = input.
 * - guardrailTrace -> `guardrail:<guardrailId or *>:<INTERVENED|NONE>` (application). TracePart does not name the
 *   guardrail; a wrapper field `guardrailId` is used when present, else `*`.
 * - observation (final response, action group output, KB output), failureTrace, routingClassifierTrace,
 *   customOrchestrationTrace, rationale: no behavior key; counted in `skipped`.
 * Subject: ctx.identity.byBedrockAgent({agentId, agentAliasId, region}); region from the agent alias ARN in
 * callerChain / agentAliasArn, else the wrapper's region, else ctx.defaultRegion; else `unattributed:bedrock-agent/<id>`.
 */
import { z } from 'zod';
import type { BedrockAgentRef } from '../identity/types.ts';
import { type AttrValue, type Correlation, keys, type Layer, type Observation, subjectIds } from '../observation.ts';
import { isCloudWatchPayload, parseCloudWatchRecord } from './cloudwatch.ts';
import { contentAttrs, findTicket } from './redact.ts';
import type { FileParser, ParseContext, RecordInput, RecordResult, SourceParser } from './types.ts';
import {
  boundedJson,
  hashId,
  isObject,
  NUMERIC_BOUNDS,
  normalizeTime,
  num,
  obj,
  parseJson,
  reject,
  schemaReason,
  str,
  typeName,
} from './util.ts';

const s = z.string().nullish();
const tokenCount = z.number().int().min(0).max(NUMERIC_BOUNDS.tokens).nullish();
const modelIn = z.object({ traceId: s, text: s, type: s, foundationModel: s }).passthrough();
const modelOut = z
  .object({
    traceId: s,
    metadata: z
      .object({
        usage: z.object({ inputTokens: tokenCount, outputTokens: tokenCount }).passthrough().nullish(),
      })
      .passthrough()
      .nullish(),
  })
  .passthrough();
const invocationInput = z
  .object({
    traceId: s,
    invocationType: s,
    actionGroupInvocationInput: z
      .object({
        actionGroupName: s,
        function: s,
        apiPath: s,
        verb: s,
        executionType: s,
        invocationId: s,
        parameters: z.array(z.object({ name: s }).passthrough()).nullish(),
        requestBody: z.unknown().optional(),
      })
      .passthrough()
      .nullish(),
    knowledgeBaseLookupInput: z.object({ knowledgeBaseId: s, text: s }).passthrough().nullish(),
    agentCollaboratorInvocationInput: z
      .object({ agentCollaboratorName: s, agentCollaboratorAliasArn: s, input: z.unknown().optional() })
      .passthrough()
      .nullish(),
    codeInterpreterInvocationInput: z.object({ code: s }).passthrough().nullish(),
  })
  .passthrough();
const stepTrace = z
  .object({
    invocationInput: invocationInput.nullish(),
    modelInvocationInput: modelIn.nullish(),
    modelInvocationOutput: modelOut.nullish(),
    observation: z.object({ type: s }).passthrough().nullish(),
    rationale: z.object({}).passthrough().nullish(),
  })
  .passthrough();
const tracePartSchema = z
  .object({
    agentId: s,
    agentAliasId: s,
    agentVersion: s,
    agentName: s,
    collaboratorName: s,
    sessionId: s,
    agentAliasArn: s,
    eventTime: z.union([z.string(), z.number()]).nullish(),
    timestamp: z.union([z.string(), z.number()]).nullish(),
    time: z.union([z.string(), z.number()]).nullish(),
    requestId: s,
    region: s,
    guardrailId: s,
    callerChain: z.array(z.object({ agentAliasArn: s }).passthrough()).nullish(),
    trace: z
      .object({
        orchestrationTrace: stepTrace.nullish(),
        preProcessingTrace: stepTrace.nullish(),
        postProcessingTrace: stepTrace.nullish(),
        guardrailTrace: z.object({ action: s, traceId: s }).passthrough().nullish(),
        failureTrace: z.object({ traceId: s, failureReason: s }).passthrough().nullish(),
      })
      .passthrough(),
  })
  .passthrough();
type TracePart = z.infer<typeof tracePartSchema>;

/** Bounds the per-file state (sessions and trace ids remembered). */
const MAX_STATE = 50_000;

interface TraceState {
  seq: Map<string, number>;
  modelByTrace: Map<string, string>;
}

export const bedrockTraceParser: SourceParser = {
  source: 'bedrock-trace',
  parse(input, ctx) {
    return createBedrockTraceFileParser(ctx).parse(input);
  },
  parseValue: (value, input, ctx) => parseTraceValue(value, input, ctx, newState()),
  forFile: (ctx) => createBedrockTraceFileParser(ctx),
};

function newState(): TraceState {
  return { seq: new Map(), modelByTrace: new Map() };
}

export function createBedrockTraceFileParser(ctx: ParseContext): FileParser {
  const state = newState();
  return {
    parse(input) {
      const p = parseJson(input.text);
      if (!p.ok)
        return { observations: [], rejects: [reject('bedrock-trace', 'invalid-json', p.error, input, ctx.file)] };
      return parseTraceValue(p.value, input, ctx, state);
    },
  };
}

function parseTraceValue(value: unknown, input: RecordInput, ctx: ParseContext, state: TraceState): RecordResult {
  if (isCloudWatchPayload(value))
    return parseCloudWatchRecord('bedrock-trace', value, input, ctx, (ev, ts) => {
      const p = parseJson(ev.text);
      if (!p.ok) return { observations: [], rejects: [reject('bedrock-trace', 'invalid-json', p.error, ev, ctx.file)] };
      const v =
        isObject(p.value) && ts !== undefined && p.value.eventTime === undefined
          ? { ...p.value, timestamp: ts }
          : p.value;
      return parsePart(v, ev, ctx, state);
    });
  return parsePart(value, input, ctx, state);
}

function parsePart(value: unknown, input: RecordInput, ctx: ParseContext, state: TraceState): RecordResult {
  const fail = (reason: string, detail: string): RecordResult => ({
    observations: [],
    rejects: [reject('bedrock-trace', reason, detail, input, ctx.file)],
  });
  if (!isObject(value)) return fail('not-an-object', `expected a JSON object, got ${typeName(value)}`);
  // InvokeAgent stream event: {"trace": TracePart}
  let v: Record<string, unknown> = value;
  if (isObject(value.trace) && isObject(value.trace.trace) && !('orchestrationTrace' in value.trace)) {
    v = { ...value.trace, ...pick(value, ['timestamp', 'time', 'requestId', 'region', 'guardrailId']) };
  }
  const r = tracePartSchema.safeParse(v);
  if (!r.success) {
    const { reason, detail } = schemaReason(r.error.issues, v);
    return fail(reason, detail);
  }
  const part = r.data;
  if (!part.agentId && !part.sessionId)
    return fail('missing-field:agentId', 'trace part names neither agent nor session');
  const rawTime = part.eventTime ?? part.timestamp ?? part.time;
  if (rawTime === undefined || rawTime === null) return fail('missing-field:eventTime', 'trace part has no time');
  const time = normalizeTime(rawTime);
  if (!time) return fail('invalid-time:eventTime', String(rawTime).slice(0, 60));
  return new PartReader(part, time, input, ctx, state).read();
}

function pick(o: Record<string, unknown>, ks: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ks) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

class PartReader {
  private readonly out: RecordResult = { observations: [], rejects: [] };
  private readonly subject: string;
  private readonly baseCorrelation: Correlation = {};
  private readonly idBase: string;
  private readonly accountId: string | undefined;

  constructor(
    private readonly part: TracePart,
    private readonly time: string,
    input: RecordInput,
    private readonly ctx: ParseContext,
    private readonly state: TraceState,
  ) {
    this.idBase = hashId('bedrock-trace', input.text);
    const aliasArn = part.agentAliasArn ?? part.callerChain?.find((c) => c.agentAliasArn)?.agentAliasArn ?? undefined;
    const arn = aliasArn ? /^arn:[^:]+:bedrock:([^:]+):(\d{12}):/.exec(aliasArn) : null;
    const region = arn?.[1] ?? part.region ?? ctx.defaultRegion;
    // The account the agent lives in, for the ingest scope check (lib/core/trust).
    if (arn) this.accountId = arn[2];
    const ref: BedrockAgentRef = {};
    if (part.agentId) ref.agentId = part.agentId;
    if (part.agentAliasId) ref.agentAliasId = part.agentAliasId;
    if (region) ref.region = region;
    this.subject =
      (part.agentId ? ctx.identity.byBedrockAgent(ref, time) : undefined) ??
      subjectIds.unattributed(`bedrock-agent/${part.agentId ?? `session:${part.sessionId}`}`);
    if (part.sessionId) this.baseCorrelation.sessionId = part.sessionId;
    if (part.requestId) this.baseCorrelation.requestId = part.requestId;
  }

  read(): RecordResult {
    const t = this.part.trace;
    let known = false;
    for (const [step, tr] of [
      ['preProcessing', t.preProcessingTrace],
      ['orchestration', t.orchestrationTrace],
      ['postProcessing', t.postProcessingTrace],
    ] as const) {
      if (!tr) continue;
      known = true;
      if (tr.invocationInput) this.invocation(tr.invocationInput);
      if (tr.modelInvocationInput) this.modelInput(step, tr.modelInvocationInput);
      if (tr.modelInvocationOutput) this.modelOutput(step, tr.modelInvocationOutput);
      if (tr.observation) this.skip(`observation:${tr.observation.type ?? 'unknown'}`);
      if (tr.rationale) this.skip('rationale');
    }
    if (t.guardrailTrace) {
      known = true;
      const g = t.guardrailTrace;
      const action = g.action ?? 'NONE';
      this.emit('application', 'guardrail', `guardrail:${this.part.guardrailId ?? '*'}:${action}`, g.traceId, {
        action,
      });
    }
    if (t.failureTrace) {
      known = true;
      this.skip('failureTrace');
    }
    for (const k of ['routingClassifierTrace', 'customOrchestrationTrace'])
      if (isObject((t as Record<string, unknown>)[k])) {
        known = true;
        this.skip(k);
      }
    if (!known) this.skip('unknown-trace-type');
    return this.out;
  }

  private skip(reason: string): void {
    this.out.skipped ??= {};
    this.out.skipped[reason] = (this.out.skipped[reason] ?? 0) + 1;
  }

  private nextSeq(): number | undefined {
    const session = this.part.sessionId;
    if (!session) return undefined;
    const n = (this.state.seq.get(session) ?? 0) + 1;
    if (!this.state.seq.has(session) && this.state.seq.size >= MAX_STATE) this.state.seq.clear();
    this.state.seq.set(session, n);
    return n;
  }

  private invocation(ii: z.infer<typeof invocationInput>): void {
    const ag = ii.actionGroupInvocationInput;
    const kb = ii.knowledgeBaseLookupInput;
    const co = ii.agentCollaboratorInvocationInput;
    const ci = ii.codeInterpreterInvocationInput;
    const attrs: Record<string, AttrValue> = {};
    if (ii.invocationType) attrs.invocationType = ii.invocationType;
    let key: string | undefined;
    let kind = 'tool';
    let ticketText = '';
    if (ag?.actionGroupName && (ag.function || ag.apiPath)) {
      const fn = ag.function ?? ag.apiPath!.replace(/^\//, '');
      key = keys.tool(ag.actionGroupName, fn);
      if (ag.verb) attrs.verb = ag.verb;
      if (ag.apiPath) attrs.apiPath = ag.apiPath;
      if (ag.executionType) attrs.executionType = ag.executionType;
      if (ag.invocationId) attrs.invocationId = ag.invocationId;
      const names = (ag.parameters ?? []).map((p) => p.name).filter((n): n is string => typeof n === 'string');
      if (names.length) attrs.parameterNames = names;
      const params = ag.parameters ?? ag.requestBody;
      Object.assign(attrs, contentAttrs('parameters', params, this.ctx));
      ticketText = boundedJson(params ?? '');
    } else if (kb?.knowledgeBaseId) {
      key = keys.kb(kb.knowledgeBaseId);
      kind = 'kb';
      Object.assign(attrs, contentAttrs('query', kb.text, this.ctx));
      ticketText = kb.text ?? '';
    } else if (co && (co.agentCollaboratorAliasArn || co.agentCollaboratorName)) {
      key = keys.agent((co.agentCollaboratorAliasArn ?? co.agentCollaboratorName)!);
      kind = 'agent';
      if (co.agentCollaboratorName) attrs.collaboratorName = co.agentCollaboratorName;
      Object.assign(attrs, contentAttrs('input', co.input, this.ctx));
      ticketText = boundedJson(co.input ?? '');
    } else if (ci) {
      key = keys.tool('code-interpreter', 'execute');
      Object.assign(attrs, contentAttrs('code', ci.code, this.ctx));
    }
    if (!key) {
      this.skip(`invocationInput:${ii.invocationType ?? 'unknown'}`);
      return;
    }
    const seq = this.nextSeq();
    if (seq !== undefined) attrs.seq = seq;
    this.emit('tool', kind, key, ii.traceId, attrs, findTicket(ticketText));
  }

  private modelInput(step: string, mi: z.infer<typeof modelIn>): void {
    const model = mi.foundationModel ?? undefined;
    if (!model) {
      this.skip('modelInvocationInput:no-model');
      return;
    }
    if (mi.traceId) {
      if (this.state.modelByTrace.size >= MAX_STATE) this.state.modelByTrace.clear();
      this.state.modelByTrace.set(mi.traceId, model);
    }
    const attrs: Record<string, AttrValue> = { phase: 'input', step, ...contentAttrs('input', mi.text, this.ctx) };
    if (mi.type) attrs.promptType = mi.type;
    this.emit('application', 'model', keys.model(model), mi.traceId, attrs, findTicket(mi.text ?? ''));
  }

  private modelOutput(step: string, mo: z.infer<typeof modelOut>): void {
    const model = mo.traceId ? this.state.modelByTrace.get(mo.traceId) : undefined;
    if (!model) {
      this.skip('modelInvocationOutput:model-unknown');
      return;
    }
    const attrs: Record<string, AttrValue> = { phase: 'output', step };
    const u = mo.metadata?.usage;
    const inTok = num(u?.inputTokens);
    const outTok = num(u?.outputTokens);
    if (inTok !== undefined) attrs.inputTokens = inTok;
    if (outTok !== undefined) attrs.outputTokens = outTok;
    const raw = obj((mo as Record<string, unknown>).rawResponse);
    Object.assign(attrs, contentAttrs('output', str(raw?.content), this.ctx));
    this.emit('application', 'model', keys.model(model), mo.traceId, attrs);
  }

  private emit(
    layer: Layer,
    kind: string,
    key: string,
    traceId: string | null | undefined,
    attrs: Record<string, AttrValue>,
    ticket?: string,
  ): void {
    const correlation: Correlation = { ...this.baseCorrelation };
    if (traceId) {
      correlation.traceId = traceId;
      const step = /-(\d{1,9})$/.exec(traceId);
      if (step) attrs.traceStep = Number(step[1]);
    }
    if (ticket) correlation.ticket = ticket;
    if (this.part.agentId) attrs.agentId = this.part.agentId;
    if (this.part.agentAliasId) attrs.agentAliasId = this.part.agentAliasId;
    if (this.part.agentVersion) attrs.agentVersion = this.part.agentVersion;
    if (this.part.collaboratorName) attrs.collaboratorName ??= this.part.collaboratorName;
    if (this.accountId) attrs.accountId = this.accountId;
    const obs: Observation = {
      v: 1,
      id: `${this.idBase}:${this.out.observations.length}`,
      time: this.time,
      source: 'bedrock-trace',
      subject: this.subject,
      layer,
      kind,
      key,
      count: 1,
      correlation,
      attrs,
    };
    this.out.observations.push(obs);
  }
}
