/**
 * Inference parameters of a Bedrock model call, as the model card of the inventory's ML-BOM reports them:
 * `temperature`, `topP`, `topK`, `maximumLength` (the output token cap; named as in Bedrock agent traces, so the
 * store's summing of `*tokens` attributes does not add caps up). Read from an agent trace's
 * `inferenceConfiguration`, a Converse request's `inferenceConfig`, an Anthropic / Meta / Mistral / Cohere request
 * body's `max_tokens` / `max_gen_len` / `top_p` / `top_k`, or Titan's `textGenerationConfig`. Only finite numbers in
 * plausible ranges are kept; anything else in the body is ignored.
 */
import type { AttrValue } from '../observation.ts';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const numIn = (v: unknown, lo: number, hi: number) =>
  typeof v === 'number' && Number.isFinite(v) && v >= lo && v <= hi ? v : undefined;

const FIELDS = [
  ['temperature', ['temperature'], 0, 10],
  ['topP', ['topP', 'top_p'], 0, 1],
  ['topK', ['topK', 'top_k'], 0, 1_000_000],
  ['maximumLength', ['maximumLength', 'maxTokens', 'max_tokens', 'max_gen_len', 'maxTokenCount'], 1, 10_000_000],
] as const;

/** The inference parameters found in `config` (an object holding them directly). */
function pick(config: Json): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, aliases, lo, hi] of FIELDS)
    for (const a of aliases) {
      const v = numIn(config[a], lo, hi);
      if (v !== undefined) {
        out[name] = v;
        break;
      }
    }
  return out;
}

/** Inference parameters of a request body or an agent trace's model input (empty when none are recorded). */
export function inferenceParams(body: unknown): Record<string, AttrValue> {
  if (!isObj(body)) return {};
  for (const nested of ['inferenceConfiguration', 'inferenceConfig', 'textGenerationConfig'])
    if (isObj(body[nested])) return pick(body[nested]);
  return pick(body);
}
