/**
 * The sections that describe the agent itself: runtime AI inventory, behavioral baseline with convergence, and its
 * class baseline. Each renders real data or a "no data: why / which command produces it" line.
 */
import { classBaseline } from '../../../core/baseline/classes/class-baseline.ts';
import { buildInventory } from '../../../core/inventory/build.ts';
import { renderConvergenceChart } from '../../charts/convergence.ts';
import { esc, facts, inlineSvg, noData, type Section, section, table } from '../html.ts';
import { type SubjectContext, time } from './context.ts';

export async function inventorySection(ctx: SubjectContext): Promise<Section> {
  const s = ctx.record.subject;
  const rows = await ctx.store.aggregates(s, { to: ctx.now });
  const configured = ctx.record.labels['warden.dev/model'];
  const inv = buildInventory({
    subject: s,
    rows,
    at: ctx.now,
    ...(configured ? { configuredModels: [configured] } : {}),
  });
  const parts: string[] = [
    facts([
      ['snapshot', `${time(inv.from)} .. ${time(inv.at)}`],
      ['primary model', inv.primaryModel ?? 'none seen'],
      ['prompt version', inv.promptVersion ?? 'none seen'],
    ]),
  ];
  if (inv.fallback)
    parts.push(
      `<p><span class="tag risky">fallback</span> configured ${esc(inv.fallback.configured.join(', '))}, actually used ${esc(inv.fallback.actual.join(', '))}</p>`,
    );
  if (inv.models.length)
    parts.push(
      '<h4>Models</h4>',
      table(
        ['model', 'provider', 'invoked as', 'calls', 'first seen', 'last seen'],
        inv.models.map((m) => [
          m.modelId,
          m.provider,
          m.invokedAs.join(', '),
          m.count,
          time(m.firstSeen),
          time(m.lastSeen),
        ]),
        { code: [0, 2] },
      ),
    );
  if (inv.prompts.length)
    parts.push(
      '<h4>Prompt templates</h4>',
      table(
        ['template', 'sha256', 'last seen'],
        inv.prompts.map((p) => [p.id, p.sha256.slice(0, 16), time(p.lastSeen)]),
        { code: [0, 1] },
      ),
    );
  if (inv.frameworks.length)
    parts.push(
      '<h4>Frameworks</h4>',
      table(
        ['ecosystem', 'name', 'version', 'versions seen', 'AI'],
        inv.frameworks.map((f) => [f.ecosystem, f.name, f.version, f.versionsSeen.join(', '), f.ai ? 'yes' : '']),
        { code: [1] },
      ),
    );
  if (inv.mcpServers.length)
    parts.push(
      '<h4>MCP servers</h4>',
      table(
        ['name', 'transport', 'via', 'command'],
        inv.mcpServers.map((m) => [m.name, m.transport, m.via, m.command ?? '']),
        { code: [0, 3] },
      ),
    );
  if (inv.modelFiles.length)
    parts.push(
      '<h4>Model files</h4>',
      table(
        ['path', 'format', 'size', 'sha256'],
        inv.modelFiles.map((m) => [m.path, m.format, m.size ?? '', m.sha256?.slice(0, 16) ?? '']),
        { code: [0] },
      ),
    );
  const items =
    inv.models.length + inv.prompts.length + inv.frameworks.length + inv.mcpServers.length + inv.modelFiles.length;
  if (items === 0)
    return section(
      'inventory',
      s,
      'Runtime AI inventory',
      noData(
        `no model invocations, prompts, frameworks, MCP servers or model files observed in the 7 days before ${ctx.now} (ingest telemetry with \`${ctx.cmd(['ingest', 'PATH...'])}\`)`,
      ),
      false,
    );
  return section('inventory', s, 'Runtime AI inventory', parts.join('\n'), true);
}

export async function baselineSection(ctx: SubjectContext): Promise<Section> {
  const s = ctx.record.subject;
  const b = ctx.baseline;
  if (!b)
    return section(
      'baseline',
      s,
      'Behavioral baseline',
      noData(`no baseline stored: run \`${ctx.cmd(['baseline', s])}\``),
      false,
    );
  const active = b.entries.filter((e) => e.active);
  const byKind = new Map<string, number>();
  for (const e of active) byKind.set(e.kind, (byKind.get(e.kind) ?? 0) + 1);
  const parts = [
    facts([
      ['status', `${b.status}: ${b.statusReason}`],
      ['version', b.version],
      ['updated', time(b.updatedAt)],
      ['active keys', `${active.length} (${[...byKind].map(([k, n]) => `${k} ${n}`).join(', ')})`],
      ['aged keys', b.entries.length - active.length],
    ]),
  ];
  let charts = 0;
  if (b.convergence.length > 0) {
    parts.push(inlineSvg(await renderConvergenceChart(b), 'convergence: new behaviors per period'));
    charts = 1;
  } else parts.push(noData('the baseline has no convergence periods yet (refresh it after ingesting more telemetry)'));
  const top = [...active].sort((a, b2) => b2.count - a.count).slice(0, 12);
  parts.push(
    `<details><summary>top ${top.length} of ${active.length} active keys</summary>${table(
      ['key', 'layer', 'count', 'first seen', 'last seen'],
      top.map((e) => [e.key, e.layer, e.count, time(e.firstSeen), time(e.lastSeen)]),
      { code: [0] },
    )}</details>`,
  );
  return section('baseline', s, 'Behavioral baseline and convergence', parts.join('\n'), true, charts);
}

export function classSection(ctx: SubjectContext): Section {
  const s = ctx.record.subject;
  if (!ctx.baseline)
    return section(
      'class',
      s,
      'Agent class baseline',
      noData(
        `the class is checked against the behavioral baseline, and none is stored: run \`${ctx.cmd(['baseline', s])}\``,
      ),
      false,
    );
  const c = classBaseline(s, ctx.record.labels, ctx.baseline.entries, {
    subjectFirstSeen: ctx.record.firstSeen || undefined,
  });
  const t = c.template;
  const parts = [
    facts([
      ['class', `${c.assignment.class} (${c.assignment.source})`],
      ['decided by', c.assignment.evidence.join(', ') || 'default'],
      ['namespace', c.namespace ?? '-'],
      ['template', t.description],
      ['egress', JSON.stringify(t.egress)],
      ['IMDS', t.imds],
      ['read-only IAM', t.readOnlyIam ? 'yes' : 'no'],
    ]),
    c.violations.length
      ? `<h4>Violations (${c.violations.length})</h4>${table(
          ['rule', 'key', 'detail'],
          c.violations.map((v) => [v.rule, v.key, v.detail]),
          { code: [1] },
        )}`
      : '<p><span class="tag ok">no violations</span> of the class template</p>',
  ];
  return section('class', s, 'Agent class baseline', parts.join('\n'), true);
}
