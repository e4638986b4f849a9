/**
 * Headless chart rendering: a vega-lite (or vega) spec to an SVG string in Node, with no canvas and no network.
 * Reusable by every part of Warden that draws (baseline convergence, drift timelines, the HTML report).
 *
 * Example: `const svg = await renderChart({ data: { values }, mark: 'line', encoding: { ... } })`.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export type ChartSpec = TopLevelSpec;

export class ChartError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ChartError';
  }
}

// Charts carry their data inline; a spec that points at a URL would make rendering depend on the network (and on a
// host the spec chose), so the loader refuses every load.
const offlineLoader: vega.Loader = {
  ...vega.loader(),
  load: async (uri: string) => {
    throw new ChartError(`chart specs must carry inline data (refused to load ${uri})`);
  },
  sanitize: async (uri: string) => {
    throw new ChartError(`chart specs must carry inline data (refused to load ${uri})`);
  },
};

function isVegaSpec(spec: unknown): spec is vega.Spec {
  const s = spec as { $schema?: unknown; marks?: unknown };
  return (typeof s.$schema === 'string' && /\/schema\/vega\/v/.test(s.$schema)) || Array.isArray(s.marks);
}

/** Data sources in a vega spec (top level and inside group marks) that name a URL. */
function urlSources(node: unknown, found: string[] = []): string[] {
  if (Array.isArray(node)) {
    for (const n of node) urlSources(n, found);
  } else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (Array.isArray(o.data)) {
      for (const d of o.data) {
        const u = (d as { url?: unknown }).url;
        if (u !== undefined) found.push(typeof u === 'string' ? u : JSON.stringify(u));
      }
    }
    if (Array.isArray(o.marks)) urlSources(o.marks, found);
  }
  return found;
}

/** Renders a vega-lite spec (or a full vega spec) to a standalone SVG document string. */
export async function renderChart(spec: ChartSpec | vega.Spec): Promise<string> {
  let vg: vega.Spec;
  try {
    vg = isVegaSpec(spec) ? spec : compile(spec as TopLevelSpec).spec;
  } catch (err) {
    throw new ChartError(`invalid chart spec: ${(err as Error).message}`, { cause: err });
  }
  // vega logs a failed load and renders an empty chart; a chart silently missing its data is worse than an error.
  const urls = urlSources(vg);
  if (urls.length > 0) throw new ChartError(`chart specs must carry inline data (refused to load ${urls[0]})`);
  const view = new vega.View(vega.parse(vg), { renderer: 'none', loader: offlineLoader });
  try {
    const svg = await view.toSVG();
    return svg.startsWith('<?xml') ? svg : `<?xml version="1.0" encoding="UTF-8"?>\n${svg}`;
  } finally {
    view.finalize();
  }
}
