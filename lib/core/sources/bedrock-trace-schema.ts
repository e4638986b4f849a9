/**
 * Schemas of a Bedrock Agent InvokeAgent `TracePart` as the trace parser reads it (./bedrock-trace.ts): only the fields
 * it uses are typed, everything else passes through.
 */
import { z } from 'zod';
import { NUMERIC_BOUNDS } from './util.ts';

const s = z.string().nullish();
const when = z.union([z.string(), z.number()]).nullish();
const tokenCount = z.number().int().min(0).max(NUMERIC_BOUNDS.tokens).nullish();

/** The fields a logging wrapper or the stream event puts beside a trace part (also on RETURN_CONTROL records). */
export const wrapperFields = {
  agentId: s,
  agentAliasId: s,
  agentVersion: s,
  agentAliasArn: s,
  eventTime: when,
  timestamp: when,
  time: when,
  requestId: s,
  region: s,
};
export const modelIn = z.object({ traceId: s, text: s, type: s, foundationModel: s }).passthrough();
export const modelOut = z
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
export const invocationInput = z
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
export const stepTrace = z
  .object({
    invocationInput: invocationInput.nullish(),
    modelInvocationInput: modelIn.nullish(),
    modelInvocationOutput: modelOut.nullish(),
    observation: z.object({ type: s, traceId: s }).passthrough().nullish(),
    rationale: z.object({}).passthrough().nullish(),
  })
  .passthrough();
export const tracePartSchema = z
  .object({
    ...wrapperFields,
    agentName: s,
    collaboratorName: s,
    sessionId: s,
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
export type TracePart = z.infer<typeof tracePartSchema>;
