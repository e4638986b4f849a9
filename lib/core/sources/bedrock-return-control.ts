/**
 * RETURN_CONTROL records: an application that handles an agent's action groups itself logs, per exchange, the
 * InvokeAgent stream event `returnControl` (the calls handed back) or the next request's
 * `sessionState.returnControlInvocationResults` (the results it returned), with the session id, agent id and time
 * beside it (as for trace parts). Shapes follow the bedrock-agent-runtime API.
 */
import { z } from 'zod';
import { isObject, str } from './util.ts';

const s = z.string().nullish();
const params = z
  .array(z.object({ name: s }).passthrough())
  .max(256)
  .nullish();

export const returnControlSchema = z
  .object({
    agentId: s,
    agentAliasId: s,
    agentVersion: s,
    sessionId: z.string().min(1),
    agentAliasArn: s,
    eventTime: z.union([z.string(), z.number()]).nullish(),
    timestamp: z.union([z.string(), z.number()]).nullish(),
    time: z.union([z.string(), z.number()]).nullish(),
    requestId: s,
    region: s,
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
