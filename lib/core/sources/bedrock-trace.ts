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
 *   attrs.phase `input`, prompt hash / redacted excerpt, inference parameters); modelInvocationOutput -> the same key with attrs.phase
 *   `output` and token usage, the model taken from the input part of the same traceId seen earlier in the file.
 *   So one model call inside an agent yields two observations; count calls with attrs.phase = input.
 * - guardrailTrace -> `guardrail:<guardrailId or *>:<INTERVENED|NONE>` (application). TracePart does not name the
 *   guardrail; a wrapper field `guardrailId` is used when present, else `*`.
 * - Tool call values (./bedrock-trace-values.ts): each invocation carries `attrs.args` (keyed hashes of its argument
 *   values and the tokens inside them), `attrs.argFlags` (sensitive classes) and, unless the content policy is
 *   hash-only, `attrs.argPreview`; the session's first model input carries `attrs.requestTokens` (the user's message).
 * - observation of an action group, knowledge base or collaborator (the tool result) -> `result:<group>/<function>`
 *   (`result:kb/<id>`, `result:agent/<name>`), layer tool, kind `result`, with `attrs.resultTokens`, `attrs.resultOf`
 *   (the call's key, by traceId or else the session's last call) and the output hash / excerpt under the policy.
 * - RETURN_CONTROL, as an application logs the InvokeAgent exchange (`sessionId` / `agentId` / time beside the
 *   stream event or request): `returnControl.invocationInputs[]` -> tool calls as above (`attrs.executionType`
 *   RETURN_CONTROL); `sessionState.returnControlInvocationResults[]` -> tool results as above.
 * - observation FINISH / ASK_USER / REPROMPT, failureTrace, routingClassifierTrace, customOrchestrationTrace, rationale:
 *   no behavior key; counted in `skipped`.
 * Subject: ctx.identity.byBedrockAgent({agentId, agentAliasId, region}); region from the agent alias ARN in
 * callerChain / agentAliasArn, else the wrapper's region, else ctx.defaultRegion; else `unattributed:bedrock-agent/<id>`.
 */
import type { z } from 'zod';
import type { BedrockAgentRef } from '../identity/types.ts';
import { type AttrValue, type Correlation, keys, type Layer, type Observation, subjectIds } from '../observation.ts';
import {
  emitReturnControl,
  isReturnControlRecord,
  type ReturnControlRecord,
  returnControlSchema,
} from './bedrock-return-control.ts';
import {
  type invocationInput,
  type modelIn,
  type modelOut,
  type TracePart,
  tracePartSchema,
} from './bedrock-trace-schema.ts';
import {
  argumentAttrs,
  normalizedRequest,
  observationText,
  type ParamValue,
  paramValues,
  requestAttrs,
  resultAttrs,
  resultKey,
} from './bedrock-trace-values.ts';
import { isCloudWatchPayload, parseCloudWatchRecord } from './cloudwatch.ts';
import { inferenceParams } from './inference-params.ts';
import { contentAttrs, findTicket } from './redact.ts';
import type { FileParser, ParseContext, RecordInput, RecordResult, SourceParser } from './types.ts';
import {
  boundedJson,
  hashId,
  isObject,
  normalizeTime,
  num,
  obj,
  parseJson,
  reject,
  schemaReason,
  str,
  typeName,
} from './util.ts';

/** Bounds the per-file state (sessions and trace ids remembered). */
const MAX_STATE = 50_000;
/** Request texts remembered per file (each up to 16 KiB). */
const MAX_REQUESTS = 2_000;

interface TraceState {
  seq: Map<string, number>;
  modelByTrace: Map<string, string>;
  /** traceId -> key of the call made in that step; session -> its last call (a result names neither). */
  callByTrace: Map<string, string>;
  lastCall: Map<string, string>;
  /**
   * Session -> its user request, normalized (the first model input's user message; later model inputs repeat the
   * conversation): an argument found verbatim in it came from the user. Bounded to the most recent sessions.
   */
  requested: Map<string, string>;
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
  return { seq: new Map(), modelByTrace: new Map(), callByTrace: new Map(), lastCall: new Map(), requested: new Map() };
}

/** Bounded set/map insert: the per-file state is cleared when it grows past MAX_STATE. */
function remember<K, V>(m: Map<K, V>, k: K, v: V): void {
  if (!m.has(k) && m.size >= MAX_STATE) m.clear();
  m.set(k, v);
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
  if (isReturnControlRecord(value)) return parseReturnControl(value, input, ctx, state, fail);
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

function parseReturnControl(
  value: Record<string, unknown>,
  input: RecordInput,
  ctx: ParseContext,
  state: TraceState,
  fail: (reason: string, detail: string) => RecordResult,
): RecordResult {
  const r = returnControlSchema.safeParse(value);
  if (!r.success) {
    const { reason, detail } = schemaReason(r.error.issues, value);
    return fail(reason, detail);
  }
  const rc = r.data;
  const rawTime = rc.eventTime ?? rc.timestamp ?? rc.time;
  if (rawTime === undefined || rawTime === null) return fail('missing-field:eventTime', 'record has no time');
  const time = normalizeTime(rawTime);
  if (!time) return fail('invalid-time:eventTime', String(rawTime).slice(0, 60));
  const part = { ...rc, trace: {} } as TracePart;
  return new PartReader(part, time, input, ctx, state).readReturnControl(rc);
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
      if (tr.observation) this.observation(tr.observation);
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

  skip(reason: string): void {
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
      Object.assign(attrs, argumentAttrs(paramValues(ag.parameters, ag.requestBody), this.ctx, this.request()));
      ticketText = boundedJson(params ?? '');
    } else if (kb?.knowledgeBaseId) {
      key = keys.kb(kb.knowledgeBaseId);
      kind = 'kb';
      Object.assign(attrs, contentAttrs('query', kb.text, this.ctx));
      Object.assign(attrs, argumentAttrs([{ name: 'query', value: kb.text }], this.ctx, this.request()));
      ticketText = kb.text ?? '';
    } else if (co && (co.agentCollaboratorAliasArn || co.agentCollaboratorName)) {
      key = keys.agent((co.agentCollaboratorAliasArn ?? co.agentCollaboratorName)!);
      kind = 'agent';
      if (co.agentCollaboratorName) attrs.collaboratorName = co.agentCollaboratorName;
      Object.assign(attrs, contentAttrs('input', co.input, this.ctx));
      Object.assign(attrs, argumentAttrs([{ name: 'input', value: co.input }], this.ctx, this.request()));
      ticketText = boundedJson(co.input ?? '');
    } else if (ci) {
      key = keys.tool('code-interpreter', 'execute');
      Object.assign(attrs, contentAttrs('code', ci.code, this.ctx));
      Object.assign(attrs, argumentAttrs([{ name: 'code', value: ci.code }], this.ctx, this.request()));
    }
    if (!key) {
      this.skip(`invocationInput:${ii.invocationType ?? 'unknown'}`);
      return;
    }
    this.call(kind, key, ii.traceId, attrs, ticketText);
  }

  /** The session's user request (normalized), when this file showed it. */
  private request(): string | undefined {
    return this.part.sessionId ? this.state.requested.get(this.part.sessionId) : undefined;
  }

  /** Emits one tool call and remembers it, so the result that follows can name it. */
  call(
    kind: string,
    key: string,
    traceId: string | null | undefined,
    attrs: Record<string, AttrValue>,
    ticketText: string,
  ): void {
    const seq = this.nextSeq();
    if (seq !== undefined) attrs.seq = seq;
    if (traceId) remember(this.state.callByTrace, traceId, key);
    if (this.part.sessionId) remember(this.state.lastCall, this.part.sessionId, key);
    this.emit('tool', kind, key, traceId, attrs, findTicket(ticketText));
  }

  /** A tool result (an observation of a tool, knowledge base or collaborator step). */
  private observation(o: Record<string, unknown> & { type?: string | null; traceId?: string | null }): void {
    const type = o.type ?? 'unknown';
    const text = observationText(type, o);
    if (text === undefined) {
      this.skip(`observation:${type}`);
      return;
    }
    const of =
      (o.traceId ? this.state.callByTrace.get(o.traceId) : undefined) ??
      (this.part.sessionId ? this.state.lastCall.get(this.part.sessionId) : undefined);
    this.result(of, o.traceId, text, { observationType: type });
  }

  /** Emits one tool result: `of` is the key of the call it answers. */
  result(
    of: string | undefined,
    traceId: string | null | undefined,
    text: string,
    extra: Record<string, AttrValue>,
  ): void {
    const attrs: Record<string, AttrValue> = {
      ...extra,
      ...resultAttrs(text, this.ctx),
      ...contentAttrs('output', text, this.ctx),
    };
    if (of) attrs.resultOf = of;
    this.emit('tool', 'result', of ? resultKey(of) : 'result:unknown', traceId, attrs);
  }

  /** RETURN_CONTROL: the calls the agent handed to the application, and the results the application returned. */
  readReturnControl(rc: ReturnControlRecord): RecordResult {
    emitReturnControl(rc, this);
    return this.out;
  }

  /** Argument attributes of a call of this session (./bedrock-trace-values.ts). */
  args(params: ParamValue[]): Record<string, AttrValue> {
    return { ...contentAttrs('parameters', params, this.ctx), ...argumentAttrs(params, this.ctx, this.request()) };
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
    const attrs: Record<string, AttrValue> = {
      phase: 'input',
      step,
      ...contentAttrs('input', mi.text, this.ctx),
      ...inferenceParams(mi),
    };
    if (mi.type) attrs.promptType = mi.type;
    const session = this.part.sessionId;
    if (mi.text && session && !this.state.requested.has(session)) {
      // Request texts are kept for the most recent sessions only (a session's calls follow its request closely).
      if (this.state.requested.size >= MAX_REQUESTS) this.state.requested.clear();
      this.state.requested.set(session, normalizedRequest(mi.text));
      Object.assign(attrs, requestAttrs(mi.text, this.ctx));
    }
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
