/**
 * A session as the judgement reads it: its calls in order, the values each argument carried and where each came from
 * (the user's request, an earlier tool result, or neither), the sensitive arguments, the other keys it used; and
 * its serializable {@link SessionSummary}. Values are the keyed tokens the Bedrock trace parser left in
 * `attrs.args` / `attrs.resultTokens` / `attrs.requestTokens` (lib/core/sources/bedrock-trace-values.ts).
 */
import type { Observation } from '../../observation.ts';
import { ENTITY_KINDS } from '../../sources/value-tokens.ts';
import type { Session } from '../sequences.ts';
import type { ArgUse, SensitiveUse, SessionSummary } from './types.ts';

export interface CallView {
  key: string;
  time: number;
  index: number;
  observation: Observation;
}

export interface ResultView {
  of?: string;
  time: number;
  index: number;
  tokens: ReadonlySet<string>;
  observation: Observation;
}

export interface SessionView {
  id: string;
  /** The agent session ids (correlation.sessionId) grouped into it (a ticket may span several). */
  sessionIds: string[];
  subject: string;
  start: number;
  end: number;
  calls: CallView[];
  results: ResultView[];
  request: ReadonlySet<string>;
  uses: ArgUse[];
  sensitive: SensitiveUse[];
  /** Keys other than tool calls and results (model, cloud-api, guardrail) -> their observations. */
  keys: Map<string, Observation[]>;
  observations: Observation[];
  summary: SessionSummary;
}

const CALL_KINDS = new Set(['tool', 'kb', 'agent']);
/** Token kinds that identify an argument's value (hosts only when no address names them more precisely). */
const IDENTITY_KINDS = new Set([...ENTITY_KINDS].filter((k) => k !== 'sec' && k !== 'host'));

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const kindOf = (token: string) => token.slice(0, token.indexOf(':'));

/** Parses `attrs.args` into per-parameter whole value and parts. */
export function parseArgs(attrs: Observation['attrs']): Map<string, { whole?: string; parts: string[] }> {
  const out = new Map<string, { whole?: string; parts: string[] }>();
  for (const e of strings(attrs.args)) {
    const i = e.search(/[=~]/);
    if (i <= 0) continue;
    const param = e.slice(0, i);
    const a = out.get(param) ?? { parts: [] };
    if (e[i] === '=') a.whole = e.slice(i + 1);
    else a.parts.push(e.slice(i + 1));
    out.set(param, a);
  }
  return out;
}

function previews(attrs: Observation['attrs']): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of strings(attrs.argPreview)) {
    const i = e.indexOf('=');
    if (i > 0) m.set(e.slice(0, i), e.slice(i + 1));
  }
  return m;
}

/** Builds the view of one session (observations of one subject, grouped by lib/core/drift/sequences.ts). */
export function sessionView(subject: string, s: Session): SessionView {
  const obs = [...s.observations].sort(
    (a, b) => a.time.localeCompare(b.time) || Number(a.attrs.seq ?? 0) - Number(b.attrs.seq ?? 0),
  );
  const calls: CallView[] = [];
  const results: ResultView[] = [];
  const request = new Set<string>();
  const keys = new Map<string, Observation[]>();
  obs.forEach((o, index) => {
    const time = Date.parse(o.time);
    if (o.layer === 'tool' && CALL_KINDS.has(o.kind)) calls.push({ key: o.key, time, index, observation: o });
    else if (o.kind === 'result') {
      const of = typeof o.attrs.resultOf === 'string' ? o.attrs.resultOf : undefined;
      results.push({
        ...(of ? { of } : {}),
        time,
        index,
        tokens: new Set(strings(o.attrs.resultTokens)),
        observation: o,
      });
    } else if (o.layer === 'cloud-api' || o.layer === 'application') {
      for (const t of strings(o.attrs.requestTokens)) request.add(t);
      // A model call inside an agent yields an input and an output observation: count the inputs.
      if (o.kind === 'model' && o.attrs.phase === 'output') return;
      const list = keys.get(o.key) ?? [];
      list.push(o);
      keys.set(o.key, list);
    }
  });
  const uses: ArgUse[] = [];
  const sensitive: SensitiveUse[] = [];
  calls.forEach((c, callIndex) => {
    const pv = previews(c.observation.attrs);
    const fromRequest = new Set(strings(c.observation.attrs.argsFromRequest));
    for (const [param, a] of parseArgs(c.observation.attrs)) {
      const ids = a.parts.filter((t) => IDENTITY_KINDS.has(kindOf(t)) || kindOf(t) === 'val');
      const hasAddress = a.parts.some((t) => kindOf(t) === 'em' || kindOf(t) === 'url');
      if (!hasAddress) ids.push(...a.parts.filter((t) => kindOf(t) === 'host'));
      const words = a.parts.filter((t) => kindOf(t) === 'w');
      const entries: { token: string; words?: string[] }[] = ids.map((token) => ({ token }));
      if (ids.every((t) => kindOf(t) === 'val') && a.whole) entries.push({ token: a.whole, words });
      for (const e of entries) {
        const use: ArgUse = {
          tool: c.key,
          param,
          token: e.token,
          call: callIndex,
          provenance: 'none',
          ...(e.words?.length ? { words: e.words } : {}),
          ...(pv.has(param) ? { preview: pv.get(param)! } : {}),
        };
        if (fromRequest.has(param)) use.provenance = 'request';
        else locate(use, c, request, results);
        uses.push(use);
      }
    }
    for (const f of strings(c.observation.attrs.argFlags)) {
      const i = f.lastIndexOf(':');
      const param = f.slice(0, i);
      const a = parseArgs(c.observation.attrs).get(param);
      const tokens = a ? [...(a.whole ? [a.whole] : []), ...a.parts.filter((t) => kindOf(t) !== 'w')] : [];
      sensitive.push({
        tool: c.key,
        param,
        class: f.slice(i + 1),
        call: callIndex,
        tokens,
        inRequest: tokens.some((t) => kindOf(t) === 'sec' && request.has(t)),
      });
    }
  });
  const summary = summarize(s, calls, request, uses, sensitive, keys);
  const sessionIds = [
    ...new Set(obs.map((o) => o.correlation.sessionId).filter((x): x is string => typeof x === 'string')),
  ].sort();
  return {
    id: s.id,
    sessionIds,
    subject,
    start: s.start,
    end: s.end,
    calls,
    results,
    request,
    uses,
    sensitive,
    keys,
    observations: obs,
    summary,
  };
}

/** Sets where a value came from: the request wins (a value the user gave is never injected), else the latest result. */
function locate(use: ArgUse, call: CallView, request: ReadonlySet<string>, results: ResultView[]): void {
  const inSet = (set: ReadonlySet<string>) =>
    set.has(use.token) || (use.words !== undefined && use.words.length > 0 && use.words.every((w) => set.has(w)));
  if (inSet(request)) {
    use.provenance = 'request';
    return;
  }
  for (let i = results.length - 1; i >= 0; i--) {
    const r = results[i]!;
    if (r.index >= call.index) continue;
    if (inSet(r.tokens)) {
      use.provenance = 'tool-result';
      use.from = { tool: r.of ?? 'unknown', agoMs: call.time - r.time, observationId: r.observation.id };
      return;
    }
  }
}

function summarize(
  s: Session,
  calls: CallView[],
  request: ReadonlySet<string>,
  uses: ArgUse[],
  sensitive: SensitiveUse[],
  keys: Map<string, Observation[]>,
): SessionSummary {
  const tools: Record<string, number> = {};
  const sequence: string[] = [];
  for (const c of calls) {
    tools[c.key] = (tools[c.key] ?? 0) + 1;
    if (sequence[sequence.length - 1] !== c.key) sequence.push(c.key);
  }
  const other: Record<string, number> = {};
  for (const [k, list] of keys) other[k] = list.reduce((n, o) => n + o.count, 0);
  const uniq = (xs: string[]) => [...new Set(xs)].sort();
  return {
    id: s.id,
    start: s.start,
    end: s.end,
    tools,
    sequence,
    keys: other,
    calls: calls.length,
    words: uniq([...request].filter((t) => t.startsWith('w:'))),
    values: uniq(uses.map((u) => u.token)),
    slots: uniq(uses.map((u) => slotOf(u))),
    content: uniq(uses.filter((u) => u.provenance === 'tool-result').map((u) => `${slotOf(u)}|${u.token}`)),
    generated: uniq(uses.filter((u) => u.provenance === 'none').map((u) => `${slotOf(u)}|${u.token}`)),
    // A secret the user gave in the request is the user's to use.
    sensitive: uniq(
      sensitive
        .filter((x) => !(x.class === 'secret-value' && x.inRequest))
        .map((x) => `${x.tool}#${x.param}|${x.class}|${x.tokens.join(',')}`),
    ),
  };
}

/** `tool#param` of an argument use. */
export function slotOf(u: { tool: string; param: string }): string {
  return `${u.tool}#${u.param}`;
}
