/**
 * Vega-lite specs of the report's own charts (the convergence chart comes from lib/app/charts/convergence.ts). Only
 * enum values, times and counts go into the chart data: observed strings stay in the escaped HTML tables.
 */
import type { TimelineEvent } from '../../core/audit/types.ts';
import { LINKS } from '../../core/audit/types.ts';
import type { DriftObject } from '../../core/drift/types.ts';
import type { ChartSpec } from '../charts/render.ts';

/** Drift items per day of the period, stacked by classification. */
export function driftChartSpec(items: readonly DriftObject[], from: string, to: string): ChartSpec {
  const perDay = new Map<string, { day: string; classification: string; items: number }>();
  for (const d of items) {
    const day = d.from.slice(0, 10);
    const k = `${day}|${d.classification}`;
    const cur = perDay.get(k) ?? { day, classification: d.classification, items: 0 };
    cur.items++;
    perDay.set(k, cur);
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: 640,
    height: 160,
    title: `Drift items per day, ${from.slice(0, 10)} to ${to.slice(0, 10)}`,
    data: { values: [...perDay.values()] },
    mark: { type: 'bar' },
    encoding: {
      x: {
        field: 'day',
        type: 'temporal',
        timeUnit: 'utcyearmonthdate',
        title: 'day (UTC)',
        scale: { domain: [from, to] },
      },
      y: { field: 'items', type: 'quantitative', aggregate: 'sum', title: 'drift items', axis: { tickMinStep: 1 } },
      color: {
        field: 'classification',
        type: 'nominal',
        scale: { domain: ['evolution', 'risky'], range: ['#1e7d4f', '#c0392b'] },
        title: 'classification',
      },
    },
  } as ChartSpec;
}

/** One audit entry's timeline: events per link (layer of the chain) over time, sized by count. */
export function auditTimelineSpec(timeline: readonly TimelineEvent[], title: string): ChartSpec {
  const values = timeline.map((t) => ({ time: t.time, link: t.link, layer: t.layer, count: t.count }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: 640,
    height: 170,
    title,
    data: { values },
    mark: { type: 'circle', opacity: 0.75 },
    encoding: {
      x: { field: 'time', type: 'temporal', title: 'time (UTC)', axis: { format: '%H:%M:%S' }, scale: { type: 'utc' } },
      y: { field: 'link', type: 'nominal', sort: [...LINKS], scale: { domain: [...LINKS] }, title: 'link' },
      size: { field: 'count', type: 'quantitative', aggregate: 'sum', title: 'events' },
      color: { field: 'link', type: 'nominal', scale: { domain: [...LINKS] }, legend: null },
    },
  } as ChartSpec;
}
