/**
 * Baseline update cost against stored history: folding one day of aggregates into a baseline that already holds
 * 1 week vs 8 weeks of history. Each measurement includes what a real update does with the stored doc (parse it,
 * update, serialize it) and reads only the new day's aggregates, as lib/baselines/service.ts does from the watermark.
 * Target: ratio (8 weeks / 1 week) <= 1.5.
 */

import { generateChurnScenario } from '../lib/core/baseline/synthetic.ts';
import type { Baseline } from '../lib/core/baseline/types.ts';
import { emptyBaseline, updateBaseline } from '../lib/core/baseline/update.ts';
import type { AggregateRow } from '../lib/ports.ts';
import type { BenchRow } from './run.ts';

const DAY = 86_400_000;
const REPS = 15;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function prepared(rows: AggregateRow[], start: string, historyDays: number) {
  const startMs = Date.parse(start);
  const nowOf = (d: number) => new Date(startMs + d * DAY + 2 * 3_600_000).toISOString();
  const history = rows.filter((r) => Date.parse(r.window) < startMs + historyDays * DAY);
  const b: Baseline = updateBaseline(emptyBaseline(rows[0]!.subject, start), history, nowOf(historyDays)).baseline;
  const day = rows.filter((r) => r.window >= b.watermark && Date.parse(r.window) < startMs + (historyDays + 1) * DAY);
  return { doc: JSON.stringify(b), day, now: nowOf(historyDays + 1) };
}

function timeUpdate(p: { doc: string; day: AggregateRow[]; now: string }): number {
  const t0 = performance.now();
  const prev = JSON.parse(p.doc) as Baseline;
  const r = updateBaseline(prev, p.day, p.now);
  JSON.stringify(r.baseline);
  return performance.now() - t0;
}

export async function bench(): Promise<BenchRow[]> {
  const sc = generateChurnScenario({ days: 57, rollouts: [14, 28], perPod: false, seed: 3 });
  const week = prepared(sc.deploymentRows, sc.start, 7);
  const four = prepared(sc.deploymentRows, sc.start, 28);
  const eight = prepared(sc.deploymentRows, sc.start, 56);
  // Warm up both paths, then interleave so machine noise hits both alike.
  for (let i = 0; i < 3; i++) {
    timeUpdate(week);
    timeUpdate(eight);
  }
  const a: number[] = [];
  const b: number[] = [];
  const c: number[] = [];
  for (let i = 0; i < REPS; i++) {
    a.push(timeUpdate(week));
    b.push(timeUpdate(eight));
    c.push(timeUpdate(four));
  }
  return [
    {
      name: 'update with 1 day, 8 weeks of history',
      value: median(b),
      unit: 'ms',
      baseline: { name: '1 week of history', value: median(a) },
      target: '<= 1.5',
      note: `median of ${REPS}; day rows ${week.day.length} vs ${eight.day.length}; doc ${week.doc.length} vs ${eight.doc.length} bytes`,
    },
    {
      // The doc (and so the update) grows while the hour-of-week sketches fill, then stops growing: 4 -> 8 weeks shows
      // the cost no longer follows history.
      name: 'update with 1 day, 8 weeks vs 4 weeks of history',
      value: median(b),
      unit: 'ms',
      baseline: { name: '4 weeks of history', value: median(c) },
      target: '<= 1.5',
      note: `doc ${four.doc.length} vs ${eight.doc.length} bytes`,
    },
    {
      name: 'baseline doc size, 8 weeks of history',
      value: eight.doc.length,
      unit: 'bytes',
      baseline: { name: '1 week of history', value: week.doc.length },
      note: 'informative: grows while hour-of-week sketches fill, bounded after',
    },
  ];
}
