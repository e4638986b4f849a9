/**
 * Sessions: evidence observations of one subject grouped the way the per-session judgement reads them
 * (./session/). Observations sharing a sessionId or ticket are one session (union of both ids); cloud-api and network
 * observations, which carry neither, join the session whose time span (plus a grace period) contains them, or else
 * form episodes split by idle gaps (episodes are judged at window level, not as sessions). A session's symbols are its
 * tool and API keys with immediate repeats collapsed; bigrams of them (with start `^` and end `$` markers) are the
 * orders the order rule compares. Egress is left out of symbols on purpose: flow records are aggregated per capture
 * window with second-resolution start times and arrive from two sources, so their order against tool calls is noise.
 */
import type { Observation } from '../observation.ts';
import { keyKind } from '../observation.ts';

/** Key kinds that make up sequences. */
export const SEQUENCE_KINDS: ReadonlySet<string> = new Set(['tool', 'api', 'kb', 'agent']);

export interface Session {
  /** Ticket or session id when known, else `episode:<start>`. */
  id: string;
  start: number;
  end: number;
  symbols: string[];
  /** Observations of the session in time order (for evidence). */
  observations: Observation[];
}

class UnionFind {
  private parent = new Map<string, string>();
  find(x: string): string {
    let p = this.parent.get(x) ?? x;
    if (p !== x) {
      p = this.find(p);
      this.parent.set(x, p);
    }
    return p;
  }
  union(a: string, b: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent.set(rb, ra);
  }
}

function ids(o: Observation): string[] {
  const out: string[] = [];
  if (o.correlation.ticket) out.push(`t:${o.correlation.ticket}`);
  if (o.correlation.sessionId) out.push(`s:${o.correlation.sessionId}`);
  return out;
}

function byTime(a: Observation, b: Observation): number {
  return a.time.localeCompare(b.time) || a.id.localeCompare(b.id);
}

/** How long after a session's last observation an uncorrelated one still joins it. */
export const SESSION_GRACE_MS = 120_000;

/**
 * Groups evidence into sessions. `graceMs` extends a session's span for uncorrelated observations; `gapMs` splits
 * uncorrelated leftovers into episodes.
 */
export function buildSessions(evidence: Observation[], graceMs = SESSION_GRACE_MS, gapMs = 300_000): Session[] {
  const uf = new UnionFind();
  for (const o of evidence) {
    const i = ids(o);
    for (let k = 1; k < i.length; k++) uf.union(i[0]!, i[k]!);
  }
  const named = new Map<string, Observation[]>();
  const loose: Observation[] = [];
  for (const o of evidence) {
    const i = ids(o);
    if (i.length === 0) loose.push(o);
    else {
      const root = uf.find(i[0]!);
      const list = named.get(root) ?? [];
      list.push(o);
      named.set(root, list);
    }
  }
  const sessions: Session[] = [];
  for (const [root, list] of named) {
    list.sort(byTime);
    // Prefer the ticket as the session's name: it is what an analyst searches for.
    const ticket = list.find((o) => o.correlation.ticket)?.correlation.ticket;
    const sid = list.find((o) => o.correlation.sessionId)?.correlation.sessionId;
    sessions.push({
      id: String(ticket ?? sid ?? root),
      start: Date.parse(list[0]!.time),
      end: Date.parse(list[list.length - 1]!.time),
      symbols: [],
      observations: list,
    });
  }
  sessions.sort((a, b) => a.start - b.start || a.id.localeCompare(b.id));
  loose.sort(byTime);
  const leftovers: Observation[] = [];
  // loose and sessions are both in time order: a moving pointer keeps this linear; the back-scan is bounded
  // because only recent sessions can still be open.
  let p = 0;
  for (const o of loose) {
    const t = Date.parse(o.time);
    while (p < sessions.length && sessions[p]!.start <= t) p++;
    let best: Session | undefined;
    for (let i = p - 1; i >= 0 && i >= p - 64; i--) {
      const s = sessions[i]!;
      if (t <= s.end + graceMs) {
        best = s;
        break;
      }
    }
    if (best) best.observations.push(o);
    else leftovers.push(o);
  }
  let episode: Observation[] = [];
  const flush = () => {
    if (episode.length === 0) return;
    const start = Date.parse(episode[0]!.time);
    sessions.push({
      id: `episode:${episode[0]!.time}`,
      start,
      end: Date.parse(episode[episode.length - 1]!.time),
      symbols: [],
      observations: episode,
    });
    episode = [];
  };
  for (const o of leftovers) {
    const last = episode[episode.length - 1];
    if (last && Date.parse(o.time) - Date.parse(last.time) > gapMs) flush();
    episode.push(o);
  }
  flush();
  for (const s of sessions) {
    s.observations.sort(byTime);
    s.end = Math.max(s.end, Date.parse(s.observations[s.observations.length - 1]!.time));
    s.symbols = symbolsOf(s.observations);
  }
  return sessions.sort((a, b) => a.start - b.start || a.id.localeCompare(b.id));
}

/** The symbol sequence of observations: sequence kinds only, immediate repeats collapsed. */
export function symbolsOf(observations: Observation[]): string[] {
  const out: string[] = [];
  for (const o of observations) {
    if (!SEQUENCE_KINDS.has(keyKind(o.key))) continue;
    if (out[out.length - 1] !== o.key) out.push(o.key);
  }
  return out;
}

export const START = '^';
export const END = '$';

/** Bigrams of a sequence with start/end markers. */
export function bigrams(symbols: string[]): [string, string][] {
  if (symbols.length === 0) return [];
  const seq = [START, ...symbols, END];
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < seq.length; i++) out.push([seq[i]!, seq[i + 1]!]);
  return out;
}
