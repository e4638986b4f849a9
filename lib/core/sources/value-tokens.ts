/**
 * Value tokens: what drift's argument provenance compares (a tool argument against the user's request, the tool
 * results the session received, and the agent's earlier arguments) without keeping the values themselves.
 *
 * A text is cut into typed tokens, each normalized and then keyed-hashed: `<kind>:<first 12 hex of
 * HMAC-SHA256(key, kind + ":" + normalized)>`. Equal values give equal tokens under one key, so matching works under
 * every prompt-content policy, `hash-only` included; without the key a token reveals nothing but its kind. Kinds:
 *
 * | kind | what                                   | normalized as                                  |
 * |------|----------------------------------------|------------------------------------------------|
 * | em   | e-mail address                          | lower case                                     |
 * | url  | URL (scheme://... or www....)           | host (no `www.`) + path, no query, lower case  |
 * | host | host name, alone or of a URL / address  | lower case, no `www.`                           |
 * | iban | IBAN-shaped account number              | upper case, no spaces                          |
 * | num  | digit run of 4+ (phone, account, id)    | digits only                                    |
 * | date | ISO date                                | YYYY-MM-DD                                     |
 * | id   | identifier mixing letters and digits    | lower case                                     |
 * | path | file path or dotfile                    | `./` and `//` collapsed                        |
 * | sec  | secret-shaped value (API key, token)    | as found                                       |
 * | val  | a whole short value (an argument, a JSON leaf) | trimmed, lower case, spaces collapsed    |
 * | w    | a word of 3+ letters (not a stop word)  | lower case                                     |
 *
 * Sensitive classes are decided here, where the value is still visible, and kept as labels (never the value):
 * `credential-file` (a path naming a well-known credential store), `env-dump` (a shell command printing the
 * environment), `secret-variable` (a shell reference to a variable named like a secret), `secret-value` (a
 * secret-shaped string). These are generic security knowledge (credential stores, environment dumps, token formats),
 * not tied to any agent or tool.
 */
import { createHash, type Hash } from 'node:crypto';
import { redact } from './redact.ts';

export const VALUE_TOKEN_KINDS = ['em', 'url', 'host', 'iban', 'num', 'date', 'id', 'path', 'sec', 'val', 'w'] as const;
export type ValueTokenKind = (typeof VALUE_TOKEN_KINDS)[number];

/** Kinds that name one thing (an address, an account, an object) rather than prose. */
export const ENTITY_KINDS: ReadonlySet<string> = new Set(['em', 'url', 'host', 'iban', 'num', 'id', 'path', 'sec']);

export const SENSITIVE_CLASSES = ['credential-file', 'env-dump', 'secret-variable', 'secret-value'] as const;
export type SensitiveClass = (typeof SENSITIVE_CLASSES)[number];

/** Key used when the deployment configured none (`WARDEN_TOKEN_KEY` unset): tokens are then plain, unkeyed hashes. */
export const UNKEYED_TOKEN_KEY = 'warden-unkeyed-token-key';

/** Only this much of one text is tokenized (bounds work on hostile records). */
export const MAX_TOKENIZED_CHARS = 16 * 1024;
/** Most tokens kept for one text (entities first, then whole values, then words). */
export const MAX_TOKENS = 320;

export interface RawToken {
  kind: ValueTokenKind;
  norm: string;
}

const STOP = new Set(
  "the and for you your with this that have has are was were will would can could please from into about what when where which who whom how than then them they their there here our ours out not but all any its it's his her she him our also just only very more most some such each other been being does did doing over under again once same own too off why via per".split(
    ' ',
  ),
);

const FILE_EXT =
  /\.(?:json|ya?ml|js|jsx|ts|tsx|mjs|cjs|md|txt|py|rb|go|rs|java|c|h|cpp|sh|env|toml|ini|cfg|conf|lock|csv|log|html?|css|xml|pdf|png|jpe?g|gif|svg|zip|gz|tar|key|pem|sql|db)$/i;

const EMAIL = /[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,24}/g;
const URL_RE = /\b(?:[a-z][a-z0-9+.-]{1,15}:\/\/|www\.)[^\s"'<>()[\]{}\\`]{1,400}/gi;
const HOST = /\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.){1,8}[a-z]{2,24}\b/gi;
const IBAN = /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b/g;
const DATE = /\b\d{4}-\d{2}-\d{2}\b/g;
const NUM = /\+?\d[\d ().-]{2,30}\d/g;
const WORDISH = /[A-Za-z0-9_][A-Za-z0-9_.-]{2,63}/g;
const PATH =
  /(?:~|\.{1,2})?(?:\/[\w.@+-]{1,128}){1,32}\/?|(?:[\w.@+-]{1,128}\/){1,32}[\w.@+-]{1,128}|(?<![\w/])\.[A-Za-z][\w.-]{0,63}/g;
const WORD = /\b[a-z][a-z'-]{2,40}\b/g;

const SECRET_PATTERNS: RegExp[] = [
  /\bsk-[A-Za-z0-9_-]{8,}/g,
  /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g,
  /\bgh[pousr]_[A-Za-z0-9]{20,}\b/g,
  /\bxox[abprs]-[A-Za-z0-9-]{10,}/g,
  /\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}/g,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/g,
  /\bBearer\s+[A-Za-z0-9._~+/-]{12,}=*/g,
  /\b(?:api[_-]?key|secret|token|passw(?:or)?d|pwd)["']?\s*[:=]\s*["']?[^\s"',;]{8,}/gi,
  /\b[a-z]+:\/\/[^\s:/@]+:[^\s:/@]+@/gi,
];

const CREDENTIAL_BASENAME =
  /^(?:\.env(?:\..+)?|id_(?:rsa|dsa|ecdsa|ed25519)|\.netrc|\.pgpass|\.git-credentials|credentials(?:\.json|\.ya?ml|\.csv)?|secrets?\.(?:ya?ml|json|env|toml|txt)|.+\.pem|.+\.p12|.+\.pfx|.+\.key|shadow|passwd|gshadow|sudoers|\.htpasswd|\.npmrc|\.pypirc|kubeconfig|\.dockercfg)$/i;
const CREDENTIAL_DIRS = /(?:^|\/)(?:\.ssh|\.aws|\.gnupg|\.kube|\.docker)(?:\/|$)|\/proc\/[^/]+\/environ\b/;
const SECRET_NAME = /(?:key|token|secret|passw|pwd|cred|auth)/i;

/** Tokens of one text, deduplicated and bounded (entities first). */
export function rawTokens(text: string, opts: { words?: boolean; whole?: boolean } = {}): RawToken[] {
  const t = text.length > MAX_TOKENIZED_CHARS ? text.slice(0, MAX_TOKENIZED_CHARS) : text;
  const out = new Map<string, RawToken>();
  const add = (kind: ValueTokenKind, norm: string) => {
    if (!norm || out.size >= MAX_TOKENS * 2) return;
    const k = `${kind}:${norm}`;
    if (!out.has(k)) out.set(k, { kind, norm });
  };
  for (const re of SECRET_PATTERNS) for (const m of t.matchAll(re)) add('sec', m[0]);
  const emailSpans: [number, number][] = [];
  for (const m of t.matchAll(EMAIL)) {
    const e = m[0].toLowerCase();
    add('em', e);
    add('host', e.slice(e.indexOf('@') + 1).replace(/^www\./, ''));
    emailSpans.push([m.index, m.index + m[0].length]);
  }
  const urlSpans: [number, number][] = [];
  for (const m of t.matchAll(URL_RE)) {
    const u = normalizeUrl(m[0]);
    if (!u) continue;
    add('url', u.url);
    add('host', u.host);
    urlSpans.push([m.index, m.index + m[0].length]);
  }
  const inSpan = (i: number, spans: [number, number][]) => spans.some(([a, b]) => i >= a && i < b);
  for (const m of t.matchAll(HOST)) {
    if (inSpan(m.index, emailSpans) || inSpan(m.index, urlSpans)) continue;
    const h = m[0].toLowerCase();
    if (FILE_EXT.test(h) || /^\d/.test(h.split('.').pop() ?? '')) continue;
    add('host', h.replace(/^www\./, ''));
  }
  for (const m of t.matchAll(IBAN)) add('iban', m[0].replace(/ /g, ''));
  const dates = new Set<number>();
  for (const m of t.matchAll(DATE)) {
    add('date', m[0]);
    for (let i = m.index; i < m.index + m[0].length; i++) dates.add(i);
  }
  for (const m of t.matchAll(NUM)) {
    if (dates.has(m.index) || inSpan(m.index, urlSpans) || inSpan(m.index, emailSpans)) continue;
    const digits = m[0].replace(/\D/g, '');
    if (digits.length >= 4 && digits.length <= 24) add('num', digits);
  }
  for (const m of t.matchAll(WORDISH)) {
    const w = m[0].replace(/[.-]+$/, '');
    if (
      w.length >= 4 &&
      /[A-Za-z]/.test(w) &&
      /\d/.test(w) &&
      !inSpan(m.index, emailSpans) &&
      !inSpan(m.index, urlSpans)
    )
      add('id', w.toLowerCase());
  }
  for (const m of t.matchAll(PATH)) {
    if (inSpan(m.index, urlSpans) || inSpan(m.index, emailSpans)) continue;
    const p = normalizePath(m[0]);
    if (p && (p.includes('/') || p.startsWith('.') || FILE_EXT.test(p))) add('path', p);
  }
  for (const m of t.matchAll(/\b[\w-]{1,64}\.[A-Za-z]{1,8}\b/g)) if (FILE_EXT.test(m[0])) add('path', m[0]);
  if (opts.whole) {
    const v = normalizeValue(t);
    if (v && v.length <= 256) add('val', v);
  }
  if (opts.words)
    for (const m of t.toLowerCase().matchAll(WORD)) if (!STOP.has(m[0])) add('w', m[0].replace(/'s$/, ''));
  return [...out.values()].slice(0, MAX_TOKENS);
}

/** Trimmed, lower-cased, whitespace collapsed. */
export function normalizeValue(v: string): string {
  return v.trim().toLowerCase().replace(/\s+/g, ' ');
}

function normalizeUrl(raw: string): { url: string; host: string } | undefined {
  const s = raw.replace(/[.,;:!?'"]+$/, '');
  const m = /^(?:[a-z][a-z0-9+.-]*:\/\/)?(?:[^@/\s]*@)?([^/?#:\s]+)(?::\d+)?([^?#\s]*)/i.exec(s);
  if (!m) return undefined;
  const host = m[1]!.toLowerCase().replace(/^www\./, '');
  if (!host.includes('.')) return undefined;
  // Case folded whole: a model that re-cases a URL it was given still used the URL it was given.
  const path = (m[2] ?? '').replace(/\/+$/, '').toLowerCase();
  return { url: `${host}${path}`, host };
}

function normalizePath(p: string): string {
  return p
    .replace(/\/{2,}/g, '/')
    .replace(/(^|\/)\.\//g, '$1')
    .replace(/[.,;:]+$/, '');
}

/** HMAC-SHA256 with the padded key states hashed once per key (a parse hashes thousands of tokens per key). */
class Hmac {
  private readonly inner: Hash;
  private readonly outer: Hash;
  constructor(key: string) {
    let k = Buffer.from(key, 'utf8');
    if (k.length > 64) k = createHash('sha256').update(k).digest();
    const pad = (byte: number) => Buffer.from(Array.from({ length: 64 }, (_, i) => (k[i] ?? 0) ^ byte));
    this.inner = createHash('sha256').update(pad(0x36));
    this.outer = createHash('sha256').update(pad(0x5c));
  }
  hex(message: string): string {
    const inner = this.inner.copy().update(message, 'utf8').digest();
    return this.outer.copy().update(inner).digest('hex');
  }
}

const MAX_CACHED = 20_000;
let cachedKey: string | undefined;
let hmac: Hmac | undefined;
const cache = new Map<string, string>();

/** The keyed hash of one token: `kind:hhhhhhhhhhhh` (first 48 bits of HMAC-SHA256(key, "kind:norm")). */
export function hashToken(key: string, kind: string, norm: string): string {
  if (key !== cachedKey || !hmac) {
    cachedKey = key;
    hmac = new Hmac(key);
    cache.clear();
  }
  const m = `${kind}:${norm}`;
  let t = cache.get(m);
  if (t === undefined) {
    t = `${kind}:${hmac.hex(m).slice(0, 12)}`;
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(m, t);
  }
  return t;
}

/** Hashed tokens of one text. */
export function textTokens(key: string, text: string, opts: { words?: boolean; whole?: boolean } = {}): string[] {
  return rawTokens(text, opts).map((t) => hashToken(key, t.kind, t.norm));
}

/** Sensitive classes of one argument value (see the module comment). */
export function sensitiveClasses(text: string): SensitiveClass[] {
  const t = text.length > MAX_TOKENIZED_CHARS ? text.slice(0, MAX_TOKENIZED_CHARS) : text;
  const out = new Set<SensitiveClass>();
  for (const m of t.matchAll(PATH)) {
    const p = normalizePath(m[0]);
    const base = p.split('/').filter(Boolean).pop() ?? p;
    if (CREDENTIAL_DIRS.test(p) || CREDENTIAL_BASENAME.test(base)) out.add('credential-file');
  }
  for (const seg of t.split(/\|\||&&|[|;&\n`]|\$\(/)) {
    const words = seg.trim().split(/\s+/);
    const cmd = (words[0] ?? '').replace(/^.*\//, '');
    if (cmd === 'printenv' || (cmd === 'env' && (words.length === 1 || /^-/.test(words[1] ?? '')))) out.add('env-dump');
    if ((cmd === 'export' || cmd === 'declare') && (words.length === 1 || /^-[px]+$/.test(words[1] ?? '')))
      out.add('env-dump');
  }
  for (const m of t.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]{1,63})\}?/g))
    if (SECRET_NAME.test(m[1]!)) out.add('secret-variable');
  for (const re of SECRET_PATTERNS) {
    re.lastIndex = 0;
    if (re.test(t)) out.add('secret-value');
  }
  return [...out];
}

/**
 * A short display form of a value for reasons a security engineer reads, under the content policy: nothing with
 * `hash-only`; with `hash-and-excerpt` a masked form (e-mail `op…@example.com`, URL host, last four of a number,
 * else a 24-character cut); with `raw` the value up to 120 characters.
 */
export function previewValue(value: string, policy: 'hash-only' | 'hash-and-excerpt' | 'raw'): string | undefined {
  const v = value.trim();
  if (!v || policy === 'hash-only') return undefined;
  if (policy === 'raw') return v.length > 120 ? `${v.slice(0, 119)}…` : v;
  const em = /^([^@\s]{1,64})@([^@\s]+)$/.exec(v);
  if (em) return `${em[1]!.slice(0, 2)}…@${em[2]!.toLowerCase()}`;
  const u = /^(?:[a-z][a-z0-9+.-]*:\/\/|www\.)/i.test(v) ? normalizeUrl(v) : undefined;
  if (u) return `${u.host}/…`;
  if (sensitiveClasses(v).includes('secret-value')) return '[secret]';
  if (/^[A-Z0-9 +().-]{6,}$/i.test(v) && /\d{4}/.test(v) && !/\s\S+\s/.test(v))
    return `…${v.replace(/\W/g, '').slice(-4)}`;
  const r = redact(v.slice(0, 64));
  return r.length > 24 ? `${r.slice(0, 23)}…` : r;
}
