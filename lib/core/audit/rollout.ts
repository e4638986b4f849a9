/**
 * The rollout audit entry: one per rollout transition, appended to the same hash chain as the cross-layer entries so
 * a rollout's history (what was generated, with which content hashes, what the blast radius was, what was decided,
 * which pull request) is tamper-evident too. Pure: lib/app/rollout/record.ts passes the facts of the transition it
 * records.
 *
 * The audit id is derived from (rolloutId, transition name) only, never from the time, so a step retried by Step
 * Functions produces the same id and lib/app/audit `appendAuditEntryOnce` skips it.
 */
import { sha256Hex } from './hash.ts';
import { rolloutAuditIdFor } from './ids.ts';
import {
  AUDIT_SCHEMA,
  type AuditedBlast,
  type RolloutAuditEntry,
  type RolloutPhase,
  type RolloutTransition,
} from './types.ts';

/** Transition steps: the rollout steps that record a transition, plus the two halves of the IAM review. */
export const TRANSITION_STEPS = {
  plan: { phase: 'plan', state: 'running' },
  generate: { phase: 'generate', state: 'generated' },
  'generate-from-staging': { phase: 'generate', state: 'generated' },
  'apply-monitor': { phase: 'monitor', state: 'monitoring' },
  'measure-blast-radius': { phase: 'measure', state: 'measured' },
  enforce: { phase: 'enforce', state: 'enforced' },
  'iam-pull-request-opened': { phase: 'iam-review', state: 'awaiting-review' },
  'iam-pull-request-reviewed': { phase: 'iam-review', state: 'reviewed' },
  rollback: { phase: 'rollback', state: 'rolled-back' },
  'emit-rolled-back': { phase: 'rollback', state: 'rolled-back' },
  'record-done': { phase: 'finish', state: 'completed' },
  'record-stop': { phase: 'finish', state: 'stopped' },
} as const satisfies Record<string, { phase: RolloutPhase; state: string }>;
export type TransitionStep = keyof typeof TRANSITION_STEPS;

const PER_CLASS = new Set<string>(['plan', 'record-done', 'record-stop']);

/** What a rollout step knows about the transition it records (artifact contents are hashed, never kept). */
export interface TransitionFacts {
  rolloutId: string;
  step: string;
  time: string;
  class?: string;
  track?: string;
  /** The subject a per-subject transition (an IAM pull request) is about. */
  subject?: string;
  subjects?: string[];
  artifacts?: { subject: string; baselineVersion: number; files: { path: string; kind: string; content: string }[] }[];
  applied?: string[];
  restored?: string[];
  blast?: AuditedBlast;
  pullRequest?: { number: number; url: string };
  merged?: boolean;
  by?: string;
  detail?: Record<string, number | string | boolean>;
  /** A Step Functions error (`{Error, Cause}`), an Error or text. */
  error?: unknown;
}

export class RolloutAuditInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RolloutAuditInputError';
  }
}

const isStep = (s: string): s is TransitionStep => Object.hasOwn(TRANSITION_STEPS, s);

/**
 * Name of a transition, unique within its rollout: `plan`, `record-done`, `<class>/<track>/<step>` and, for the IAM
 * review, `<class>/<track>/<step>/<subject>` (one pull request per subject).
 * @example rolloutTransitionName({ step: 'enforce', class: 'retrieval', track: 'observe-in-production' })
 */
export function rolloutTransitionName(f: Pick<TransitionFacts, 'step' | 'class' | 'track' | 'subject'>): string {
  if (!isStep(f.step)) throw new RolloutAuditInputError(`unknown rollout transition step ${JSON.stringify(f.step)}`);
  if (PER_CLASS.has(f.step)) return f.step;
  if (!f.class) throw new RolloutAuditInputError(`rollout transition ${f.step} names no class`);
  const parts = [f.class, f.track ?? 'observe-in-production', f.step];
  if (f.step.startsWith('iam-pull-request-')) {
    if (!f.subject) throw new RolloutAuditInputError(`rollout transition ${f.step} names no subject`);
    parts.push(f.subject);
  }
  return parts.join('/');
}

function errorText(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`.slice(0, 500);
  if (e && typeof e === 'object') {
    const o = e as { Error?: unknown; Cause?: unknown };
    if (o.Error !== undefined || o.Cause !== undefined)
      return [o.Error, o.Cause]
        .filter((x) => x !== undefined)
        .map(String)
        .join(': ')
        .slice(0, 500);
    return JSON.stringify(e).slice(0, 500);
  }
  return String(e).slice(0, 500);
}

function decisionOf(f: TransitionFacts, step: TransitionStep): string | undefined {
  switch (step) {
    case 'measure-blast-radius':
      return f.blast ? (f.blast.withinThreshold ? 'enforce' : 'rollback') : undefined;
    case 'iam-pull-request-reviewed':
      return f.merged ? 'merged' : 'closed';
    case 'rollback':
      return 'rollback';
    case 'record-done':
      return 'completed';
    case 'record-stop':
      return 'stopped';
    default:
      return undefined;
  }
}

/**
 * The chain entry of one rollout transition.
 * @example buildRolloutAuditEntry({ rolloutId: 'r-1', step: 'plan', time: now, subjects }, now).id
 *   // 'audit-rollout:r-1/plan'
 */
export function buildRolloutAuditEntry(f: TransitionFacts, builtAt: string): RolloutAuditEntry {
  if (!f.rolloutId) throw new RolloutAuditInputError('rollout transition without a rolloutId');
  if (Number.isNaN(Date.parse(f.time)))
    throw new RolloutAuditInputError(`rollout transition time ${f.time} is not a date`);
  const name = rolloutTransitionName(f);
  const step = f.step as TransitionStep;
  const { phase } = TRANSITION_STEPS[step];
  const subjects = [...new Set([...(f.subjects ?? []), ...(f.subject ? [f.subject] : [])])].sort();
  const decision = decisionOf(f, step);
  const t: RolloutTransition = {
    name,
    step,
    phase,
    state: step === 'iam-pull-request-reviewed' ? (f.merged ? 'merged' : 'closed') : TRANSITION_STEPS[step].state,
    time: f.time,
    ...(f.class ? { class: f.class } : {}),
    ...(f.class && f.track ? { track: f.track } : {}),
    subjects,
    ...(f.artifacts
      ? {
          artifacts: f.artifacts.map((a) => ({
            subject: a.subject,
            baselineVersion: a.baselineVersion,
            files: a.files
              .map((x) => ({ path: x.path, kind: x.kind, sha256: sha256Hex(x.content) }))
              .sort((x, y) => x.path.localeCompare(y.path)),
          })),
        }
      : {}),
    ...(f.applied ? { applied: [...f.applied] } : {}),
    ...(f.restored ? { restored: [...f.restored] } : {}),
    ...(f.blast
      ? {
          blast: {
            source: f.blast.source,
            evaluatedEvents: f.blast.evaluatedEvents,
            wouldDenyEvents: f.blast.wouldDenyEvents,
            perArtifact: Object.fromEntries(
              Object.entries(f.blast.perArtifact).map(([k, v]) => [
                k,
                { wouldDenyEvents: v.wouldDenyEvents, keys: v.keys },
              ]),
            ),
            affectedSubjects: [...f.blast.affectedSubjects].sort(),
            withinThreshold: f.blast.withinThreshold,
            threshold: {
              maxWouldDenyEvents: f.blast.threshold.maxWouldDenyEvents,
              maxWouldDenyRatio: f.blast.threshold.maxWouldDenyRatio,
            },
          },
        }
      : {}),
    ...(decision ? { decision } : {}),
    ...(f.pullRequest
      ? {
          pullRequest: {
            number: f.pullRequest.number,
            url: f.pullRequest.url,
            ...(step === 'iam-pull-request-reviewed' ? { merged: f.merged === true } : {}),
            ...(f.by ? { by: f.by } : {}),
          },
        }
      : {}),
    ...(f.detail && Object.keys(f.detail).length > 0 ? { detail: { ...f.detail } } : {}),
    ...(f.error !== undefined && f.error !== null ? { error: errorText(f.error) } : {}),
  };
  return {
    schema: AUDIT_SCHEMA,
    id: rolloutAuditIdFor(f.rolloutId, name),
    input: f.rolloutId,
    inputType: 'rollout',
    subjects,
    from: f.time,
    to: f.time,
    transition: t,
    builtAt,
  };
}

/**
 * One-line summary of a transition's evidence, for the CLI and the report.
 * @example describeTransition(t) // 'blast radius (production): 2 of 40 events would be denied, over threshold'
 */
export function describeTransition(t: RolloutTransition): string {
  const parts: string[] = [];
  for (const a of t.artifacts ?? []) {
    const files = a.files.map((f) => `${f.path}@${f.sha256.slice(0, 12)}`).join(', ');
    parts.push(`${a.subject} baseline v${a.baselineVersion}: ${files || 'no files'}`);
  }
  if (t.applied) parts.push(`applied ${t.applied.length}: ${t.applied.join(', ') || '-'}`);
  if (t.restored) parts.push(`restored ${t.restored.length}: ${t.restored.join(', ') || '-'}`);
  if (t.blast)
    parts.push(
      `blast radius (${t.blast.source}): ${t.blast.wouldDenyEvents} of ${t.blast.evaluatedEvents} events would be denied, ${t.blast.withinThreshold ? 'within' : 'over'} threshold (${Object.entries(
        t.blast.perArtifact,
      )
        .map(([k, v]) => `${k} ${v.wouldDenyEvents}`)
        .join(', ')})`,
    );
  if (t.pullRequest)
    parts.push(
      `PR #${t.pullRequest.number} ${t.pullRequest.url}${t.pullRequest.merged === undefined ? '' : t.pullRequest.merged ? ' merged' : ' closed'}${t.pullRequest.by ? ` by ${t.pullRequest.by}` : ''}`,
    );
  if (t.detail)
    parts.push(
      Object.entries(t.detail)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(' '),
    );
  if (t.error) parts.push(`error: ${t.error}`);
  return parts.join('; ');
}
