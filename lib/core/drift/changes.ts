/**
 * Window-level change detection for the layers without sessions (flows, kernel, API calls no agent session made):
 * walks a subject's timeline window by window and reports what differs from the lookback before each window - new
 * keys, and volume above the hour-of-week envelope. Changes in windows at most `mergeGapMs` apart form one cluster,
 * which the signals then score. Agent sessions are judged one by one instead (./session/).
 */
import { keyKind } from '../observation.ts';
import { boundAt, seenBetween, type Timeline } from './timeline.ts';
import type { Change, DriftOptions } from './types.ts';

export interface ChangeCluster {
  subject: string;
  /** First and last window (ms). */
  from: number;
  to: number;
  changes: Change[];
  /** Whether a key was part of the behavior in the lookback before the cluster. */
  known: (key: string) => boolean;
}

/** Volume must exceed the envelope by at least this many events to count (noise floor on small counts). */
export const MIN_VOLUME_EXCESS = 2;

/**
 * Detects change clusters of one subject with windows in [fromMs, toMs). `deployTimes` (ms) of the subject's deploys
 * let the volume envelope move to the post-deploy regime once it has settled.
 * @example detectChanges(timelineFromAggregates(s, rows), Date.parse(since), now, DEFAULT_DRIFT_OPTIONS)
 */
export function detectChanges(
  tl: Timeline,
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
  const start = Math.max(fromMs, tl.firstWindow + opts.minHistoryMs);
  const ordered = [...tl.byWindow.keys()].filter((w) => w >= start && w < toMs).sort((a, b) => a - b);
  const clusters: ChangeCluster[] = [];
  for (const w of ordered) {
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
    if (changes.length === 0) continue;
    const last = clusters[clusters.length - 1];
    if (last && w - last.to <= opts.mergeGapMs) {
      last.to = w;
      last.changes.push(...changes);
      continue;
    }
    clusters.push({
      subject: tl.subject,
      from: w,
      to: w,
      changes,
      known: (key: string) => {
        const s = tl.series.get(key);
        return s !== undefined && seenBetween(s, w - opts.lookbackMs, w);
      },
    });
  }
  return clusters;
}

/** Keys a cluster is about. */
export function clusterKeys(c: ChangeCluster): Set<string> {
  return new Set(c.changes.map((ch) => ch.key));
}

/** Kind of a change's key, for sequence changes the kind of the transition's newest symbol. */
export function changeKind(ch: Change): string {
  if (ch.transition) return keyKind(ch.transition[1] === '$' ? ch.transition[0] : ch.transition[1]);
  return keyKind(ch.key);
}
