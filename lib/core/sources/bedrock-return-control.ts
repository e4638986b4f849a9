/**
 * RETURN_CONTROL records: an application that handles an agent's action groups itself logs, per exchange, the
 * InvokeAgent stream event `returnControl` (the calls handed back) or the next request's
 * `sessionState.returnControlInvocationResults` (the results it returned), with the session id, agent id and time
 * beside it (as for trace parts). Shapes follow the bedrock-agent-runtime API.
 */
import { z } from 'zod';
import { type AttrValue, keys } from '../observation.ts';
import { wrapperFields } from './bedrock-trace-schema.ts';
import { type ParamValue, paramValues, responseBodyText } from './bedrock-trace-values.ts';
import { boundedJson, isObject, str } from './util.ts';

const s = z.string().nullish();
const params = z
  .array(z.object({ name: s }).passthrough())
  .max(256)
  .nullish();

export const returnControlSchema = z
  .object({
    ...wrapperFields,
    sessionId: z.string().min(1),
    returnControl: z
      .object({
        invocationId: s,
        invocationInputs: z
          .array(
            z
              .object({
                functionInvocationInput: z
                  .object({ actionGroup: s, function: s, parameters: params })
                  .passthrough()
                  .nullish(),
                apiInvocationInput: z
                  .object({ actionGroup: s, apiPath: s, httpMethod: s, parameters: params, requestBody: z.unknown() })
                  .passthrough()
                  .nullish(),
              })
              .passthrough(),
          )
          .max(64),
      })
      .passthrough()
      .nullish(),
    sessionState: z
      .object({
        invocationId: s,
        returnControlInvocationResults: z
          .array(
            z
              .object({
                functionResult: z
                  .object({ actionGroup: s, function: s, responseBody: z.unknown() })
                  .passthrough()
                  .nullish(),
                apiResult: z
                  .object({ actionGroup: s, apiPath: s, httpMethod: s, responseBody: z.unknown() })
                  .passthrough()
                  .nullish(),
              })
              .passthrough(),
          )
          .max(64)
          .nullish(),
      })
      .passthrough()
      .nullish(),
  })
  .passthrough();
export type ReturnControlRecord = z.infer<typeof returnControlSchema>;

/**
 * A logged RETURN_CONTROL exchange: a session id and either the handed-back calls or the returned results (shape
 * checked by the schema, so a malformed one is rejected with its reason).
 */
export function isReturnControlRecord(v: Record<string, unknown>): boolean {
  if (str(v.sessionId) === undefined || 'trace' in v) return false;
  return isObject(v.returnControl) || (isObject(v.sessionState) && 'returnControlInvocationResults' in v.sessionState);
}

/** What the trace parser offers the RETURN_CONTROL reader (one trace part reader per record). */
export interface TraceEmitter {
  call(kind: string, key: string, traceId: undefined, attrs: Record<string, AttrValue>, ticketText: string): void;
  result(of: string, traceId: undefined, text: string, extra: Record<string, AttrValue>): void;
  skip(reason: string): void;
  args(params: ParamValue[]): Record<string, AttrValue>;
}

const fnOf = (x: { function?: string | null; apiPath?: string | null } | null | undefined) =>
  x?.function ?? x?.apiPath?.replace(/^\//, '');

/** Emits the handed-back calls (`executionType` RETURN_CONTROL) and the returned results of one record. */
export function emitReturnControl(rc: ReturnControlRecord, e: TraceEmitter): void {
  for (const inv of rc.returnControl?.invocationInputs ?? []) {
    const f = inv.functionInvocationInput;
    const a = inv.apiInvocationInput;
    const group = f?.actionGroup ?? a?.actionGroup;
    const fn = fnOf(f) ?? fnOf(a);
    if (!group || !fn) {
      e.skip('returnControl:unknown-input');
      continue;
    }
    const attrs: Record<string, AttrValue> = { invocationType: 'ACTION_GROUP', executionType: 'RETURN_CONTROL' };
    if (rc.returnControl?.invocationId) attrs.invocationId = rc.returnControl.invocationId;
    if (a?.httpMethod) attrs.verb = a.httpMethod;
    if (a?.apiPath) attrs.apiPath = a.apiPath;
    const params = paramValues(f?.parameters ?? a?.parameters, a?.requestBody);
    e.call('tool', keys.tool(group, fn), undefined, { ...attrs, ...e.args(params) }, boundedJson(params));
  }
  for (const r of rc.sessionState?.returnControlInvocationResults ?? []) {
    const f = r.functionResult;
    const a = r.apiResult;
    const group = f?.actionGroup ?? a?.actionGroup;
    const fn = fnOf(f) ?? fnOf(a);
    const text = responseBodyText(f?.responseBody ?? a?.responseBody);
    if (!group || !fn || text === undefined) {
      e.skip('returnControl:unknown-result');
      continue;
    }
    e.result(keys.tool(group, fn), undefined, text, { observationType: 'RETURN_CONTROL' });
  }
}
