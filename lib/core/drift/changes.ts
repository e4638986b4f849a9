/**
 * Change detection: walks a subject's timeline window by window and reports what differs from the lookback before
 * each window: new keys, volume above the hour-of-week envelope, and new transitions in call sequences. Changes in
 * windows at most `mergeGapMs` apart form one cluster, which the signals then score.
 */
import type { Observation } from '../observation.ts';
import { keyKind, WINDOW_MS } from '../observation.ts';
import { buildSessions, type Session, TransitionModel } from './sequences.ts';
import { boundAt, seenBetween, type Timeline } from './timeline.ts';
import type { Change, DriftOptions } from './types.ts';

/** A session that showed transitions the model had never seen. */
export interface NovelSession {
  id: string;
  start: string;
  symbols: string[];
  novel: [string, string][];
  observations: Observation[];
}

export interface ChangeCluster {
  subject: string;
  /** First and last window (ms). */
  from: number;
  to: number;
  changes: Change[];
  novelSessions: NovelSession[];
  /** Sessions the transition model held when the cluster started (how much history the sequences rest on). */
  modelSessions: number;
  /** Whether a key was part of the behavior in the lookback before the cluster. */
  known: (key: string) => boolean;
}

/** Volume must exceed the envelope by at least this many events to count (noise floor on small counts). */
export const MIN_VOLUME_EXCESS = 2;

/**
 * Detects change clusters of one subject with windows in [fromMs, toMs). `deployTimes` (ms) of the subject's deploys
 * let the volume envelope move to the post-deploy regime once it has settled.
 * @example detectChanges(timelineFromAggregates(s, rows), evidence, Date.parse(since), now, DEFAULT_DRIFT_OPTIONS)
 */
export function detectChanges(
  tl: Timeline,
  evidence: Observation[],
  fromMs: number,
  toMs: number,
  opts: DriftOptions,
  deployTimes: number[] = [],
): ChangeCluster[] {
  if (!Number.isFinite(tl.firstWindow)) return [];
  const deploysSorted = [...deployTimes].sort((a, b) => a - b);
  const lastDeployBefore = (w: number) => {
    let last: number | undefined;
    for (const t of deploysSorted) {
      if (t >= w) break;
      last = t;
    }
    return last;
  };
  const sessions = buildSessions(
    evidence.filter((o) => o.subject === tl.subject),
    undefined,
    opts.episodeGapMs,
  );
  const model = new TransitionModel();
  let addIdx = 0;
  let removeIdx = 0;
  const start = Math.max(fromMs, tl.firstWindow + opts.minHistoryMs);
  const windows = new Set<number>();
  for (const w of tl.byWindow.keys()) if (w >= start && w < toMs) windows.add(w);
  for (const s of sessions) {
    const w = Math.floor(s.start / WINDOW_MS) * WINDOW_MS;
    if (w >= start && w < toMs) windows.add(w);
  }
  const ordered = [...windows].sort((a, b) => a - b);
  const perWindow: { w: number; changes: Change[]; novel: NovelSession[]; modelSessions: number }[] = [];
  for (const w of ordered) {
    while (addIdx < sessions.length && sessions[addIdx]!.start < w) model.add(sessions[addIdx++]!.symbols);
    while (removeIdx < addIdx && sessions[removeIdx]!.start < w - opts.lookbackMs)
      model.remove(sessions[removeIdx++]!.symbols);
    const changes: Change[] = [];
    const iso = new Date(w).toISOString();
    for (const key of tl.byWindow.get(w) ?? []) {
      const s = tl.series.get(key)!;
      const observed = s.counts.get(w) ?? 0;
      if (!seenBetween(s, w - opts.lookbackMs, w)) {
        changes.push({ type: 'new-key', key, layer: s.layer, window: iso, observed, expectedUpper: 0 });
        continue;
      }
      const b = boundAt(tl, key, w, opts.lookbackMs, lastDeployBefore(w));
      if (b && observed > b.upper && observed - b.upper >= MIN_VOLUME_EXCESS) {
        changes.push({ type: 'volume', key, layer: s.layer, window: iso, observed, expectedUpper: b.upper });
      }
    }
    const novel: NovelSession[] = [];
    const byTransition = new Map<string, Change>();
    for (let i = addIdx; i < sessions.length && sessions[i]!.start < w + WINDOW_MS; i++) {
      const s: Session = sessions[i]!;
      if (s.start < w) continue;
      const n = model.novel(s.symbols);
      if (n.length === 0) continue;
      novel.push({
        id: s.id,
        start: new Date(s.start).toISOString(),
        symbols: s.symbols,
        novel: n,
        observations: s.observations,
      });
      for (const [a, b] of n) {
        const key = `${a} -> ${b}`;
        const c = byTransition.get(key);
        if (c) c.observed++;
        else {
          const layerKey = b === '$' ? a : b;
          const layer = s.observations.find((o) => o.key === layerKey)?.layer ?? 'tool';
          byTransition.set(key, {
            type: 'sequence',
            key,
            layer,
            window: iso,
            observed: 1,
            expectedUpper: 0,
            transition: [a, b],
            session: s.id,
          });
        }
      }
    }
    changes.push(...byTransition.values());
    if (changes.length > 0) perWindow.push({ w, changes, novel, modelSessions: model.sessions });
  }
  const clusters: ChangeCluster[] = [];
  for (const pw of perWindow) {
    const last = clusters[clusters.length - 1];
    if (last && pw.w - last.to <= opts.mergeGapMs) {
      last.to = pw.w;
      last.changes.push(...pw.changes);
      last.novelSessions.push(...pw.novel);
      continue;
    }
    const from = pw.w;
    const knownSymbols = new Set<string>();
    // Snapshot what the lookback knew at the cluster's start (the model keeps moving afterwards).
    for (const s of sessions) {
      if (s.start >= from) break;
      if (s.start >= from - opts.lookbackMs) for (const sym of s.symbols) knownSymbols.add(sym);
    }
    clusters.push({
      subject: tl.subject,
      from,
      to: pw.w,
      changes: [...pw.changes],
      novelSessions: [...pw.novel],
      modelSessions: pw.modelSessions,
      known: (key: string) => {
        if (key === '^' || key === '$' || knownSymbols.has(key)) return true;
        const s = tl.series.get(key);
        return s !== undefined && seenBetween(s, from - opts.lookbackMs, from);
      },
    });
  }
  return clusters;
}

/** Keys a cluster is about (changed keys and the keys of novel transitions). */
export function clusterKeys(c: ChangeCluster): Set<string> {
  const out = new Set<string>();
  for (const ch of c.changes) {
    if (ch.transition) {
      for (const k of ch.transition) if (k !== '^' && k !== '$') out.add(k);
    } else out.add(ch.key);
  }
  return out;
}

/** Kind of a change's key, for sequence changes the kind of the transition's newest symbol. */
export function changeKind(ch: Change): string {
  if (ch.transition) return keyKind(ch.transition[1] === '$' ? ch.transition[0] : ch.transition[1]);
  return keyKind(ch.key);
}
