/**
 * The convergence status rule, applied to the closed periods of a baseline. Only periods with observations count: an
 * idle weekend neither proves nor disproves stability.
 * - `learning`   fewer than `minPeriods` such periods;
 * - `stable`     each of the last `stablePeriods` has newKeyRate <= `stableRate`;
 * - `unstable`   each of the last `stablePeriods` has newKeyRate >= `unstableRate`;
 * - `converging` otherwise (new behavior still appears, but not at the churn rate).
 */
import type { BaselineConfig, BaselineStatus, ConvergencePoint } from './types.ts';

export interface StatusVerdict {
  status: BaselineStatus;
  reason: string;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

/** Status after the given points (only closed points with observations are considered). */
export function convergenceStatus(points: readonly ConvergencePoint[], cfg: BaselineConfig): StatusVerdict {
  const active = points.filter((p) => p.closed && p.observations > 0);
  if (active.length < Math.max(cfg.minPeriods, 1)) {
    return {
      status: 'learning',
      reason: `${active.length} of ${cfg.minPeriods} periods with observations needed before judging convergence`,
    };
  }
  const k = Math.max(cfg.stablePeriods, 1);
  const last = active.slice(-k);
  const rates = last.map((p) => pct(p.newKeyRate)).join(', ');
  if (last.length >= k && last.every((p) => p.newKeyRate <= cfg.stableRate)) {
    return { status: 'stable', reason: `new-key rate <= ${pct(cfg.stableRate)} in the last ${k} periods (${rates})` };
  }
  if (last.length >= k && last.every((p) => p.newKeyRate >= cfg.unstableRate)) {
    return {
      status: 'unstable',
      reason: `new-key rate >= ${pct(cfg.unstableRate)} in the last ${k} periods (${rates})`,
    };
  }
  return {
    status: 'converging',
    reason: `new-key rate in the last ${last.length} periods (${rates}) not yet <= ${pct(cfg.stableRate)} for ${k} periods in a row`,
  };
}
