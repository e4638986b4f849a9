/** The drift section: 30 days of classified drift items, charted per day, with calibrated rates and reasons. */
import type { DriftObject } from '../../../core/drift/types.ts';
import { renderChart } from '../../charts/render.ts';
import { DRIFT_DOC } from '../../drift/service.ts';
import { driftChartSpec } from '../charts.ts';
import { inlineSvg, noData, type Section, section, table } from '../html.ts';
import { type SubjectContext, time } from './context.ts';

const DAY = 86_400_000;

export async function driftSection(ctx: SubjectContext): Promise<Section> {
  const s = ctx.record.subject;
  const to = ctx.now;
  const from = new Date(Date.parse(to) - 30 * DAY).toISOString();
  const items = (await ctx.store.listDocs<DriftObject>(DRIFT_DOC, s, { fromId: from, toId: to }))
    .map((d) => d.body)
    .filter((d) => !d.retracted && d.from >= from && d.from < to);
  if (items.length === 0)
    return section(
      'drift',
      s,
      'Drift classification (30 days)',
      noData(
        `no drift items stored for ${from.slice(0, 10)} .. ${to.slice(0, 10)}: \`${ctx.cmd(['drift'])}\` has stored none for this subject`,
      ),
      false,
    );
  const risky = items.filter((d) => d.classification === 'risky').length;
  const svg = await renderChart(driftChartSpec(items, from, to));
  const rows = [...items]
    .sort((a, b) =>
      a.classification === b.classification ? a.from.localeCompare(b.from) : a.classification === 'risky' ? -1 : 1,
    )
    .map((d) => [
      d.classification,
      d.score.toFixed(2),
      time(d.from),
      d.sessions?.length
        ? [...d.sessions.slice(0, 3), ...(d.sessions.length > 3 ? [`+${d.sessions.length - 3} more`] : [])].join('\n')
        : 'window',
      driftRate(d),
      driftReasons(d),
      d.changes
        .slice(0, 3)
        .map((c) => `${c.type} ${c.key}`)
        .join('\n'),
      d.auditId ?? '',
    ]);
  const parts = [
    `<p>${items.length} drift items: <span class="tag risky">${risky} risky</span> <span class="tag evolution">${items.length - risky} expected evolution</span></p>`,
    inlineSvg(svg, 'drift items per day by classification'),
    table(
      [
        'classification',
        'score',
        'from',
        'session',
        'calibrated rate',
        'reasons (strongest first)',
        'changes (first 3)',
        'audit entry',
      ],
      rows,
      { code: [3, 6, 7] },
    ),
  ];
  return section('drift', s, 'Drift classification (30 days)', parts.join('\n'), true, 1);
}

/** A drift item's calibrated rate: the share of the agent's benign sessions scoring as high, against the budget. */
function driftRate(d: DriftObject): string {
  const c = d.calibration;
  if (!c) return d.sessions?.length ? '' : 'window level';
  if (c.pValue === undefined)
    return c.method === 'insufficient-history' ? `cold-start rule (${c.note ?? 'insufficient history'})` : c.method;
  return `${Number((c.pValue * 100).toPrecision(2))}% (budget ${c.budget * 100}%, ${c.method} over ${c.sessions} sessions)`;
}

/** The reasons of a drift item, strongest first (its summary when it has none). */
function driftReasons(d: DriftObject): string {
  const reasons = (d.reasons ?? []).filter((r) => r.bits > 0 || r.explainedBy).slice(0, 4);
  if (reasons.length === 0) return d.summary;
  return reasons.map((r) => `${r.text}${r.explainedBy ? ` (explained by ${r.explainedBy})` : ''}`).join('\n');
}
