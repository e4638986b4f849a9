/**
 * One function per report section of a subject. Each reads what it needs from the Store (through the same services
 * the CLI uses), and renders either real data or a plain "no data: why / which command produces it" line.
 */
import { loadBaseline } from '../baselines/service.ts';
import { renderConvergenceChart } from '../charts/convergence.ts';
import { renderChart } from '../charts/render.ts';
import type { ArtifactFile } from '../core/artifacts/types.ts';
import { describeTransition } from '../core/audit/rollout.ts';
import {
  type ChainRecord,
  type CrossLayerAuditEntry,
  isCrossLayerEntry,
  isRolloutEntry,
  type RolloutAuditEntry,
} from '../core/audit/types.ts';
import { classBaseline } from '../core/baseline/classes/class-baseline.ts';
import type { Baseline } from '../core/baseline/types.ts';
import type { DriftObject } from '../core/drift/types.ts';
import { buildInventory } from '../core/inventory/build.ts';
import type { ReconcileResult } from '../core/reconcile/findings.ts';
import { renderReconcileHtml } from '../core/reconcile/render.ts';
import type { TrackDecision } from '../core/track/classify.ts';
import { DRIFT_DOC } from '../drift/service.ts';
import type { Store, SubjectRecord } from '../ports.ts';
import { DOC_RECONCILE, DOC_TRACK } from '../reconcile/service.ts';
import { auditTimelineSpec, driftChartSpec } from './charts.ts';
import { esc, facts, inlineSvg, noData, type Section, section, table } from './html.ts';

const DAY = 86_400_000;

/** What every section of one subject gets. */
export interface SubjectContext {
  store: Store;
  now: string;
  record: SubjectRecord;
  baseline?: Baseline;
  /** Artifacts already resolved for the subject (from a rollout, or generated for the report). */
  artifacts?: { files: ArtifactFile[]; baselineVersion: number; origin: string; warnings: string[] };
  artifactsWhy?: string;
  rollouts: RolloutView[];
  audit: ChainRecord[];
  /** A command line the reader can run as printed (see ReportOptions.command). */
  cmd: (args: string[]) => string;
}

export interface RolloutView {
  id: string;
  body: Record<string, unknown>;
  transitions: Record<string, unknown>[];
}

const time = (iso: string | undefined) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, 'Z') : '');

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

interface BlastTransition {
  time?: string;
  class?: string;
  blast?: {
    perArtifact: Record<
      string,
      {
        wouldDenyEvents: number;
        keys: number;
        examples: { subject: string; key: string; count: number; reason: string }[];
      }
    >;
    wouldDenyEvents: number;
    evaluatedEvents: number;
    withinThreshold: boolean;
    source: string;
    affectedPods: string[];
  };
}

export function rolloutSection(ctx: SubjectContext): Section {
  const s = ctx.record.subject;
  const mine = ctx.rollouts.filter((r) => JSON.stringify(r.body.classes ?? []).includes(JSON.stringify(s)));
  if (mine.length === 0)
    return section(
      'rollout',
      s,
      'Rollout and blast radius',
      noData(`no rollout covered this subject: run \`${ctx.cmd(['rollout', 'start'])}\``),
      false,
    );
  const parts: string[] = [];
  for (const r of mine) {
    const b = r.body;
    parts.push(`<h4>Rollout <code>${esc(r.id)}</code>: ${esc(b.state ?? '?')}</h4>`);
    parts.push(
      facts([
        ['started', time(b.startedAt as string)],
        ['finished', time(b.finishedAt as string) || '-'],
      ]),
    );
    parts.push(
      table(
        ['time', 'step', 'class', 'detail'],
        r.transitions.map((t) => [time(t.time as string), t.step, t.class ?? '', transitionDetail(t)]),
        { code: [1] },
      ),
    );
    for (const t of r.transitions.filter((x) => x.step === 'measure-blast-radius') as BlastTransition[]) {
      const blast = t.blast;
      if (!blast) continue;
      parts.push(
        `<p>Blast radius (${esc(blast.source)} window, class ${esc(t.class ?? '')}): <strong>${esc(blast.wouldDenyEvents)}</strong> of ${esc(blast.evaluatedEvents)} events would be denied; <span class="tag ${blast.withinThreshold ? 'ok' : 'risky'}">${blast.withinThreshold ? 'within threshold' : 'over threshold'}</span></p>`,
      );
      const rows = Object.entries(blast.perArtifact).map(([kind, v]) => [
        kind,
        v.wouldDenyEvents,
        v.keys,
        v.examples
          .slice(0, 3)
          .map((e) => `${e.key} ×${e.count} (${e.reason})`)
          .join('\n') || '-',
      ]);
      parts.push(table(['artifact', 'would-deny events', 'keys', 'examples'], rows, { code: [3] }));
    }
  }
  return section('rollout', s, 'Rollout and blast radius', parts.join('\n'), true);
}

function transitionDetail(t: Record<string, unknown>): string {
  const { rolloutId: _r, step: _s, time: _t, class: _c, blast, ...rest } = t;
  if (blast) return `blast radius measured`;
  const text = JSON.stringify(rest);
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

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

/** Most audit entries a subject shows with a timeline chart; the rest are listed. */
const AUDIT_CHARTS = 3;

/**
 * The chained transitions of each rollout, one table per rollout in chain order. A rollout entry has no timeline:
 * it renders as rows, never as a chart.
 */
export function rolloutAuditTables(records: ChainRecord<RolloutAuditEntry>[]): string {
  const byRollout = new Map<string, ChainRecord<RolloutAuditEntry>[]>();
  for (const r of [...records].sort((a, b) => a.seq - b.seq)) {
    const list = byRollout.get(r.entry.input) ?? [];
    list.push(r);
    byRollout.set(r.entry.input, list);
  }
  const parts: string[] = [];
  for (const [rolloutId, list] of byRollout) {
    parts.push(`<h4>Rollout <code>${esc(rolloutId)}</code>: ${list.length} chained transitions</h4>`);
    parts.push(
      table(
        ['seq', 'time', 'class', 'step', 'state', 'decision', 'evidence', 'hash'],
        list.map((r) => {
          const t = r.entry.transition;
          return [
            r.seq,
            time(t.time),
            t.class ?? '',
            t.step,
            t.state,
            t.decision ?? '',
            describeTransition(t) || '-',
            r.hash.slice(0, 16),
          ];
        }),
        { code: [3, 7] },
      ),
    );
  }
  return parts.join('\n');
}

export async function auditSection(ctx: SubjectContext, riskyAuditIds: Set<string>): Promise<Section> {
  const s = ctx.record.subject;
  const forSubject = ctx.audit.filter((r) => r.entry.subjects.includes(s));
  const mine = forSubject.filter((r): r is ChainRecord<CrossLayerAuditEntry> => isCrossLayerEntry(r.entry));
  const rollouts = forSubject.filter((r): r is ChainRecord<RolloutAuditEntry> => isRolloutEntry(r.entry));
  if (forSubject.length === 0)
    return section(
      'audit',
      s,
      'Audit trail',
      noData(
        `no audit entries for this subject: an entry is built for a triggering input on request (\`${ctx.cmd(['audit', '--input', 'ID'])}\` with a ticket, session or request id) and for each transition of \`${ctx.cmd(['rollout', 'start'])}\``,
      ),
      false,
    );
  const rolloutHtml =
    rollouts.length > 0 ? `<h4>Rollout transitions (hash-chained)</h4>${rolloutAuditTables(rollouts)}` : '';
  if (mine.length === 0)
    return section(
      'audit',
      s,
      'Audit trail of rollout transitions',
      `<p>No audited inputs (tickets, sessions, requests) for this subject; its rollout transitions are chained.</p>${rolloutHtml}`,
      true,
    );
  // Entries behind risky drift first, then the newest.
  const ordered = [...mine].sort(
    (a, b) =>
      Number(riskyAuditIds.has(b.auditId)) - Number(riskyAuditIds.has(a.auditId)) ||
      b.entry.from.localeCompare(a.entry.from),
  );
  const parts: string[] = [`<p>${mine.length} audited inputs (hash-chained).</p>`];
  let charts = 0;
  for (const r of ordered.slice(0, AUDIT_CHARTS)) {
    const e = r.entry;
    parts.push(
      `<h4>${riskyAuditIds.has(r.auditId) ? '<span class="tag risky">risky drift</span> ' : ''}Input <code>${esc(e.input)}</code> (${esc(e.inputType)}), seq ${esc(r.seq)}</h4>`,
    );
    parts.push(
      facts([
        ['span', `${time(e.from)} .. ${time(e.to)}`],
        [
          'events per link',
          Object.entries(e.counts)
            .map(([k, n]) => `${k} ${n}`)
            .join(', '),
        ],
        ['pods', e.links.pods.join(', ') || '-'],
        [
          'prompt',
          Object.entries(e.prompt)
            .map(([k, v]) => `${k}=${String(v)}`)
            .join(', ') || '-',
        ],
        ['hash', r.hash.slice(0, 16)],
      ]),
    );
    if (e.timeline.length > 0) {
      parts.push(
        inlineSvg(
          await renderChart(auditTimelineSpec(e.timeline, `Timeline of ${e.inputType} (per link)`)),
          'audit timeline per link',
        ),
      );
      charts++;
      const firsts = new Map<string, (typeof e.timeline)[number]>();
      for (const t of e.timeline) if (!firsts.has(`${t.link}|${t.key}`)) firsts.set(`${t.link}|${t.key}`, t);
      const rows = [...firsts.values()]
        .sort((a, b) => a.time.localeCompare(b.time))
        .slice(0, 25)
        .map((t) => [time(t.time), t.link, t.layer, t.source, t.key, t.count]);
      parts.push(
        `<details><summary>first event of each key (${firsts.size})</summary>${table(['time', 'link', 'layer', 'source', 'key', 'count'], rows, { code: [4] })}</details>`,
      );
    } else parts.push(noData('this entry has no timeline events'));
  }
  if (ordered.length > AUDIT_CHARTS)
    parts.push(
      `<details><summary>${ordered.length - AUDIT_CHARTS} more audited inputs</summary>${table(
        ['input', 'from', 'events per link'],
        ordered.slice(AUDIT_CHARTS).map((r) => [
          r.entry.input,
          time(r.entry.from),
          Object.entries(r.entry.counts)
            .map(([k, n]) => `${k} ${n}`)
            .join(', '),
        ]),
        { code: [0] },
      )}</details>`,
    );
  if (rolloutHtml) parts.push(rolloutHtml);
  return section('audit', s, 'Audit trail of audited inputs', parts.join('\n'), true, charts);
}
