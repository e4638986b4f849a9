/**
 * The audit section: the subject's hash-chained entries, audited inputs (tickets, sessions, requests) with their
 * timelines, risky drift first, and rollout transitions as tables.
 */
import { describeTransition } from '../../../core/audit/rollout.ts';
import {
  type ChainRecord,
  type CrossLayerAuditEntry,
  isCrossLayerEntry,
  isRolloutEntry,
  type RolloutAuditEntry,
} from '../../../core/audit/types.ts';
import { renderChart } from '../../charts/render.ts';
import { auditTimelineSpec } from '../charts.ts';
import { esc, facts, inlineSvg, noData, type Section, section, table } from '../html.ts';
import { type SubjectContext, time } from './context.ts';

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
