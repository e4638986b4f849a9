/**
 * Baseline update cost against stored history: folding one day of aggregates into a baseline that already holds
 * 1 week vs 8 weeks of history. Each measurement includes what a real update does with the stored doc (parse it,
 * update, serialize it) and reads only the new day's aggregates, as lib/app/baselines/service.ts does from the
 * watermark. Target: ratio (8 weeks / 1 week) <= 1.5, as the median of per-round ratios (both run back to back in each
 * round).
 */

import type { Baseline } from '../lib/core/baseline/types.ts';
import { emptyBaseline, updateBaseline } from '../lib/core/baseline/update.ts';
import { generateChurnScenario } from '../lib/demo/churn.ts';
import type { AggregateRow } from '../lib/ports.ts';
import type { BenchRow } from './run.ts';

const DAY = 86_400_000;
const REPS = 25;

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
  // Warm up every path, then run them back to back in each round (the order rotating) and take the median of the
  // per-round ratios: a round's ratio cancels the slow swings of a shared machine, which a ratio of two medians
  // taken at different moments does not.
  for (let i = 0; i < 5; i++) for (const p of [week, four, eight]) timeUpdate(p);
  const a: number[] = [];
  const b: number[] = [];
  const c: number[] = [];
  const r8: number[] = [];
  const r84: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const t: Record<string, number> = {};
    const order = [week, four, eight];
    for (let k = 0; k < i % 3; k++) order.push(order.shift() as typeof week);
    for (const p of order) t[p === week ? 'w' : p === four ? 'f' : 'e'] = timeUpdate(p);
    a.push(t.w as number);
    c.push(t.f as number);
    b.push(t.e as number);
    r8.push((t.e as number) / (t.w as number));
    r84.push((t.e as number) / (t.f as number));
  }
  return [
    {
      name: 'update with 1 day, 8 weeks vs 1 week of history, median per-round ratio',
      value: median(r8),
      unit: 'x',
      baseline: { name: '1 week of history', value: 1 },
      target: '<= 1.5',
      note: `${REPS} rounds; medians ${median(b).toFixed(1)} ms (8 weeks) vs ${median(a).toFixed(1)} ms (1 week); day rows ${week.day.length} vs ${eight.day.length}; doc ${week.doc.length} vs ${eight.doc.length} bytes`,
    },
    {
      // The doc (and so the update) grows while the hour-of-week sketches fill, then stops growing: 4 -> 8 weeks shows
      // the cost no longer follows history.
      name: 'update with 1 day, 8 weeks vs 4 weeks of history, median per-round ratio',
      value: median(r84),
      unit: 'x',
      baseline: { name: '4 weeks of history', value: 1 },
      target: '<= 1.5',
      note: `medians ${median(b).toFixed(1)} ms vs ${median(c).toFixed(1)} ms; doc ${four.doc.length} vs ${eight.doc.length} bytes`,
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
