/**
 * The N-day drift classification report: per day, how many drift items were expected evolution vs risky drift, and
 * the vega-lite spec of its chart (rendered to SVG by lib/app/charts).
 */
import type { DriftObject } from './types.ts';

export interface DriftDay {
  day: string;
  evolution: number;
  risky: number;
}

export interface DriftReport {
  from: string;
  to: string;
  subjects: number;
  evolution: number;
  risky: number;
  days: DriftDay[];
}

const DAY_MS = 86_400_000;

/** Summarizes drift objects per UTC day over [from, to). Days without drift are present with zeros. */
export function driftReport(items: DriftObject[], from: string, to: string): DriftReport {
  const start = Math.floor(Date.parse(from) / DAY_MS) * DAY_MS;
  const end = Date.parse(to);
  const days = new Map<string, DriftDay>();
  for (let t = start; t < end; t += DAY_MS) {
    const day = new Date(t).toISOString().slice(0, 10);
    days.set(day, { day, evolution: 0, risky: 0 });
  }
  for (const d of items) {
    const day = days.get(d.from.slice(0, 10));
    if (day) day[d.classification]++;
  }
  return {
    from: new Date(start).toISOString(),
    to,
    subjects: new Set(items.map((d) => d.subject)).size,
    evolution: items.filter((d) => d.classification === 'evolution').length,
    risky: items.filter((d) => d.classification === 'risky').length,
    days: [...days.values()],
  };
}

/** Vega-lite spec: stacked daily bars, expected evolution vs risky drift. */
export function driftChartSpec(report: DriftReport): Record<string, unknown> {
  const values = report.days.flatMap((d) => [
    { day: d.day, classification: 'expected evolution', count: d.evolution },
    { day: d.day, classification: 'risky drift', count: d.risky },
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `Drift classification ${report.from.slice(0, 10)} .. ${report.to.slice(0, 10)}`,
    width: 640,
    height: 220,
    data: { values },
    mark: 'bar',
    encoding: {
      x: { field: 'day', type: 'ordinal', title: 'day (UTC)', axis: { labelAngle: -45 } },
      y: { field: 'count', type: 'quantitative', title: 'drift items', stack: 'zero' },
      color: {
        field: 'classification',
        type: 'nominal',
        scale: { domain: ['expected evolution', 'risky drift'], range: ['#4c78a8', '#e45756'] },
      },
    },
  };
}
