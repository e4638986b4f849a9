/**
 * A session's score, in bits of surprise under the agent's benign model: the strongest unexplained finding of each
 * kind (several volume findings of one long session say the same thing once), then the strongest kind plus a quarter
 * of the others (corroboration). One strong reason decides; weak ones of different kinds (a rare tool, a long
 * session) add up slowly, because real agents produce them all the time.
 */
import { FINDING_RULES } from './findings/index.ts';
import type { ModelIndex } from './model.ts';
import { neighbours } from './neighbours.ts';
import type { SinkMarks } from './sinks.ts';
import type { Finding, SessionSummary } from './types.ts';
import type { SessionView } from './view.ts';

/** Weight of every finding but the strongest. */
export const CORROBORATION = 0.25;

/** Runs every finding rule on one session. */
export function sessionFindings(
  ix: ModelIndex,
  s: SessionSummary,
  opts: { view?: SessionView; ex?: SessionSummary; marks?: SinkMarks } = {},
): Finding[] {
  const nb = neighbours(ix, s, opts.ex);
  const ctx = {
    ix,
    s,
    nb,
    marks: opts.marks ?? {},
    ...(opts.view ? { view: opts.view } : {}),
    ...(opts.ex ? { ex: opts.ex } : {}),
  };
  return FINDING_RULES.flatMap((r) => r.evaluate(ctx));
}

/** Bits of a session from its findings (explained findings weigh nothing). */
export function combine(findings: readonly Finding[]): number {
  const byKind = new Map<string, number>();
  for (const f of findings) {
    if (f.explainedBy || f.bits <= 0) continue;
    byKind.set(f.kind, Math.max(byKind.get(f.kind) ?? 0, f.bits));
  }
  let max = 0;
  let sum = 0;
  for (const b of byKind.values()) {
    sum += b;
    if (b > max) max = b;
  }
  return max + CORROBORATION * (sum - max);
}

/**
 * The two families a session is calibrated on separately (each at half the false-positive budget, so together at
 * most the budget): behaviour (new keys, tool usage, volume) and argument provenance. A hijack's values are compared
 * with how the agent's benign sessions take values, not drowned by how varied its benign behaviour is.
 */
export const FAMILIES = ['behaviour', 'provenance'] as const;
export type Family = (typeof FAMILIES)[number];

export function familyOf(f: Finding): Family | undefined {
  if (f.kind === 'provenance') return 'provenance';
  if (f.kind === 'new-key' || f.kind === 'tool-usage' || f.kind === 'volume') return 'behaviour';
  return undefined;
}

/** Bits of each family (see {@link combine}). */
export function familyBits(findings: readonly Finding[]): Record<Family, number> {
  return {
    behaviour: combine(findings.filter((f) => familyOf(f) === 'behaviour')),
    provenance: combine(findings.filter((f) => familyOf(f) === 'provenance')),
  };
}

/** Maps bits to a 0..1 signal score: 4 bits (1 in 16) is 0.5, 8 bits 0.75. */
export function bitsToScore(bits: number): number {
  return bits <= 0 ? 0 : 1 - 2 ** (-bits / 4);
}
