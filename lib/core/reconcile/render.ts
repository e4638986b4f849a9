/** Renders a reconciliation result as a Markdown or HTML section (the report embeds it; the CLI prints Markdown). */
import { formatStatementRef } from '../iam/policy.ts';
import type { Finding, InheritedOverreachFinding, ReconcileResult, UnusedExcessFinding } from './findings.ts';

const MAX_ITEMS = 12;

function listItems(items: string[]): string {
  const shown = items.slice(0, MAX_ITEMS).join(', ');
  return items.length > MAX_ITEMS ? `${shown} … (+${items.length - MAX_ITEMS} more)` : shown;
}

function sourceOf(f: Finding): string {
  if (f.category === 'unused-excess')
    return f.statement ? `${formatStatementRef(f.statement)} (${f.statement.policyId})` : f.source;
  return f.statement ? `${f.sourceName} › ${formatStatementRef(f.statement)}` : f.sourceName;
}

function unusedDetail(f: UnusedExcessFinding): string {
  const levels = Object.entries(f.byAccessLevel)
    .map(([l, n]) => `${l}: ${n}`)
    .join(', ');
  const parts = [listItems(f.unused.map((u) => u.item))];
  if (levels) parts.push(`by access level: ${levels}`);
  if (f.unexpanded.length) parts.push(`not expanded: ${f.unexpanded.join(', ')}`);
  if (f.exercised.length) parts.push(`used: ${listItems(f.exercised.map((e) => e.key))}`);
  return parts.filter(Boolean).join('; ');
}

function overreachDetail(f: InheritedOverreachFinding): string {
  const parts = [f.reason];
  if (f.evidence.length) parts.push(`evidence: ${listItems(f.evidence.map((e) => `${e.key} ×${e.count}`))}`);
  else parts.push(`grants: ${listItems(f.grants.actions)} on ${listItems(f.grants.resources)}`);
  if (f.sharedWith?.length) parts.push(`shared with: ${f.sharedWith.join(', ')}`);
  return parts.join('; ');
}

const mdCell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** Markdown section: one table per category. */
export function renderReconcileMarkdown(r: ReconcileResult): string {
  const out: string[] = [];
  out.push(`## Declared vs observed: ${r.subject}`, '');
  out.push(
    `Window ${r.window.from} – ${r.window.to}. Unused Excess: ${r.counts.unusedExcess}. Inherited Overreach: ${r.counts.inheritedOverreach} (${r.counts.exercised} exercised, ${r.counts.reachable} reachable).`,
    '',
  );
  const unused = r.findings.filter((f): f is UnusedExcessFinding => f.category === 'unused-excess');
  const over = r.findings.filter((f): f is InheritedOverreachFinding => f.category === 'inherited-overreach');
  out.push('### Inherited Overreach', '');
  if (over.length === 0) out.push('None.', '');
  else {
    out.push('| status | source | statement | detail |', '|---|---|---|---|');
    for (const f of over)
      out.push(`| ${f.status} | ${f.source} | ${mdCell(sourceOf(f))} | ${mdCell(overreachDetail(f))} |`);
    out.push('');
  }
  out.push('### Unused Excess', '');
  if (unused.length === 0) out.push('None.', '');
  else {
    out.push('| kind | source | never exercised |', '|---|---|---|');
    for (const f of unused) out.push(`| ${f.kind} | ${mdCell(sourceOf(f))} | ${mdCell(unusedDetail(f))} |`);
    out.push('');
  }
  if (r.unexplained.length) {
    out.push('### Not explained by any declared scope', '');
    for (const u of r.unexplained) out.push(`- \`${u.key}\` ×${u.count}: ${u.reason}`);
    out.push('');
  }
  if (r.notAssessed.length || r.gaps.length) {
    out.push('### Not assessed', '');
    for (const n of [...r.notAssessed, ...r.gaps]) out.push(`- ${n}`);
    out.push('');
  }
  return out.join('\n');
}

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** HTML section (escaped; no scripts or external resources) for the static report. */
export function renderReconcileHtml(r: ReconcileResult): string {
  const unused = r.findings.filter((f): f is UnusedExcessFinding => f.category === 'unused-excess');
  const over = r.findings.filter((f): f is InheritedOverreachFinding => f.category === 'inherited-overreach');
  const rows = (cells: string[][]) =>
    cells.map((c) => `<tr>${c.map((x) => `<td>${esc(x)}</td>`).join('')}</tr>`).join('\n');
  return [
    `<section class="reconcile" id="reconcile-${esc(r.subject)}">`,
    `<h2>Declared vs observed: ${esc(r.subject)}</h2>`,
    `<p>Window ${esc(r.window.from)} – ${esc(r.window.to)}. Unused Excess: ${r.counts.unusedExcess}. Inherited Overreach: ${r.counts.inheritedOverreach} (${r.counts.exercised} exercised, ${r.counts.reachable} reachable).</p>`,
    '<h3>Inherited Overreach</h3>',
    over.length
      ? `<table><thead><tr><th>status</th><th>source</th><th>statement</th><th>detail</th></tr></thead><tbody>\n${rows(over.map((f) => [f.status, f.source, sourceOf(f), overreachDetail(f)]))}\n</tbody></table>`
      : '<p>None.</p>',
    '<h3>Unused Excess</h3>',
    unused.length
      ? `<table><thead><tr><th>kind</th><th>source</th><th>never exercised</th></tr></thead><tbody>\n${rows(unused.map((f) => [f.kind, sourceOf(f), unusedDetail(f)]))}\n</tbody></table>`
      : '<p>None.</p>',
    r.unexplained.length
      ? `<h3>Not explained by any declared scope</h3><ul>${r.unexplained.map((u) => `<li><code>${esc(u.key)}</code> ×${u.count}: ${esc(u.reason)}</li>`).join('')}</ul>`
      : '',
    r.notAssessed.length || r.gaps.length
      ? `<h3>Not assessed</h3><ul>${[...r.notAssessed, ...r.gaps].map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`
      : '',
    '</section>',
  ]
    .filter(Boolean)
    .join('\n');
}
