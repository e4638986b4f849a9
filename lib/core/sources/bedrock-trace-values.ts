/**
 * The values of a Bedrock agent session as drift's argument provenance needs them (./value-tokens.ts): the tokens of
 * each tool argument, of each tool result and of the user's request, with sensitive classes and a policy-bound
 * preview. Attribute shapes (all bounded):
 *
 * - tool call `attrs.args`: `param=<kind>:<hash>` for the whole value of a short scalar argument, `param~<kind>:<hash>`
 *   for a token inside it (entities always; words only for short values; leaves of JSON-encoded values as `val`).
 * - tool call `attrs.argFlags`: `param:<sensitive class>`; `attrs.argPreview`: `param=<display>` (not with hash-only);
 *   `attrs.argsFromRequest`: parameters whose value (or every leaf of it) occurs verbatim in the session's user request
 *   (case and spacing aside): the user gave it, whatever a tool result also held.
 * - tool result `attrs.resultTokens`: `<kind>:<hash>`; `attrs.resultFlags`: sensitive classes found in the result.
 * - model input `attrs.requestTokens`: `<kind>:<hash>` of the first user message of the session.
 */
import type { AttrValue } from '../observation.ts';
import type { ParseContext } from './types.ts';
import { boundedJson, isObject, parseJson } from './util.ts';
import {
  hashToken,
  MAX_TOKENIZED_CHARS,
  normalizeValue,
  previewValue,
  type RawToken,
  rawTokens,
  sensitiveClasses,
  UNKEYED_TOKEN_KEY,
} from './value-tokens.ts';

/** Most entries of `attrs.args` on one call. */
export const MAX_ARG_ENTRIES = 240;
/** Arguments of more words than this are prose: only their entities (addresses, ids, secrets) are kept. */
export const SHORT_VALUE_WORDS = 12;
/** Leaves of a JSON value visited at most. */
const MAX_LEAVES = 400;

export interface ParamValue {
  name: string;
  value: unknown;
}

const keyOf = (ctx: ParseContext) => ctx.tokenKey ?? UNKEYED_TOKEN_KEY;

function paramName(n: string): string {
  return n.replace(/[=~:\s]/g, '_').slice(0, 64) || '_';
}

/** String and number leaves of a JSON value, depth- and count-bounded. */
export function jsonLeaves(v: unknown, out: string[] = [], depth = 0): string[] {
  if (out.length >= MAX_LEAVES || depth > 16) return out;
  if (typeof v === 'string') out.push(v.slice(0, MAX_TOKENIZED_CHARS));
  else if (typeof v === 'number' || typeof v === 'boolean') out.push(String(v));
  else if (Array.isArray(v)) for (const x of v) jsonLeaves(x, out, depth + 1);
  else if (isObject(v)) for (const x of Object.values(v)) jsonLeaves(x, out, depth + 1);
  return out;
}

/** A value as text, and its JSON leaves when it is (or encodes) a JSON object or array. */
function asText(value: unknown): { text: string; leaves?: string[] } {
  if (typeof value === 'string') {
    const t = value.trimStart();
    if (t.startsWith('{') || t.startsWith('[')) {
      const p = parseJson(value);
      if (p.ok && typeof p.value === 'object' && p.value !== null) return { text: value, leaves: jsonLeaves(p.value) };
    }
    return { text: value };
  }
  if (typeof value === 'object' && value !== null) return { text: boundedJson(value), leaves: jsonLeaves(value) };
  return { text: value === undefined || value === null ? '' : String(value) };
}

const wordCount = (s: string) => s.trim().split(/\s+/).filter(Boolean).length;

function tokensOfScalar(text: string): { whole?: RawToken; parts: RawToken[] } {
  const short = wordCount(text) <= SHORT_VALUE_WORDS;
  const toks = rawTokens(text, { words: short, whole: short });
  const whole = toks.find((t) => t.kind === 'val');
  return { ...(whole ? { whole } : {}), parts: toks.filter((t) => t.kind !== 'val') };
}

/**
 * Tokens of the leaves of a JSON value: the entities (and words) of all leaves at once, and each short leaf as a whole
 * value (`val`).
 */
function leafTokens(leaves: string[], words: boolean): RawToken[] {
  const out = rawTokens(leaves.join('\n'), { words });
  for (const leaf of leaves) {
    if (wordCount(leaf) > SHORT_VALUE_WORDS) continue;
    const v = normalizeValue(leaf);
    if (v && v.length <= 256) out.push({ kind: 'val', norm: v });
  }
  return out;
}

/** The user's request as argument values are looked up in it (see {@link argumentAttrs}). */
export function normalizedRequest(text: string): string {
  return normalizeValue(userRequestText(text).slice(0, MAX_TOKENIZED_CHARS));
}

function inRequest(text: string, leaves: string[] | undefined, request: string | undefined): boolean {
  if (!request) return false;
  const values = (leaves ?? [text]).map(normalizeValue).filter(Boolean);
  return values.length > 0 && values.every((v) => request.includes(v));
}

/**
 * Argument attributes of one tool call (see the module comment); `request` is the session's normalized user request
 * when the parser saw it.
 */
export function argumentAttrs(params: ParamValue[], ctx: ParseContext, request?: string): Record<string, AttrValue> {
  const key = keyOf(ctx);
  const args: string[] = [];
  const flags: string[] = [];
  const previews: string[] = [];
  const fromRequest: string[] = [];
  for (const p of params.slice(0, 64)) {
    const name = paramName(p.name);
    const { text, leaves } = asText(p.value);
    if (!text) continue;
    if (inRequest(text, leaves, request)) fromRequest.push(name);
    const push = (entry: string) => {
      if (args.length < MAX_ARG_ENTRIES && !args.includes(entry)) args.push(entry);
    };
    if (leaves) {
      for (const t of leafTokens(leaves, false)) push(`${name}~${hashToken(key, t.kind, t.norm)}`);
    } else {
      const { whole, parts } = tokensOfScalar(text);
      if (whole) push(`${name}=${hashToken(key, whole.kind, whole.norm)}`);
      for (const t of parts) push(`${name}~${hashToken(key, t.kind, t.norm)}`);
      const preview = previewValue(text, ctx.promptContent);
      if (preview !== undefined) previews.push(`${name}=${preview}`);
    }
    for (const c of sensitiveClasses(text)) flags.push(`${name}:${c}`);
  }
  const out: Record<string, AttrValue> = {};
  if (args.length) out.args = args;
  if (flags.length) out.argFlags = [...new Set(flags)];
  if (previews.length) out.argPreview = previews;
  if (fromRequest.length) out.argsFromRequest = fromRequest;
  return out;
}

/** Result attributes of one tool result text. */
export function resultAttrs(text: string, ctx: ParseContext): Record<string, AttrValue> {
  const key = keyOf(ctx);
  const { leaves } = asText(text);
  const seen = new Set<string>();
  const toks: RawToken[] = [];
  const add = (list: RawToken[]) => {
    for (const t of list) {
      const k = `${t.kind}:${t.norm}`;
      if (!seen.has(k)) {
        seen.add(k);
        toks.push(t);
      }
    }
  };
  add(leaves ? leafTokens(leaves, true) : rawTokens(text, { words: true }));
  // Entities before whole values before words, so the bound drops prose first.
  const rank = (t: RawToken) => (t.kind === 'w' ? 2 : t.kind === 'val' ? 1 : 0);
  toks.sort((a, b) => rank(a) - rank(b));
  const out: Record<string, AttrValue> = {
    resultTokens: toks.slice(0, 320).map((t) => hashToken(key, t.kind, t.norm)),
  };
  const flags = sensitiveClasses(text).filter((c) => c === 'secret-value');
  if (flags.length) out.resultFlags = flags;
  return out;
}

/**
 * The user's message in a model input text: the `user` / `inputText` field or the first user message of a JSON
 * prompt (Anthropic-style `messages`), else the text itself.
 */
export function userRequestText(text: string): string {
  const t = text.trimStart();
  if (t.startsWith('{')) {
    const p = parseJson(t);
    if (p.ok && isObject(p.value)) {
      const v = p.value;
      if (typeof v.user === 'string') return v.user;
      if (typeof v.inputText === 'string') return v.inputText;
      if (Array.isArray(v.messages)) {
        const first = v.messages.find((m) => isObject(m) && m.role === 'user');
        if (isObject(first)) {
          if (typeof first.content === 'string') return first.content;
          if (Array.isArray(first.content))
            return first.content
              .map((c) => (isObject(c) && typeof c.text === 'string' ? c.text : ''))
              .filter(Boolean)
              .join('\n');
        }
      }
    }
  }
  const q = /<question>([\s\S]{0,16384}?)<\/question>/.exec(text);
  return q ? q[1]! : text;
}

/** Request attributes of the session's first model input. */
export function requestAttrs(text: string, ctx: ParseContext): Record<string, AttrValue> {
  const key = keyOf(ctx);
  const toks = rawTokens(userRequestText(text), { words: true });
  return { requestTokens: toks.map((t) => hashToken(key, t.kind, t.norm)) };
}

/** Name/value pairs of an action group call: `parameters[]`, or the properties of an OpenAPI request body. */
export function paramValues(parameters: unknown, requestBody?: unknown): ParamValue[] {
  const out: ParamValue[] = [];
  const fromList = (list: unknown) => {
    if (!Array.isArray(list)) return;
    for (const p of list) if (isObject(p) && typeof p.name === 'string') out.push({ name: p.name, value: p.value });
  };
  fromList(parameters);
  const content = isObject(requestBody) && isObject(requestBody.content) ? requestBody.content : undefined;
  if (content) for (const media of Object.values(content)) if (isObject(media)) fromList(media.properties);
  return out;
}

/** The text of a tool-result observation (action group, knowledge base, collaborator), or undefined for others. */
export function observationText(type: string, o: Record<string, unknown>): string | undefined {
  const field = (v: unknown, k: string) => (isObject(v) ? v[k] : undefined);
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  if (type === 'ACTION_GROUP') return text(field(o.actionGroupInvocationOutput, 'text'));
  if (type === 'AGENT_COLLABORATOR') {
    const out = o.agentCollaboratorInvocationOutput;
    return text(field(field(out, 'output'), 'text')) ?? text(field(out, 'text'));
  }
  if (type === 'KNOWLEDGE_BASE') {
    const refs = field(o.knowledgeBaseLookupOutput, 'retrievedReferences');
    if (!Array.isArray(refs)) return undefined;
    return refs
      .slice(0, 50)
      .map((r) => text(field(field(r, 'content'), 'text')) ?? '')
      .join('\n');
  }
  return undefined;
}

/** The body of a RETURN_CONTROL result: `{TEXT: {body}}` or `{"application/json": {body}}`. */
export function responseBodyText(body: unknown): string | undefined {
  if (!isObject(body)) return undefined;
  for (const media of Object.values(body)) if (isObject(media) && typeof media.body === 'string') return media.body;
  return undefined;
}

/** Key of the result of a call: `tool:g/f` -> `result:g/f`, `kb:ID` -> `result:kb/ID`, `agent:x` -> `result:agent/x`. */
export function resultKey(callKey: string): string {
  const i = callKey.indexOf(':');
  const kind = callKey.slice(0, i);
  const rest = callKey.slice(i + 1);
  return kind === 'tool' ? `result:${rest}` : `result:${kind}/${rest}`;
}
