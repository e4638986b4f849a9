/**
 * The rollout steps: what each Task state of the rollout definition (lib/core/rollout/definition.ts) does. The
 * same handlers run in the AWS worker Lambda, in the local runner (aws-local-stepfunctions) and in tests; all I/O
 * goes through the ports in {@link RolloutDeps}.
 *
 * Safety rules enforced here, not only by the state machine's shape:
 * - `enforce` refuses a class whose monitor phase did not complete with a measured blast radius within threshold
 *   (pre-enforced classes: measured against the staging baseline's window);
 * - a rollout takes a per-class lock (a store document with optimistic versioning); a second rollout for a class
 *   that is running is refused;
 * - every transition is written to the store (`rollout-transition` documents) and appended to the tamper-evident
 *   audit chain (a rollout audit entry, lib/core/audit/rollout.ts) before the step returns; the chain append is
 *   idempotent per (rollout, transition), so a step retried by Step Functions leaves one chain record.
 */
import { appendAuditEntryOnce } from '../audit/service.ts';
import { type IamBodyContext, iamPullRequestBody, policyFileName } from '../core/artifacts/iam-pr.ts';
import type { ArtifactFile } from '../core/artifacts/types.ts';
import { buildRolloutAuditEntry, rolloutTransitionName, type TransitionFacts } from '../core/audit/rollout.ts';
import type { ObservedBehavior } from '../core/reconcile/types.ts';
import {
  type BlastRadius,
  blastRadius,
  DEFAULT_THRESHOLD,
  type MonitoredArtifacts,
  type PodLease,
  type Threshold,
  withinThreshold,
} from '../core/rollout/blast-radius.ts';
import type { RolloutStep } from '../core/rollout/definition.ts';
import { planClasses } from '../core/rollout/plan.ts';
import type { ClusterApplier, EventSink, PullRequestRef, PullRequests, Store } from '../ports.ts';
import {
  type ClassInput,
  classInputSchema,
  parseStepInput,
  type RolloutInput,
  recordInputSchema,
  rolloutInputSchema,
} from './schemas.ts';

export type { ClassInput, RolloutInput };

export interface GeneratedArtifacts {
  subject: string;
  baselineVersion: number;
  files: ArtifactFile[];
  monitored: MonitoredArtifacts;
  /** Only data before this time went into the artifacts. */
  generatedUntil?: string;
  /** What the IAM pull request body is rendered from (window, per-action counts, coverage, validation, diff). */
  iam?: IamBodyContext;
}

export interface TimeRange {
  from: string;
  to: string;
}

/** Where artifacts and evaluation windows come from (lib/artifacts in production; tables in tests). */
export interface ArtifactProvider {
  /** Artifacts from the data before `until` (default: all data up to now). */
  generate(subject: string, source: 'production' | 'staging', opts?: { until?: string }): Promise<GeneratedArtifacts>;
  /** Observations of the evaluation window for the subject (for pre-enforced: the staging subject's). */
  window(subject: string, source: 'production' | 'staging', range: TimeRange): Promise<ObservedBehavior[]>;
  /** Pod IP leases held during the range (to match NetworkPolicy selector peers); none when not known. */
  leases?(range: TimeRange): Promise<PodLease[]>;
}

/** Finds the repository file that holds a policy today, so the pull request changes that file. */
export interface PolicyFileLocator {
  locate(policy: { id: string; name: string; kind: string; document: unknown }): Promise<string | undefined>;
}

/**
 * How the blast radius window is chosen. `after-monitor`: the events after the monitor artifacts were applied (the
 * rollout waits `observationSeconds`); `held-out`: the last `holdoutDays` before now are held out of generation and
 * replayed (local runs, and the pre-enforced track, which has no monitor phase). Never the generation window.
 */
export interface EvaluationMode {
  mode: 'after-monitor' | 'held-out';
  holdoutDays: number;
}
export const DEFAULT_EVALUATION: EvaluationMode = { mode: 'after-monitor', holdoutDays: 7 };

/** Waits for the review of an IAM pull request: merged or closed. In AWS the webhook answers the task token. */
export interface ReviewGate {
  awaitReview(pr: PullRequestRef): Promise<{ merged: boolean; by?: string }>;
}

export interface RolloutDeps {
  store: Store;
  artifacts: ArtifactProvider;
  applier: ClusterApplier;
  pullRequests: PullRequests;
  reviews: ReviewGate;
  events: EventSink;
  now: () => string;
  /** Finds where the IAM policies live in the repository the pull requests go to. */
  policyFiles?: PolicyFileLocator;
}

export interface BlastSummary extends Omit<BlastRadius, 'wouldDeny'> {
  withinThreshold: boolean;
  threshold: Threshold;
  source: 'production' | 'staging';
  /** The evaluation window: disjoint from the generation window (it starts at or after `generatedUntil`). */
  window: TimeRange & { mode: EvaluationMode['mode'] };
  generatedUntil: string;
  /** Why the class is or is not enforced, in one line. */
  verdict: string;
}

/** What recording a transition needs (the review callbacks have no artifacts, applier or repositories). */
export type StoreDeps = Pick<RolloutDeps, 'store' | 'now'>;

export class RolloutRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Warden.RolloutRefused';
  }
}

const TRANSITION_KIND = 'rollout-transition';
const TRANSITION_MARKER_KIND = 'rollout-transition-key';
export const ROLLOUT_KIND = 'rollout';
const LOCK_KIND = 'rollout-lock';

type AuditFacts = Omit<TransitionFacts, 'rolloutId' | 'step' | 'time'>;

/**
 * Records a transition: the store document (`detail` as the status views read it), then the audit chain entry.
 * Idempotent per (rollout, transition name), like the chain: a marker document names the transition's document id
 * and time before the document is written, so a step retried by Step Functions (or resumed after a crash between
 * the two writes) finds the marker and writes nothing new; the first attempt's record stands in both places.
 */
async function transition(
  deps: StoreDeps,
  rolloutId: string,
  step: string,
  detail: Record<string, unknown>,
  audit: AuditFacts,
): Promise<void> {
  const name = rolloutTransitionName({ step, ...audit });
  const marker = await deps.store.getDoc<{ docId: string; time: string }>(TRANSITION_MARKER_KIND, rolloutId, name);
  let time: string;
  if (marker) {
    time = marker.body.time;
    const written = await deps.store.getDoc(TRANSITION_KIND, rolloutId, marker.body.docId);
    if (!written)
      await deps.store.putDoc(TRANSITION_KIND, rolloutId, marker.body.docId, { rolloutId, step, time, ...detail });
  } else {
    time = deps.now();
    // Document ids sort by time; the counter orders transitions recorded in the same millisecond.
    const docId = `${time}#${String(process.hrtime.bigint()).padStart(24, '0')}`;
    await deps.store.putDoc(TRANSITION_MARKER_KIND, rolloutId, name, { docId, time });
    await deps.store.putDoc(TRANSITION_KIND, rolloutId, docId, { rolloutId, step, time, ...detail });
  }
  await appendAuditEntryOnce(deps.store, buildRolloutAuditEntry({ rolloutId, step, time, ...audit }, time));
}

const classFacts = (ci: ClassInput): AuditFacts => ({ class: ci.class, track: ci.track, subjects: ci.subjects });

/** Transitions recorded for a rollout, oldest first. */
export async function transitions(store: Store, rolloutId: string): Promise<Record<string, unknown>[]> {
  return (await store.listDocs<Record<string, unknown>>(TRANSITION_KIND, rolloutId)).map((d) => d.body);
}

async function lockClass(deps: RolloutDeps, cls: string, rolloutId: string): Promise<void> {
  const cur = await deps.store.getDoc<{ rolloutId: string; state: string }>(LOCK_KIND, cls, 'lock');
  if (cur && cur.body.state === 'running' && cur.body.rolloutId !== rolloutId) {
    throw new RolloutRefused(`class ${cls} already has a running rollout (${cur.body.rolloutId})`);
  }
  await deps.store.putDoc(
    LOCK_KIND,
    cls,
    'lock',
    { rolloutId, state: 'running', since: deps.now() },
    {
      expectVersion: cur?.version ?? 0,
    },
  );
}

async function unlockClass(deps: StoreDeps, cls: string, rolloutId: string, state: string): Promise<void> {
  const cur = await deps.store.getDoc<{ rolloutId: string }>(LOCK_KIND, cls, 'lock');
  if (cur && cur.body.rolloutId === rolloutId) {
    await deps.store.putDoc(
      LOCK_KIND,
      cls,
      'lock',
      { rolloutId, state, since: deps.now() },
      { expectVersion: cur.version },
    );
  }
}

const hourFloor = (ms: number) => new Date(Math.floor(ms / 3_600_000) * 3_600_000).toISOString();

/** The rollout's evaluation mode (recorded at plan time); the pre-enforced track has no monitor phase: held out. */
async function evaluationOf(deps: RolloutDeps, ci: Pick<ClassInput, 'rolloutId' | 'track'>): Promise<EvaluationMode> {
  const doc = await deps.store.getDoc<{ evaluation?: EvaluationMode }>(ROLLOUT_KIND, 'global', ci.rolloutId);
  const ev = doc?.body.evaluation ?? DEFAULT_EVALUATION;
  return ci.track === 'pre-enforced' ? { ...ev, mode: 'held-out' } : ev;
}

/**
 * The blast radius window: from the end of the generation data (held out) or from when the monitor artifacts were
 * applied, whichever is later, to now. It never reaches back into the data the artifacts came from.
 */
async function evaluationWindow(
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

async function measure(
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
const genKey = (rolloutId: string, subject: string) => `${rolloutId}\u0000${subject}`;

async function loadGenerated(deps: RolloutDeps, rolloutId: string, subject: string): Promise<GeneratedArtifacts> {
  const cached = generated.get(genKey(rolloutId, subject));
  if (cached) return cached;
  const doc = await deps.store.getDoc<GeneratedArtifacts>('rollout-artifacts', rolloutId, subject);
  if (!doc) throw new Error(`no generated artifacts for ${subject} in rollout ${rolloutId}`);
  return doc.body;
}

const manifestsOf = (g: GeneratedArtifacts, mode: 'monitor' | 'enforce') =>
  g.files
    .filter((f) =>
      f.kind === 'network-policy' || f.kind === 'cilium-network-policy'
        ? true
        : f.kind === 'seccomp-profile-crd' || f.kind === 'seccomp-binding'
          ? f.path.includes(`.${mode}.`)
          : false,
    )
    .map((f) => ({ path: f.path, content: f.content }));

export interface IamReviewResult {
  subject: string;
  pr?: PullRequestRef;
  merged?: boolean;
  by?: string;
  skipped?: string;
}

/** The monitor window's IAM figures for one subject, as the pull request body shows them. */
function monitorFigures(ci: ClassInput, subject: string): IamBodyContext['monitor'] {
  const iam = ci.blast?.perArtifact.iam;
  if (!ci.blast || !iam) return undefined;
  return {
    measured: iam.measured,
    window: ci.blast.window,
    evaluatedEvents: iam.evaluatedEvents,
    wouldDenyEvents: iam.wouldDenyEvents,
    examples: iam.examples
      .filter((e) => e.subject === subject)
      .map((e) => ({ key: e.key, count: e.count, reason: e.reason })),
  };
}

/**
 * Opens one IAM pull request per subject with a tightening. Each replacement document goes to the file that holds
 * the policy today when the repository has one (found by content); otherwise under `iam/<subject>/`, and the body
 * says exactly which policy to replace or detach.
 */
export async function openIamPullRequests(ci: ClassInput, deps: RolloutDeps): Promise<IamReviewResult[]> {
  const out: IamReviewResult[] = [];
  for (const s of ci.subjects) {
    const g = await loadGenerated(deps, ci.rolloutId, s);
    const policies = g.files.filter((f) => f.kind === 'iam-policy');
    const diff = g.files.find((f) => f.kind === 'iam-diff');
    if (policies.length === 0) {
      out.push({ subject: s, skipped: 'no IAM tightening for this subject' });
      continue;
    }
    if (g.iam?.validation && !g.iam.validation.ok) {
      out.push({ subject: s, skipped: 'the IAM tightening failed validation; no pull request opened' });
      continue;
    }
    const name = s.replace(/[^A-Za-z0-9-]+/g, '-');
    const locations: Record<string, string> = {};
    for (const p of g.iam?.tightening.policies ?? []) {
      const current = p.replaces ? g.iam?.role?.policies.find((x) => x.id === p.replaces!.id) : undefined;
      const at = current && deps.policyFiles ? await deps.policyFiles.locate(current) : undefined;
      if (at && p.replaces) locations[p.replaces.id] = at;
    }
    const located = new Map(
      (g.iam?.tightening.policies ?? [])
        .filter((p) => p.replaces && locations[p.replaces.id])
        .map((p) => [policyFileName(s, p), locations[p.replaces!.id]!]),
    );
    const files = policies.map((p) => ({ path: located.get(p.path) ?? `iam/${name}/${p.path}`, content: p.content }));
    const blastLine = ci.blast ? `Blast radius: ${ci.blast.verdict}.` : 'Blast radius: not measured.';
    const body = g.iam
      ? iamPullRequestBody({ ...g.iam, locations, ...(ci.blast ? { monitor: monitorFigures(ci, s) } : {}) })
      : (diff?.content ?? '');
    const trailer = `${blastLine} Baseline version ${g.baselineVersion}. Generated by Warden rollout ${ci.rolloutId}.`;
    const pr = await deps.pullRequests.open({
      branch: `warden/${ci.rolloutId}/${name}`,
      title: `Warden: tighten IAM for ${s}`,
      body: `${body}\n${trailer}\n`,
      files,
    });
    await transition(
      deps,
      ci.rolloutId,
      'iam-pull-request-opened',
      { class: ci.class, subject: s, pr },
      { ...classFacts(ci), subjects: [s], subject: s, pullRequest: pr },
    );
    out.push({ subject: s, pr });
  }
  return out;
}

/** Records the reviews (merged or closed) and releases the class. */
export async function completeIamReview(
  ci: ClassInput,
  results: IamReviewResult[],
  deps: StoreDeps,
): Promise<{ pullRequests: IamReviewResult[] }> {
  for (const r of results) {
    if (r.pr)
      await transition(
        deps,
        ci.rolloutId,
        'iam-pull-request-reviewed',
        { class: ci.class, ...r },
        {
          ...classFacts(ci),
          subjects: [r.subject],
          subject: r.subject,
          pullRequest: r.pr,
          merged: r.merged === true,
          ...(r.by ? { by: r.by } : {}),
        },
      );
  }
  await unlockClass(deps, ci.class, ci.rolloutId, 'enforced');
  return { pullRequests: results };
}

/** Runs one rollout step. `input` is the state's input (the MessageBody `input` in AWS). */
export async function runStep(step: RolloutStep, input: unknown, deps: RolloutDeps): Promise<unknown> {
  switch (step) {
    case 'plan': {
      const ri = parseStepInput(rolloutInputSchema, step, input);
      const classes = planClasses(ri.subjects);
      for (const c of classes) await lockClass(deps, c.class, ri.rolloutId);
      await deps.store.putDoc(ROLLOUT_KIND, 'global', ri.rolloutId, {
        rolloutId: ri.rolloutId,
        state: 'running',
        startedAt: deps.now(),
        evaluation: ri.evaluation ?? DEFAULT_EVALUATION,
        classes: classes.map((c) => ({ ...c, state: 'pending' })),
      });
      await transition(
        deps,
        ri.rolloutId,
        'plan',
        { classes: classes.map((c) => c.class) },
        {
          subjects: classes.flatMap((c) => c.subjects),
          detail: { classes: classes.map((c) => `${c.class}[${c.track}]`).join(', ') },
        },
      );
      return { classes };
    }
    case 'generate':
    case 'generate-from-staging': {
      const ci = parseStepInput(classInputSchema, step, input);
      const source = step === 'generate' ? 'production' : 'staging';
      const out: NonNullable<ClassInput['artifacts']>['subjects'] = [];
      const audited: NonNullable<TransitionFacts['artifacts']> = [];
      const ev = await evaluationOf(deps, ci);
      // Held out: generation stops an evaluation window before now, so the blast radius replays unseen data.
      const generatedUntil =
        ev.mode === 'held-out' ? hourFloor(Date.parse(deps.now()) - ev.holdoutDays * 86_400_000) : deps.now();
      for (const s of ci.subjects) {
        const g = await deps.artifacts.generate(s, source, ev.mode === 'held-out' ? { until: generatedUntil } : {});
        generated.set(genKey(ci.rolloutId, s), g);
        await deps.store.putDoc('rollout-artifacts', ci.rolloutId, s, g);
        out.push({ subject: s, baselineVersion: g.baselineVersion, files: g.files.map((f) => f.path) });
        audited.push({ subject: s, baselineVersion: g.baselineVersion, files: g.files });
      }
      await transition(
        deps,
        ci.rolloutId,
        step,
        { class: ci.class, subjects: out },
        { ...classFacts(ci), artifacts: audited, detail: { source, generatedUntil } },
      );
      return { subjects: out, source, generatedUntil };
    }
    case 'apply-monitor': {
      const ci = parseStepInput(classInputSchema, step, input);
      const applied: string[] = [];
      for (const s of ci.subjects) {
        const g = await loadGenerated(deps, ci.rolloutId, s);
        applied.push(...(await deps.applier.apply(s, 'monitor', manifestsOf(g, 'monitor'))).applied);
      }
      await transition(deps, ci.rolloutId, step, { class: ci.class, applied }, { ...classFacts(ci), applied });
      return { applied, completedAt: deps.now() };
    }
    case 'measure-blast-radius': {
      const ci = parseStepInput(classInputSchema, step, input);
      const source = ci.artifacts?.source ?? 'production';
      const range = await evaluationWindow(deps, ci);
      const { b, inputs: _i } = await measure(deps, ci, range);
      const threshold = ci.threshold ?? DEFAULT_THRESHOLD;
      const { wouldDeny: _all, ...rest } = b;
      const within = withinThreshold(b, threshold);
      const span = `${range.from} – ${range.to}`;
      const verdict = !b.measured
        ? `not measured: no ${b.notMeasured.join('/') || 'relevant'} events in ${span} (${range.mode} window); enforcement refused`
        : `${b.wouldDenyEvents} of ${b.evaluatedEvents} events in ${span} (${range.mode} window) would be denied: ${within ? 'within' : 'over'} threshold`;
      const summary: BlastSummary = {
        ...rest,
        withinThreshold: within,
        threshold,
        source,
        window: range,
        generatedUntil: ci.artifacts?.generatedUntil ?? range.from,
        verdict,
      };
      await transition(
        deps,
        ci.rolloutId,
        step,
        { class: ci.class, blast: summary },
        { ...classFacts(ci), blast: summary },
      );
      return summary;
    }
    case 'enforce': {
      const ci = parseStepInput(classInputSchema, step, input);
      if (!ci.blast) throw new RolloutRefused(`class ${ci.class}: no measured blast radius; refusing to enforce`);
      if (!ci.blast.measured)
        throw new RolloutRefused(
          `class ${ci.class}: blast radius not measured (${ci.blast.verdict}); refusing to enforce`,
        );
      if (!ci.blast.withinThreshold)
        throw new RolloutRefused(`class ${ci.class}: blast radius over threshold; refusing to enforce`);
      if (ci.track !== 'pre-enforced' && !ci.monitor) {
        throw new RolloutRefused(`class ${ci.class}: monitor phase did not complete; refusing to enforce`);
      }
      const applied: string[] = [];
      for (const s of ci.subjects) {
        const g = await loadGenerated(deps, ci.rolloutId, s);
        applied.push(...(await deps.applier.apply(s, 'enforce', manifestsOf(g, 'enforce'))).applied);
      }
      await transition(deps, ci.rolloutId, step, { class: ci.class, applied }, { ...classFacts(ci), applied });
      return { applied };
    }
    case 'iam-pull-request': {
      const ci = parseStepInput(classInputSchema, step, input);
      const opened = await openIamPullRequests(ci, deps);
      const reviewed: IamReviewResult[] = [];
      for (const o of opened) {
        if (!o.pr) {
          reviewed.push(o);
          continue;
        }
        const review = await deps.reviews.awaitReview(o.pr);
        reviewed.push({ ...o, merged: review.merged, ...(review.by ? { by: review.by } : {}) });
      }
      return completeIamReview(ci, reviewed, deps);
    }
    case 'rollback': {
      const ci = parseStepInput(classInputSchema, step, input);
      const restored: string[] = [];
      for (const s of ci.subjects) restored.push(...(await deps.applier.rollback(s)).restored);
      await transition(deps, ci.rolloutId, step, { class: ci.class, restored }, { ...classFacts(ci), restored });
      await unlockClass(deps, ci.class, ci.rolloutId, 'rolled-back');
      return { restored };
    }
    case 'emit-rolled-back': {
      const ci = parseStepInput(classInputSchema, step, input);
      const range = ci.blast?.window ?? (await evaluationWindow(deps, ci));
      const denied = (await measure(deps, ci, range)).b.wouldDeny;
      const detail = {
        rolloutId: ci.rolloutId,
        class: ci.class,
        subjects: ci.subjects,
        wouldDenyEvents: ci.blast?.wouldDenyEvents ?? 0,
        threshold: ci.threshold ?? DEFAULT_THRESHOLD,
        wouldBeDenied: denied.map((d) => ({
          subject: d.subject,
          kind: d.kind,
          key: d.key,
          count: d.count,
          reason: d.reason,
        })),
      };
      await deps.events.publish([
        { source: 'warden', detailType: 'Warden Rollout Rolled Back', detail, time: deps.now() },
      ]);
      await transition(
        deps,
        ci.rolloutId,
        step,
        { class: ci.class, wouldBeDenied: detail.wouldBeDenied.length },
        { ...classFacts(ci), detail: { wouldBeDenied: detail.wouldBeDenied.length, published: true } },
      );
      return { published: true, wouldBeDenied: detail.wouldBeDenied.length };
    }
    case 'record-stop':
    case 'record-done': {
      const rec = parseStepInput(recordInputSchema, step, input);
      const id = rec.rolloutId;
      const doc = await deps.store.getDoc<Record<string, unknown>>(ROLLOUT_KIND, 'global', id);
      const state = step === 'record-done' ? 'completed' : 'stopped';
      const classes = rec.classes ?? [];
      // Classes whose window held no events ended without enforcement: named, so "completed" hides nothing.
      const notMeasured = classes.filter((c) => c.blast?.measured === false).map((c) => c.class);
      const body = {
        ...(doc?.body ?? { rolloutId: id }),
        state,
        finishedAt: deps.now(),
        ...(rec.error ? { error: rec.error } : {}),
        ...(notMeasured.length > 0 ? { notMeasured } : {}),
        classResults: classes,
      };
      await deps.store.putDoc(ROLLOUT_KIND, 'global', id, body, doc ? { expectVersion: doc.version } : undefined);
      // A stop leaves no class locked.
      const planned = (rec.plan?.classes ?? []).map((c) => c.class);
      for (const c of planned) {
        const lock = await deps.store.getDoc<{ rolloutId: string; state: string }>(LOCK_KIND, c, 'lock');
        if (lock?.body.rolloutId === id && lock.body.state === 'running') await unlockClass(deps, c, id, state);
      }
      const ran = classes.length;
      await transition(
        deps,
        id,
        step,
        { state },
        {
          subjects: (rec.plan?.classes ?? []).flatMap((c) => c.subjects ?? []),
          ...(ran > 0 ? { detail: { classes: ran } } : {}),
          ...(rec.error ? { error: rec.error } : {}),
        },
      );
      return { state };
    }
  }
}
