/**
 * HTML building blocks of the static report. Every piece of text that can come from observed data goes through
 * {@link esc}; the only raw markup inserted is our own and the SVG produced by the chart renderer.
 */

/** Escapes text for HTML element content and attribute values. */
export function esc(value: unknown): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A stable, attribute-safe slug for ids (`k8s:prod/ns/app` -> `k8s-prod-ns-app`). */
export function slug(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** What a section produced: its markup, whether it shows real data, and how many charts it holds. */
export interface Section {
  kind: string;
  html: string;
  hasData: boolean;
  charts: number;
}

/** The plain statement a section shows when the store has nothing for it. */
export function noData(why: string): string {
  return `<p class="no-data">no data: ${esc(why)}</p>`;
}

/** Wraps a section with the stable id and data attributes the browser test (and readers' tools) rely on. */
export function section(
  kind: string,
  subject: string,
  title: string,
  body: string,
  hasData: boolean,
  charts = 0,
): Section {
  const html = [
    `<section class="report-section" id="${esc(`${kind}-${slug(subject)}`)}" data-section="${esc(kind)}"`,
    ` data-subject="${esc(subject)}" data-has-data="${hasData}" data-charts="${charts}">`,
    `<h3>${esc(title)}</h3>`,
    body,
    '</section>',
  ].join('');
  return { kind, html, hasData, charts };
}

/** A table of escaped cells; `code` columns are shown monospaced. */
export function table(headers: string[], rows: unknown[][], opts: { code?: number[] } = {}): string {
  const code = new Set(opts.code ?? []);
  const head = `<thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>`;
  const body = rows
    .map(
      (r) =>
        `<tr>${r.map((c, i) => (code.has(i) ? `<td><code>${esc(c)}</code></td>` : `<td>${esc(c)}</td>`)).join('')}</tr>`,
    )
    .join('\n');
  return `<table>${head}<tbody>${body}</tbody></table>`;
}

/** Key/value facts as a definition list. */
export function facts(items: [string, unknown][]): string {
  return `<dl class="facts">${items.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`;
}

/** An SVG document from the chart renderer, made inline: the XML prolog is dropped, the root gets a class. */
export function inlineSvg(svg: string, label: string): string {
  const body = svg.replace(/^<\?xml[^>]*\?>\s*/, '');
  return `<figure class="chart" data-chart="${esc(label)}">${body}<figcaption>${esc(label)}</figcaption></figure>`;
}

export const STYLES = `
:root { --fg:#1d2330; --muted:#5b6475; --line:#d9dee7; --bg:#ffffff; --panel:#f6f8fb; --risky:#c0392b; --ok:#1e7d4f; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); margin: 0; }
header.top { padding: 20px 32px; background: #18202e; color: #fff; }
header.top h1 { margin: 0 0 4px; font-size: 22px; }
header.top p { margin: 0; color: #c5cbd6; }
main { padding: 16px 32px 48px; max-width: 1200px; }
nav.toc ul { columns: 2; padding-left: 18px; }
article.subject { border-top: 3px solid #18202e; margin-top: 28px; padding-top: 8px; }
article.subject > h2 { font-size: 19px; margin: 4px 0 12px; word-break: break-all; }
section.report-section { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 10px 16px; margin: 12px 0; }
section.report-section h3 { margin: 2px 0 8px; font-size: 16px; }
section.report-section h4 { margin: 10px 0 4px; font-size: 14px; }
section.reconcile h2 { font-size: 14px; }
p.no-data { color: var(--muted); font-style: italic; }
table { border-collapse: collapse; width: 100%; margin: 6px 0; background: #fff; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 3px 6px; text-align: left; vertical-align: top; white-space: pre-line; }
th { background: #eef1f6; }
td code, dd code { word-break: break-all; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 4px 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
figure.chart { margin: 8px 0; background: #fff; border: 1px solid var(--line); padding: 6px; display: inline-block; max-width: 100%; overflow-x: auto; }
figure.chart figcaption { color: var(--muted); font-size: 12px; }
.tag { display: inline-block; padding: 0 6px; border-radius: 3px; font-size: 12px; background: #e3e8f0; }
.tag.risky { background: var(--risky); color: #fff; }
.tag.evolution, .tag.ok { background: var(--ok); color: #fff; }
details summary { cursor: pointer; color: var(--muted); }
`;
