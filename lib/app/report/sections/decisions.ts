/**
 * The sections of what Warden decided for the agent: declared vs observed (reconcile), its observation track, and
 * the enforcement artifacts with the provenance of every rule.
 */
import type { ReconcileResult } from '../../../core/reconcile/findings.ts';
import { renderReconcileHtml } from '../../../core/reconcile/render.ts';
import type { TrackDecision } from '../../../core/track/classify.ts';
import { DOC_RECONCILE, DOC_TRACK } from '../../reconcile/service.ts';
import { esc, facts, noData, type Section, section, table } from '../html.ts';
import { type SubjectContext, time } from './context.ts';

export async function reconcileSection(ctx: SubjectContext): Promise<Section> {
  const s = ctx.record.subject;
  const doc = await ctx.store.getDoc<ReconcileResult>(DOC_RECONCILE, s, 'latest');
  if (!doc)
    return section(
      'reconcile',
      s,
      'Declared vs observed',
      noData(`no reconciliation stored: run \`${ctx.cmd(['reconcile', s, '--scope', 'FILE'])}\` (or --aws)`),
      false,
    );
  return section(
    'reconcile',
    s,
    'Declared vs observed (Unused Excess / Inherited Overreach)',
    renderReconcileHtml(doc.body),
    true,
  );
}

export async function trackSection(ctx: SubjectContext): Promise<Section> {
  const s = ctx.record.subject;
  const doc = await ctx.store.getDoc<TrackDecision>(DOC_TRACK, s, 'latest');
  if (!doc)
    return section(
      'track',
      s,
      'Observation track',
      noData(`no track decision stored: run \`${ctx.cmd(['track', s])}\``),
      false,
    );
  const d = doc.body;
  const parts = [
    facts([
      ['track', `${d.track} (rule ${d.rule})`],
      ['agent class', `${d.agentClass.value}${d.agentClass.inferred ? ' (inferred)' : ''}: ${d.agentClass.reason}`],
      ['data classes', d.dataClasses.map((c) => `${c.class} (${c.source})`).join(', ') || 'none'],
      [
        'privilege',
        `${d.privilege.accessLevels.join(', ') || 'none'}${d.privilege.writes ? ', writes' : ''}${d.privilege.permissionsManagement ? ', permissions management' : ''}`,
      ],
      ['required window', d.requiredWindow.description],
      ['decided', time(doc.updatedAt)],
    ]),
    `<ul>${d.reasons.map((r) => `<li>${esc(r)}</li>`).join('')}</ul>`,
  ];
  if (d.preEnforced)
    parts.push(
      facts([
        ['staging', `${d.preEnforced.stagingSubject ?? 'none'} (${d.preEnforced.status})`],
        ['deviations', d.preEnforced.deviations.join(', ') || 'none'],
      ]),
    );
  return section('track', s, 'Observation track', parts.join('\n'), true);
}

export function artifactsSection(ctx: SubjectContext): Section {
  const s = ctx.record.subject;
  const a = ctx.artifacts;
  if (!a || a.files.length === 0)
    return section(
      'artifacts',
      s,
      'Enforcement artifacts',
      noData(ctx.artifactsWhy ?? `no artifacts: run \`${ctx.cmd(['artifacts', s, '--out', 'DIR'])}\``),
      false,
    );
  const parts = [
    `<p>${esc(a.origin)}; from baseline version ${esc(a.baselineVersion)}.</p>`,
    table(
      ['file', 'kind', 'enforcement point', 'rules'],
      a.files.map((f) => [f.path, f.kind, f.enforcementPoint, f.rules.length]),
      { code: [0] },
    ),
  ];
  for (const f of a.files) {
    if (f.rules.length === 0) continue;
    const rows = f.rules.map((r) => [
      r.rule,
      r.allows,
      r.derivedFrom.length
        ? r.derivedFrom.map((k) => `${k.key} ×${k.count}`).join('\n')
        : `fixed: ${r.fixedReason ?? ''}`,
      (r.notes ?? []).join('; '),
    ]);
    parts.push(
      `<details><summary><code>${esc(f.path)}</code>: ${f.rules.length} rules with provenance</summary>${table(['rule', 'allows', 'derived from (observation keys)', 'notes'], rows, { code: [0, 2] })}</details>`,
    );
  }
  if (a.warnings.length)
    parts.push(`<h4>Warnings</h4><ul>${a.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>`);
  return section('artifacts', s, 'Enforcement artifacts with provenance', parts.join('\n'), true);
}
