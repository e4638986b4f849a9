/**
 * The convergence chart of a baseline: new keys per period (bars, left axis) and the active envelope size (line,
 * right axis), with each period's status as the bar colour, so falling new-behavior rate is visible at a glance.
 */
import type { Baseline } from '../../core/baseline/types.ts';
import { type ChartSpec, renderChart } from './render.ts';

const STATUS_COLORS = {
  domain: ['learning', 'converging', 'stable', 'unstable'],
  range: ['#9e9e9e', '#f0a030', '#2e7d32', '#c62828'],
};

/** The vega-lite spec of the convergence chart (data inline). */
export function convergenceChartSpec(baseline: Baseline, opts: { width?: number; height?: number } = {}): ChartSpec {
  const values = baseline.convergence.map((p) => ({
    start: p.start,
    newKeys: p.newKeys,
    envelopeSize: p.envelopeSize,
    status: p.status,
    closed: p.closed,
  }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `Baseline convergence: ${baseline.subject}`, subtitle: `status ${baseline.status}` },
    width: opts.width ?? 640,
    height: opts.height ?? 240,
    data: { values },
    encoding: { x: { field: 'start', type: 'temporal', title: 'period start (UTC)' } },
    layer: [
      {
        mark: { type: 'bar', opacity: 0.85 },
        encoding: {
          y: { field: 'newKeys', type: 'quantitative', title: 'new keys per period' },
          color: { field: 'status', type: 'nominal', scale: STATUS_COLORS, title: 'status' },
        },
      },
      {
        mark: { type: 'line', color: '#1565c0', point: true },
        encoding: {
          y: {
            field: 'envelopeSize',
            type: 'quantitative',
            title: 'active envelope size',
            axis: { titleColor: '#1565c0' },
          },
        },
      },
    ],
    resolve: { scale: { y: 'independent' } },
  };
}

/** Renders the convergence chart of `baseline` to SVG. */
export function renderConvergenceChart(baseline: Baseline): Promise<string> {
  return renderChart(convergenceChartSpec(baseline));
}
