/**
 * IAM condition operators for the evaluator: String*, Numeric*, Date*, Bool, Binary, IpAddress, Arn*, Null,
 * with the `...IfExists` suffix and the `ForAnyValue:` / `ForAllValues:` set qualifiers.
 *
 * Semantics follow the IAM reference ("Condition operators"): several keys in one operator block and several
 * operators are ANDed; several values for one key are ORed; a negated operator (StringNotEquals, ArnNotLike ...)
 * is true when no value matches, and true when the key is absent; a positive operator on an absent key is false
 * unless `IfExists`. Keys compare case-insensitively.
 */

export type ContextValue = string | number | boolean | string[];
/** Request context: condition key (any case) -> value(s). */
export type RequestContext = Record<string, ContextValue>;

export type ConditionBlock = Record<string, Record<string, unknown>>;

export interface ConditionResult {
  matched: boolean;
  /** The first operator/key that failed, for explanations. */
  failed?: string;
  /** Operators Warden does not know: they never match (fail closed for Allow, and are reported). */
  unsupported?: string[];
}

function lookup(ctx: RequestContext, key: string): string[] | undefined {
  const lower = key.toLowerCase();
  for (const [k, v] of Object.entries(ctx)) {
    if (k.toLowerCase() === lower) return Array.isArray(v) ? v.map(String) : [String(v)];
  }
  return undefined;
}

/** Replaces `${aws:username}`-style policy variables from the context; `${*}`, `${?}`, `${$}` are literals. */
export function substituteVariables(value: string, ctx: RequestContext): string | undefined {
  let missing = false;
  const out = value.replace(/\$\{([^}]+)\}/g, (_m, name: string) => {
    if (name === '*' || name === '?' || name === '$') return `\uE000${name}`;
    const [key, dflt] = name.split(/,\s*/) as [string, string | undefined];
    const v = lookup(ctx, key.trim());
    if (v?.[0] !== undefined) return v[0];
    if (dflt !== undefined) return dflt.replace(/^'|'$/g, '');
    missing = true;
    return '';
  });
  return missing ? undefined : out;
}

export function likeMatch(pattern: string, value: string, ignoreCase: boolean): boolean {
  let src = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\uE000') {
      // an escaped literal from ${*} / ${?} / ${$}
      const lit = pattern[++i]!;
      src += lit.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    } else if (ch === '*') src += '.*';
    else if (ch === '?') src += '.';
    else src += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${src}$`, ignoreCase ? 'is' : 's').test(value);
}

function literal(s: string): string {
  return s.replace(/\uE000/g, '');
}

function parseIp(ip: string): { v: 4 | 6; n: bigint } | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) {
    const parts = ip.split('.').map(Number);
    if (parts.some((p) => p > 255)) return undefined;
    return { v: 4, n: parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n) };
  }
  if (ip.includes(':')) {
    const [head, tail] = ip.split('::') as [string, string | undefined];
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const fill = ip.includes('::') ? 8 - h.length - t.length : 0;
    const groups = [...h, ...Array(fill).fill('0'), ...t];
    if (groups.length !== 8 || groups.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return undefined;
    return { v: 6, n: groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n) };
  }
  return undefined;
}

/** True when `ip` falls in `cidr` (a bare address is a host route). */
export function ipInCidr(ip: string, cidr: string): boolean {
  const [base, lenText] = cidr.split('/') as [string, string | undefined];
  const a = parseIp(ip);
  const b = parseIp(base);
  if (!a || !b || a.v !== b.v) return false;
  const bits = a.v === 4 ? 32 : 128;
  const len = lenText === undefined ? bits : Number(lenText);
  if (!Number.isInteger(len) || len < 0 || len > bits) return false;
  const shift = BigInt(bits - len);
  return a.n >> shift === b.n >> shift;
}

function num(s: string): number | undefined {
  const n = Number(s);
  return s.trim() !== '' && Number.isFinite(n) ? n : undefined;
}

function date(s: string): number | undefined {
  // IAM accepts ISO 8601 dates or epoch seconds.
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

function arnParts(arn: string): string[] | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

function arnMatch(pattern: string, arn: string): boolean {
  const p = arnParts(pattern);
  const a = arnParts(arn);
  if (!p || !a) return false;
  return p.every((seg, i) => likeMatch(seg, a[i]!, false));
}

type Cmp = (policyValue: string, requestValue: string) => boolean;

/** Base operators (without IfExists / set qualifiers). `negated` ones are true when nothing matches. */
const OPERATORS: Record<string, { cmp: Cmp; negated: boolean }> = {
  stringequals: { cmp: (p, v) => literal(p) === v, negated: false },
  stringnotequals: { cmp: (p, v) => literal(p) === v, negated: true },
  stringequalsignorecase: { cmp: (p, v) => literal(p).toLowerCase() === v.toLowerCase(), negated: false },
  stringnotequalsignorecase: { cmp: (p, v) => literal(p).toLowerCase() === v.toLowerCase(), negated: true },
  stringlike: { cmp: (p, v) => likeMatch(p, v, false), negated: false },
  stringnotlike: { cmp: (p, v) => likeMatch(p, v, false), negated: true },
  numericequals: { cmp: (p, v) => num(p) !== undefined && num(p) === num(v), negated: false },
  numericnotequals: { cmp: (p, v) => num(p) !== undefined && num(p) === num(v), negated: true },
  numericlessthan: { cmp: (p, v) => cmpNum(v, p, (a, b) => a < b), negated: false },
  numericlessthanequals: { cmp: (p, v) => cmpNum(v, p, (a, b) => a <= b), negated: false },
  numericgreaterthan: { cmp: (p, v) => cmpNum(v, p, (a, b) => a > b), negated: false },
  numericgreaterthanequals: { cmp: (p, v) => cmpNum(v, p, (a, b) => a >= b), negated: false },
  dateequals: { cmp: (p, v) => cmpDate(v, p, (a, b) => a === b), negated: false },
  datenotequals: { cmp: (p, v) => cmpDate(v, p, (a, b) => a === b), negated: true },
  datelessthan: { cmp: (p, v) => cmpDate(v, p, (a, b) => a < b), negated: false },
  datelessthanequals: { cmp: (p, v) => cmpDate(v, p, (a, b) => a <= b), negated: false },
  dategreaterthan: { cmp: (p, v) => cmpDate(v, p, (a, b) => a > b), negated: false },
  dategreaterthanequals: { cmp: (p, v) => cmpDate(v, p, (a, b) => a >= b), negated: false },
  bool: { cmp: (p, v) => p.toLowerCase() === v.toLowerCase(), negated: false },
  binaryequals: { cmp: (p, v) => p === v, negated: false },
  ipaddress: { cmp: (p, v) => ipInCidr(v, p), negated: false },
  notipaddress: { cmp: (p, v) => ipInCidr(v, p), negated: true },
  arnequals: { cmp: (p, v) => arnMatch(p, v), negated: false },
  arnlike: { cmp: (p, v) => arnMatch(p, v), negated: false },
  arnnotequals: { cmp: (p, v) => arnMatch(p, v), negated: true },
  arnnotlike: { cmp: (p, v) => arnMatch(p, v), negated: true },
};

function cmpNum(v: string, p: string, f: (a: number, b: number) => boolean): boolean {
  const a = num(v);
  const b = num(p);
  return a !== undefined && b !== undefined && f(a, b);
}

function cmpDate(v: string, p: string, f: (a: number, b: number) => boolean): boolean {
  const a = date(v);
  const b = date(p);
  return a !== undefined && b !== undefined && f(a, b);
}

function policyValues(raw: unknown, ctx: RequestContext): string[] {
  const list = Array.isArray(raw) ? raw : [raw];
  const out: string[] = [];
  for (const v of list) {
    const s = substituteVariables(String(v), ctx);
    if (s !== undefined) out.push(s);
  }
  return out;
}

/** Evaluates one operator on one key. */
function evalOperator(operatorName: string, key: string, raw: unknown, ctx: RequestContext): boolean | 'unsupported' {
  let op = operatorName.toLowerCase();
  let set: 'any' | 'all' | undefined;
  if (op.startsWith('foranyvalue:')) {
    set = 'any';
    op = op.slice('foranyvalue:'.length);
  } else if (op.startsWith('forallvalues:')) {
    set = 'all';
    op = op.slice('forallvalues:'.length);
  }
  const requestValues = lookup(ctx, key);
  if (op === 'null') {
    const wantAbsent = String(Array.isArray(raw) ? raw[0] : raw).toLowerCase() === 'true';
    const absent = requestValues === undefined || requestValues.length === 0;
    return wantAbsent === absent;
  }
  let ifExists = false;
  if (op.endsWith('ifexists')) {
    ifExists = true;
    op = op.slice(0, -'ifexists'.length);
  }
  const def = OPERATORS[op];
  if (!def) return 'unsupported';
  const values = policyValues(raw, ctx);
  const absent = requestValues === undefined || requestValues.length === 0;
  if (set === 'all') {
    // ForAllValues: true for an absent or empty key (a well-known pitfall the docs warn about).
    if (absent) return true;
    return requestValues.every((rv) => {
      const hit = values.some((pv) => def.cmp(pv, rv));
      return def.negated ? !hit : hit;
    });
  }
  if (set === 'any') {
    if (absent) return false;
    return requestValues.some((rv) => {
      const hit = values.some((pv) => def.cmp(pv, rv));
      return def.negated ? !hit : hit;
    });
  }
  if (absent) return ifExists || def.negated;
  const hit = requestValues.some((rv) => values.some((pv) => def.cmp(pv, rv)));
  return def.negated ? !hit : hit;
}

/** Evaluates a statement's Condition block against the request context. */
export function evaluateConditions(block: ConditionBlock | undefined, ctx: RequestContext): ConditionResult {
  if (!block) return { matched: true };
  const unsupported: string[] = [];
  for (const [operator, keys] of Object.entries(block)) {
    for (const [key, raw] of Object.entries(keys)) {
      const r = evalOperator(operator, key, raw, ctx);
      if (r === 'unsupported') {
        unsupported.push(operator);
        return { matched: false, failed: `${operator}:${key}`, unsupported };
      }
      if (!r) return { matched: false, failed: `${operator}:${key}` };
    }
  }
  return { matched: true };
}
