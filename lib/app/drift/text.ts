/**
 * Drift as a security engineer reads it in a terminal: the period's counts, each agent's calibration (or why it has
 * none), then each item with its calibrated rate and reasons, strongest first; and the JSON shape of a session
 * verdict (without the observations the drift item's evidence already points to).
 */
import type { Calibration, SessionVerdict } from '../../core/drift/session/types.ts';
import type { DriftObject } from '../../core/drift/types.ts';
import type { DriftRun } from './service.ts';

/** Reasons printed per item. */
const REASONS = 4;

const pct = (x: number) => `${Number((x * 100).toPrecision(2))}%`;

/** One line about an agent's calibration. */
export function calibrationText(c: Calibration): string {
  if (c.method === 'insufficient-history')
    return `${c.subject}  ${c.note ?? 'insufficient history'} (judged by the cold-start rule only)`;
  return `${c.subject}  ${c.method} over ${c.sessions} benign sessions (${Math.round(c.spanDays)} days): thresholds ${c.threshold} bits behaviour, ${c.provenanceThreshold} bits argument provenance`;
}

function rateText(d: DriftObject): string {
  const c = d.calibration;
  if (!c) return '';
  if (c.pValue === undefined) return `  ${c.method === 'insufficient-history' ? 'cold-start rule' : c.method}`;
  return `  calibrated rate ${pct(c.pValue)} (budget ${pct(c.budget)}, ${c.method})`;
}

function itemLines(d: DriftObject): string[] {
  const who = d.sessions?.length
    ? d.sessions.length === 1
      ? `session ${d.sessions[0]}`
      : `${d.sessions.length} sessions`
    : 'window';
  const head = `${d.from.slice(0, 16).replace('T', ' ')}  ${d.classification.padEnd(9)} ${d.score.toFixed(2)}  ${d.subject}  ${who}${rateText(d)}`;
  const lines = [head];
  const reasons = (d.reasons ?? []).filter((r) => r.bits > 0 || r.explainedBy).slice(0, REASONS);
  if (reasons.length > 0)
    for (const r of reasons) lines.push(`    - ${r.text}${r.explainedBy ? ` [explained by ${r.explainedBy}]` : ''}`);
  else lines.push(`    ${d.summary}`);
  if (d.auditId && d.classification === 'risky') lines.push(`    audit entry: ${d.auditId}`);
  if (d.related?.length) lines.push(`    related: ${d.related.join(', ')}`);
  return lines;
}

function counts(sessions: readonly SessionVerdict[]): string {
  const by = new Map<string, number>();
  for (const v of sessions) by.set(v.verdict, (by.get(v.verdict) ?? 0) + 1);
  const order = ['risky', 'evolution', 'normal', 'insufficient-history'] as const;
  return order
    .filter((k) => by.has(k))
    .map((k) => `${by.get(k)} ${k === 'insufficient-history' ? 'with insufficient history' : k}`)
    .join(', ');
}

/** The human text of a drift run. */
export function driftText(run: DriftRun, opts: { sessions?: boolean; chart?: string } = {}): string {
  const risky = run.items.filter((d) => d.classification === 'risky').length;
  const lines = [
    `drift ${run.from.slice(0, 10)} .. ${run.to.slice(0, 10)}: ${run.items.length - risky} expected evolution, ${risky} risky (${run.deploys.length} deploy events)`,
    `sessions judged: ${run.sessions.length}${run.sessions.length ? ` (${counts(run.sessions)})` : ''}`,
  ];
  if (run.calibrations.length > 0) {
    const budget = run.calibrations[0]!.budget;
    lines.push(`calibration (false-positive budget ${pct(budget)}):`);
    for (const c of run.calibrations) lines.push(`  ${calibrationText(c)}`);
  }
  const items = [...run.items].sort((a, b) =>
    a.classification === b.classification ? a.from.localeCompare(b.from) : a.classification === 'risky' ? -1 : 1,
  );
  for (const d of items) lines.push(...itemLines(d));
  if (opts.sessions) {
    lines.push('sessions:');
    for (const v of run.sessions) {
      const rate = v.pValue !== undefined ? ` rate ${pct(v.pValue)}` : '';
      lines.push(
        `  ${v.start.slice(0, 16).replace('T', ' ')}  ${v.verdict.padEnd(20)} ${v.bits.toFixed(1).padStart(5)} bits${rate}  ${v.subject}  ${v.session}${v.reasons[0] && v.reasons[0].bits > 0 ? `  ${v.reasons[0].text}` : ''}`,
      );
    }
  }
  if (opts.chart) lines.push(`chart: ${opts.chart}`);
  return lines.join('\n');
}

/** A session verdict as `warden drift --sessions --json` lists it. */
export function sessionVerdictJson(v: SessionVerdict): Omit<SessionVerdict, 'findings' | 'summary'> {
  const { findings: _f, summary: _s, ...rest } = v;
  return rest;
}
