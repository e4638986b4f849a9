import { describe, expect, it } from 'vitest';
import { ChartError, renderChart } from '../../../lib/app/charts/render.ts';

describe('renderChart', () => {
  it('renders a vega-lite spec to a standalone SVG with one mark per datum', async () => {
    const svg = await renderChart({
      data: {
        values: [
          { d: 'a', n: 3 },
          { d: 'b', n: 7 },
          { d: 'c', n: 1 },
        ],
      },
      mark: 'bar',
      encoding: { x: { field: 'd', type: 'nominal' }, y: { field: 'n', type: 'quantitative' } },
    });
    expect(svg.startsWith('<?xml')).toBe(true);
    expect(svg).toContain('<svg');
    expect(svg).toContain('</svg>');
    const bars = svg.match(/<path aria-label="d: [abc]/g) ?? [];
    expect(bars).toHaveLength(3);
  });

  it('refuses specs that load data from a URL', async () => {
    await expect(
      renderChart({ data: { url: 'http://127.0.0.1:9/data.json' }, mark: 'point', encoding: {} }),
    ).rejects.toThrow(/inline data/);
  });

  it('reports an invalid spec as a ChartError', async () => {
    // biome-ignore lint/suspicious/noExplicitAny: deliberately malformed spec
    await expect(renderChart({ mark: 'no-such-mark' } as any)).rejects.toBeInstanceOf(ChartError);
  });
});
