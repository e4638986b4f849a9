/**
 * The blast radius of a class: the evaluation window (never the generation window), the artifacts generated for
 * each subject (kept for the rollout in the store, cached in this process), and the measurement over the window.
 */
import type { ObservedBehavior } from '../../core/reconcile/types.ts';
import { type BlastRadius, blastRadius, type MonitoredArtifacts } from '../../core/rollout/blast-radius.ts';
import type { GeneratedArtifacts, TimeRange } from '../../ports.ts';
import { DEFAULT_EVALUATION, type EvaluationMode, type RolloutDeps } from './deps.ts';
import { ROLLOUT_KIND } from './record.ts';
import type { ClassInput } from './schemas.ts';

/** The start of the hour `ms` falls in (aggregates are hourly), as ISO. */
export const hourFloor = (ms: number) => new Date(Math.floor(ms / 3_600_000) * 3_600_000).toISOString();

/** The rollout's evaluation mode (recorded at plan time); the pre-enforced track has no monitor phase: held out. */
export async function evaluationOf(
  deps: RolloutDeps,
  ci: Pick<ClassInput, 'rolloutId' | 'track'>,
): Promise<EvaluationMode> {
  const doc = await deps.store.getDoc<{ evaluation?: EvaluationMode }>(ROLLOUT_KIND, 'global', ci.rolloutId);
  const ev = doc?.body.evaluation ?? DEFAULT_EVALUATION;
  return ci.track === 'pre-enforced' ? { ...ev, mode: 'held-out' } : ev;
}

/**
 * The blast radius window: from the end of the generation data (held out) or from when the monitor artifacts were
 * applied, whichever is later, to now. It never reaches back into the data the artifacts came from.
 */
export async function evaluationWindow(
  deps: RolloutDeps,
  ci: ClassInput,
): Promise<TimeRange & { mode: EvaluationMode['mode'] }> {
  const ev = await evaluationOf(deps, ci);
  const now = deps.now();
  const generatedUntil = ci.artifacts?.generatedUntil ?? now;
  if (ev.mode === 'held-out') return { from: generatedUntil, to: now, mode: ev.mode };
  const applied = ci.monitor?.completedAt ?? now;
  return { from: applied > generatedUntil ? applied : generatedUntil, to: now, mode: ev.mode };
}

/** Replays the range's observations of every subject of the class against its monitored artifacts. */
export async function measure(
  deps: RolloutDeps,
  ci: ClassInput,
  range: TimeRange,
): Promise<{ b: BlastRadius; inputs: { artifacts: MonitoredArtifacts; window: ObservedBehavior[] }[] }> {
  const source = ci.artifacts?.source ?? 'production';
  const inputs = [];
  for (const s of ci.subjects) {
    const g = await loadGenerated(deps, ci.rolloutId, s);
    // Only events strictly after the generation data: aggregates are hourly, so the range starts on an hour.
    const window = (await deps.artifacts.window(s, source, range)).filter((w) => w.lastSeen >= range.from);
    inputs.push({ artifacts: g.monitored, window });
  }
  const leases = deps.artifacts.leases ? await deps.artifacts.leases(range) : [];
  return { b: blastRadius(inputs, leases), inputs };
}

const generated = new Map<string, GeneratedArtifacts>();

/** Keeps the artifacts generated for a subject of a rollout for the later steps run by this process. */
export function rememberGenerated(rolloutId: string, subject: string, g: GeneratedArtifacts): void {
  generated.set(genKey(rolloutId, subject), g);
}

const genKey = (rolloutId: string, subject: string) => `${rolloutId}\u0000${subject}`;

/** The artifacts generated for a subject of a rollout: this process's copy, else the rollout's stored one. */
export async function loadGenerated(
  deps: RolloutDeps,
  rolloutId: string,
  subject: string,
): Promise<GeneratedArtifacts> {
  const cached = generated.get(genKey(rolloutId, subject));
  if (cached) return cached;
  const doc = await deps.store.getDoc<GeneratedArtifacts>('rollout-artifacts', rolloutId, subject);
  if (!doc) throw new Error(`no generated artifacts for ${subject} in rollout ${rolloutId}`);
  return doc.body;
}

/** The manifests applied in a phase: network policies in both, the seccomp files of that phase. */
export const manifestsOf = (g: GeneratedArtifacts, mode: 'monitor' | 'enforce') =>
  g.files
    .filter((f) =>
      f.kind === 'network-policy' || f.kind === 'cilium-network-policy'
        ? true
        : f.kind === 'seccomp-profile-crd' || f.kind === 'seccomp-binding'
          ? f.path.includes(`.${mode}.`)
          : false,
    )
    .map((f) => ({ path: f.path, content: f.content }));
