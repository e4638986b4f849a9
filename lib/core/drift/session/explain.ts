/**
 * Deploy correlation of a session's findings (the rules of ../explain.ts): a new key, a volume within the ratio, a new
 * order or an unusual use of known tools is expected evolution when a consistent deploy of the subject happened in
 * the window before the session; keys a deploy explained stay accepted (the model has not seen them often yet).
 * Argument provenance, sensitive arguments and secrets are never explained by a deploy.
 */
import type { DeployEvent } from '../../deploy-events/types.ts';
import { explains } from '../explain.ts';
import type { Change, DriftOptions } from '../types.ts';
import { type ModelIndex, sessionsWith } from './model.ts';
import type { Finding } from './types.ts';

/**
 * Clock skew allowed between a deploy's record and the session's traces (CloudTrail records a deploy when its last
 * call completed; the window-level rule allows the same hour).
 */
export const DEPLOY_SKEW_MS = 3_600_000;

/** A deploy in the window before the session, during it, or within the skew after it. */
function applicable(d: DeployEvent, startMs: number, endMs: number, windowMs: number): boolean {
  const t = Date.parse(d.time);
  return t <= endMs + DEPLOY_SKEW_MS && t >= startMs - windowMs;
}

/**
 * Marks the findings a deploy explains (`explainedBy`), new keys first. Returns the keys newly accepted (key ->
 * deploy id).
 */
export function explainFindings(
  findings: Finding[],
  deploys: readonly DeployEvent[],
  ix: ModelIndex,
  startMs: number,
  endMs: number,
  opts: DriftOptions,
): Record<string, string> {
  const accepted: Record<string, string> = {};
  const known = (k: string) => sessionsWith(ix, k) > 0 || k in ix.model.accepted;
  const explainedKeys = new Set<string>();
  const near = deploys.filter((d) => applicable(d, startMs, endMs, opts.deployWindowMs));
  const ordered = [...findings].sort((a, b) => (a.kind === 'new-key' ? 0 : 1) - (b.kind === 'new-key' ? 0 : 1));
  for (const f of ordered) {
    if (f.unexplainable) continue;
    if (f.kind === 'tool-usage' && ix.model.accepted[f.key]) {
      f.explainedBy = ix.model.accepted[f.key];
      continue;
    }
    const change: Change | undefined =
      f.change ??
      (f.kind === 'tool-usage'
        ? {
            type: 'sequence',
            key: f.key,
            layer: 'tool',
            window: new Date(startMs).toISOString(),
            observed: 1,
            expectedUpper: 0,
            transition: [f.key, f.key],
          }
        : undefined);
    if (!change) continue;
    const d = near.find((x) => explains(x, change, known, explainedKeys, opts));
    if (!d) continue;
    f.explainedBy = d.id;
    if (f.kind === 'new-key') {
      explainedKeys.add(f.key);
      accepted[f.key] = d.id;
    }
  }
  return accepted;
}
