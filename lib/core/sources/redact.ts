/**
 * Prompt-content handling shared by the Bedrock parsers: ticket-id extraction, redaction of personal data and
 * secrets, and the content policy (hash only / hash + redacted excerpt / raw).
 *
 * Ticket ids are normalized to `<PREFIX>-<digits>` upper case so the same ticket matches across sources:
 * `ticket #12345` -> `TICKET-12345`, `TICKET-123` -> `TICKET-123`, `ZD-12345` / `Zendesk #12345` -> `ZD-12345`,
 * `case 00012345` -> `CASE-00012345`, `SF-00012345` -> `SF-00012345`.
 */
import type { AttrValue } from '../observation.ts';
import type { ParseContext } from './types.ts';
import { boundedJson, deeperThan, sha256 } from './util.ts';

/** Upper bound for ctx.excerptChars. */
export const MAX_EXCERPT_CHARS = 4096;

const TICKET_PATTERNS: [RegExp, (m: RegExpExecArray) => string][] = [
  [/\b(ZD|SF|TICKET|CASE|INC|JIRA)-(\d{2,12})\b/i, (m) => `${m[1]!.toUpperCase()}-${m[2]}`],
  [/\bzendesk\s*(?:ticket\s*)?#\s*(\d{2,12})\b/i, (m) => `ZD-${m[1]}`],
  [/\bticket\s*(?:#|no\.?|number|id:?)\s*(\d{2,12})\b/i, (m) => `TICKET-${m[1]}`],
  [/\bcase\s*(?:#|no\.?|number)?\s*(\d{5,12})\b/i, (m) => `CASE-${m[1]}`],
];

/** The first ticket id in the text, normalized; undefined if none. */
export function findTicket(text: string): string | undefined {
  let best: { at: number; id: string } | undefined;
  for (const [re, norm] of TICKET_PATTERNS) {
    const m = re.exec(text);
    if (m && (!best || m.index < best.at)) best = { at: m.index, id: norm(m) };
  }
  return best?.id;
}

const REDACTIONS: [RegExp, string][] = [
  // AWS access key ids and secret-looking 40-char base64 tokens next to "secret".
  [/\b(AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[A-Z0-9]{16}\b/g, '[aws-key]'],
  [/(secret[^\s:=]*\s*[:=]\s*)[A-Za-z0-9/+=]{40}\b/gi, '$1[aws-secret]'],
  [/\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b/g, '[email]'],
  // Card numbers: 13-19 digits, optionally grouped by spaces or dashes.
  [/\b\d(?:[ -]?\d){12,18}\b/g, '[card]'],
  // Phone numbers: optional +country, 9-15 digits with common separators.
  [/(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)[\s.-]?\d{3,4}|\d{2,4}[\s.-]\d{3,4})[\s.-]\d{3,4}\b/g, '[phone]'],
];

/** Masks emails, phone numbers, card numbers and AWS keys. */
export function redact(text: string): string {
  let out = text;
  for (const [re, rep] of REDACTIONS) out = out.replace(re, rep);
  return out;
}

/** Collects the human text of a model request/response body (strings under text-like keys), bounded. */
export function bodyText(body: unknown, limit = 64 * 1024): string {
  const parts: string[] = [];
  let size = 0;
  const visit = (v: unknown, key: string, depth: number) => {
    if (size >= limit || depth > 12) return; // prompt text sits a few levels deep, far above the walk bound
    if (typeof v === 'string') {
      if (/^(text|prompt|inputText|content|system|outputText|completion|generation|query|input|body)$/i.test(key)) {
        parts.push(v);
        size += v.length;
      }
      return;
    }
    if (Array.isArray(v)) {
      for (const x of v) visit(x, key, depth + 1);
      return;
    }
    if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) visit(x, k, depth + 1);
  };
  visit(body, 'body', 0);
  return parts.join('\n').slice(0, limit);
}

/**
 * Attributes for one piece of content under the context's policy: `<prefix>Sha256` always (of the body as
 * serialized JSON, or the text), `<prefix>Excerpt` redacted and cut to ctx.excerptChars with hash-and-excerpt,
 * `<prefix>Text` (bounded to 16 KiB) only with `raw`.
 */
export function contentAttrs(prefix: string, body: unknown, ctx: ParseContext): Record<string, AttrValue> {
  if (body === undefined || body === null) return {};
  // A body nested deeper than MAX_WALK_DEPTH (a prompt-injected agent can shape its own tool input) is hashed with
  // its deep subtrees cut and flagged, never dropped: the invocation stays on record.
  const tooDeep = typeof body === 'object' && deeperThan(body);
  const serialized = typeof body === 'string' ? body : boundedJson(body);
  const out: Record<string, AttrValue> = { [`${prefix}Sha256`]: sha256(serialized) };
  if (tooDeep) out[`${prefix}TooDeep`] = true;
  const text = typeof body === 'string' ? body : bodyText(body);
  if (ctx.promptContent === 'hash-and-excerpt' && text) {
    // Redact a margin past the cut so an email or card number straddling it is masked whole, not half-kept.
    // Capped at MAX_EXCERPT_CHARS: the redaction patterns are superlinear on long runs of word characters.
    const n = Math.max(0, Math.min(ctx.excerptChars, MAX_EXCERPT_CHARS));
    out[`${prefix}Excerpt`] = redact(text.slice(0, n + 256)).slice(0, n);
  } else if (ctx.promptContent === 'raw' && text) out[`${prefix}Text`] = text.slice(0, 16 * 1024);
  return out;
}
