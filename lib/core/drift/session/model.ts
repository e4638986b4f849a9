/**
 * The per-agent behaviour model: pure, serializable state ({@link AgentModel}: the summaries of the agent's benign
 * sessions in the lookback, and the keys deploys vouched for), and the index the judgement reads (counts derived from
 * it, rebuilt in one pass). `updateAgentModel(state, sessions, now, opts)` is the only way state changes, so a model
 * kept between runs and updated with new sessions equals one rebuilt from all of them.
 *
 * Every probability the findings use is a count over these sessions with add-one-half smoothing, and each can leave
 * one session out (`ex`): calibration scores every benign session against the model of all the others, which is how a
 * new session is scored against the model of all of them.
 */
import { bigrams } from '../sequences.ts';
import type { AgentModel, SessionSummary } from './types.ts';

/** Most sessions one model keeps (the newest). */
export const MAX_MODEL_SESSIONS = 2000;

/** An empty model for a subject. */
export function emptyAgentModel(subject: string): AgentModel {
  return { v: 1, subject, sessions: [], pending: [], accepted: {} };
}

/**
 * Adds sessions and ages out those older than `lookbackMs` before `nowMs` (and the oldest past MAX_MODEL_SESSIONS).
 * Keys in `accepted` stay until the sessions that use them have aged out too.
 * @example const next = updateAgentModel(model, judgedBenign.map((v) => v.summary), Date.parse(now), 42 * DAY)
 */
export function updateAgentModel(
  state: AgentModel,
  sessions: readonly SessionSummary[],
  nowMs: number,
  lookbackMs: number,
  accept: Record<string, string> = {},
): AgentModel {
  const byId = new Map(state.sessions.map((s) => [s.id, s]));
  for (const s of sessions) byId.set(s.id, s);
  const kept = [...byId.values()]
    .filter((s) => s.start >= nowMs - lookbackMs)
    .sort((a, b) => a.start - b.start || a.id.localeCompare(b.id))
    .slice(-MAX_MODEL_SESSIONS);
  return {
    v: 1,
    subject: state.subject,
    sessions: kept,
    pending: state.pending ?? [],
    accepted: { ...state.accepted, ...accept },
  };
}

export interface ModelIndex {
  model: AgentModel;
  n: number;
  firstStart: number;
  lastStart: number;
  toolSessions: Map<string, number>;
  keySessions: Map<string, number>;
  valueSessions: Map<string, number>;
  slotSessions: Map<string, number>;
  /**
   * `c:<slot>` -> sessions in which the slot took a tool-result value no other session used (a new value from
   * content); `g:<slot>` the same for values found neither in the request nor in a result.
   */
  slotNew: Map<string, number>;
  /** All slot uses of all sessions, and all `c:` / `g:` events: the agent-wide rate unseen arguments back off to. */
  slotUses: number;
  newTotal: { c: number; g: number };
  /** Session id -> its `c:` / `g:` slot events (see slotNew). */
  newEvents: Map<string, Set<string>>;
  /** Sessions that used a tool no other session used. */
  newToolSessions: number;
  /** Key kind -> sessions that used a key of that kind no other session used. */
  newKeySessions: Map<string, number>;
  sensitiveSessions: Map<string, number>;
  wordDf: Map<string, number>;
  /** word -> indexes (into model.sessions) of the sessions whose request has it. */
  postings: Map<string, number[]>;
  /** IDF weight of each session's request words, summed (index -> weight). */
  wordWeight: number[];
  bigramCount: Map<string, number>;
  /** Per-session call counts, ascending. */
  calls: number[];
  /** tool or key -> per-session counts of the sessions that used it, ascending (the others used it 0 times). */
  counts: Map<string, number[]>;
}

const bump = (m: Map<string, number>, k: string, d = 1) => m.set(k, (m.get(k) ?? 0) + d);
export const keyKindOf = (k: string) => k.slice(0, Math.max(0, k.indexOf(':')));

/** Builds the index of a model (one pass over its sessions). */
export function indexModel(model: AgentModel): ModelIndex {
  const ix: ModelIndex = {
    model,
    n: model.sessions.length,
    firstStart: model.sessions[0]?.start ?? Number.NaN,
    lastStart: model.sessions[model.sessions.length - 1]?.start ?? Number.NaN,
    toolSessions: new Map(),
    keySessions: new Map(),
    valueSessions: new Map(),
    slotSessions: new Map(),
    slotNew: new Map(),
    slotUses: 0,
    newTotal: { c: 0, g: 0 },
    newEvents: new Map(),
    newToolSessions: 0,
    newKeySessions: new Map(),
    sensitiveSessions: new Map(),
    wordDf: new Map(),
    postings: new Map(),
    wordWeight: [],
    bigramCount: new Map(),
    calls: [],
    counts: new Map(),
  };
  for (const s of model.sessions) {
    for (const [t, c] of Object.entries(s.tools)) {
      bump(ix.toolSessions, t);
      pushCount(ix.counts, t, c);
    }
    for (const [k, c] of Object.entries(s.keys)) {
      bump(ix.keySessions, k);
      pushCount(ix.counts, k, c);
    }
    for (const v of s.values) bump(ix.valueSessions, v);
    for (const sl of s.slots) bump(ix.slotSessions, sl);
    ix.slotUses += s.slots.length;
    for (const x of s.sensitive) bump(ix.sensitiveSessions, x);
    for (const w of s.words) bump(ix.wordDf, w);
    for (const [a, b] of bigrams(s.sequence)) bump(ix.bigramCount, `${a}\u0000${b}`);
    ix.calls.push(s.calls);
  }
  model.sessions.forEach((s, i) => {
    let w = 0;
    for (const word of s.words) {
      w += idf(ix, word);
      const list = ix.postings.get(word);
      if (list) list.push(i);
      else ix.postings.set(word, [i]);
    }
    ix.wordWeight.push(w);
  });
  ix.calls.sort((a, b) => a - b);
  for (const list of ix.counts.values()) list.sort((a, b) => a - b);
  for (const s of model.sessions) {
    if (Object.keys(s.tools).some((t) => ix.toolSessions.get(t) === 1)) ix.newToolSessions++;
    const kinds = new Set(
      Object.keys(s.keys)
        .filter((k) => ix.keySessions.get(k) === 1)
        .map(keyKindOf),
    );
    for (const k of kinds) bump(ix.newKeySessions, k);
    const ev = newValueEvents(ix, s);
    ix.newEvents.set(s.id, ev);
    for (const e of ev) {
      bump(ix.slotNew, e);
      ix.newTotal[e[0] as 'c' | 'g']++;
    }
  }
  return ix;
}

function pushCount(m: Map<string, number[]>, k: string, c: number): void {
  const list = m.get(k);
  if (list) list.push(c);
  else m.set(k, [c]);
}

/**
 * Slots in which session `s` used a value no other session of the model used: `c:<slot>` for a value from a tool
 * result, `g:<slot>` for one found nowhere before. `inModel`: `s` is one of the model's sessions (its own use is
 * not "another session").
 */
export function newValueEvents(ix: ModelIndex, s: SessionSummary, inModel = true): Set<string> {
  const out = new Set<string>();
  const own = inModel ? 1 : 0;
  for (const u of valueUses(s)) if ((ix.valueSessions.get(u.token) ?? 0) - own <= 0) out.add(`${u.prefix}:${u.slot}`);
  return out;
}

/** A session's uses of values not from the request: `c` from a tool result, `g` from nowhere visible. */
export interface ValueUse {
  prefix: 'c' | 'g';
  slot: string;
  tool: string;
  param: string;
  token: string;
}

export function* valueUses(s: SessionSummary): Generator<ValueUse> {
  for (const [prefix, list] of [
    ['c', s.content],
    ['g', s.generated],
  ] as const) {
    for (const entry of list) {
      const bar = entry.indexOf('|');
      const slot = entry.slice(0, bar);
      const hash = slot.lastIndexOf('#');
      yield { prefix, slot, tool: slot.slice(0, hash), param: slot.slice(hash + 1), token: entry.slice(bar + 1) };
    }
  }
}

/** Inverse document frequency of a request word among the model's sessions. */
export function idf(ix: Pick<ModelIndex, 'n' | 'wordDf'>, w: string): number {
  return Math.log((ix.n + 1) / ((ix.wordDf.get(w) ?? 0) + 0.5));
}

/** Sessions of the model that used `key` as a tool / other key, leaving out `ex` when given. */
export function sessionsWith(ix: ModelIndex, key: string, ex?: SessionSummary): number {
  const n = (ix.toolSessions.get(key) ?? 0) + (ix.keySessions.get(key) ?? 0);
  return n - (ex && (key in ex.tools || key in ex.keys) ? 1 : 0);
}

/** Sessions of the model (leaving out `ex`). */
export function sessionCount(ix: ModelIndex, ex?: SessionSummary): number {
  return ix.n - (ex ? 1 : 0);
}

/** Sessions of the model that used value `token` in any argument (leaving out `ex`). */
export function valueSessions(ix: ModelIndex, token: string, ex?: SessionSummary): number {
  return (ix.valueSessions.get(token) ?? 0) - (ex?.values.includes(token) ? 1 : 0);
}

/** The smoothed rate (k + 0.5) / (n + 1). */
export function rate(k: number, n: number): number {
  return (Math.max(0, k) + 0.5) / (Math.max(0, n) + 1);
}

/** -log2 of a probability, 0 for p >= 1. */
export function bitsOf(p: number): number {
  return p >= 1 ? 0 : -Math.log2(Math.max(p, 1e-12));
}

/**
 * Smoothed share of sessions with a count at or above x, from the sorted (ascending) non-zero counts of the `n`
 * sessions (the rest counted 0), leaving out `own` (one session's count) when given; past the largest count seen it
 * is extrapolated (see below).
 */
export function tailProbability(sorted: readonly number[], x: number, n: number, own?: number): number {
  const total = n - (own === undefined ? 0 : 1);
  if (total <= 0 || x <= 0) return 1;
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  let atOrAbove = sorted.length - lo;
  if (own !== undefined && own >= x) atOrAbove--;
  if (atOrAbove > 0) return rate(atOrAbove, total);
  // Beyond everything seen: the smallest smoothed rate, shrunk by the square root of how far past the largest count x
  // lies (counts are heavy-tailed: twice the maximum is a little rarer than the maximum, a hundred times much rarer).
  const last = sorted[sorted.length - 1] ?? 0;
  const max = own !== undefined && own === last ? (sorted[sorted.length - 2] ?? 0) : last;
  return rate(0, total) * Math.sqrt(Math.min(1, Math.max(max, 1) / x));
}
