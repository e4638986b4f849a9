/** What `warden baseline` prints: the baseline without its rate sketches (their bounds are queried, not listed). */
import type { Baseline, ConvergencePoint, EnvelopeEntry } from '../../core/baseline/types.ts';

export interface BaselineView {
  subject: string;
  status: Baseline['status'];
  statusReason: string;
  version: number;
  updatedAt: string;
  watermark: string;
  envelope: { active: number; aged: number; byLayer: Record<string, number> };
  rateSeries: number;
  convergence: ConvergencePoint[];
  entries: EnvelopeEntry[];
  /** Windows not yet settled that are folded in for this display only (not stored); 0 when none. */
  openWindows: number;
  chart?: string;
}

export function baselineView(b: Baseline, openWindows = 0): BaselineView {
  const byLayer: Record<string, number> = {};
  let active = 0;
  for (const e of b.entries) {
    if (!e.active) continue;
    active++;
    byLayer[e.layer] = (byLayer[e.layer] ?? 0) + 1;
  }
  return {
    subject: b.subject,
    status: b.status,
    statusReason: b.statusReason,
    version: b.version,
    updatedAt: b.updatedAt,
    watermark: b.watermark,
    envelope: { active, aged: b.entries.length - active, byLayer },
    rateSeries: Object.keys(b.rates.series).length,
    convergence: b.convergence,
    entries: b.entries,
    openWindows,
  };
}

/** Human text: status, envelope per layer, the last periods. */
export function baselineText(v: BaselineView, periods = 10): string {
  const lines = [
    `${v.subject}: ${v.status} (${v.statusReason})`,
    `envelope: ${v.envelope.active} active keys, ${v.envelope.aged} aged; ${Object.entries(v.envelope.byLayer)
      .map(([l, n]) => `${l} ${n}`)
      .join(', ')}`,
    `rate envelopes: ${v.rateSeries} series; folded up to ${v.watermark}; version ${v.version}`,
    ...(v.openWindows > 0
      ? [`includes ${v.openWindows} open hourly window(s) after that, shown provisionally (stored once they settle)`]
      : []),
    '',
    'period start          new  returning  aged  envelope  rate    status',
  ];
  for (const p of v.convergence.slice(-periods)) {
    lines.push(
      `${p.start.slice(0, 16)}Z  ${String(p.newKeys).padStart(5)}  ${String(p.returningKeys).padStart(9)}  ${String(p.agedKeys).padStart(4)}  ${String(p.envelopeSize).padStart(8)}  ${`${(p.newKeyRate * 100).toFixed(1)}%`.padStart(6)}  ${p.status}${p.closed ? '' : ' (open)'}`,
    );
  }
  if (v.chart) lines.push('', `chart: ${v.chart}`);
  return lines.join('\n');
}
