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
import type { TransitionFacts } from '../../core/audit/rollout.ts';
import { DEFAULT_THRESHOLD, withinThreshold } from '../../core/rollout/blast-radius.ts';
import type { RolloutStep } from '../../core/rollout/definition.ts';
import { planClasses } from '../../core/rollout/plan.ts';
import {
  type BlastSummary,
  DEFAULT_EVALUATION,
  type IamReviewResult,
  type RolloutDeps,
  RolloutRefused,
} from './deps.ts';
import {
  evaluationOf,
  evaluationWindow,
  hourFloor,
  loadGenerated,
  manifestsOf,
  measure,
  rememberGenerated,
} from './evaluation.ts';
import { completeIamReview, openIamPullRequests } from './iam-review.ts';
import { classFacts, LOCK_KIND, lockClass, ROLLOUT_KIND, transition, unlockClass } from './record.ts';
import { type ClassInput, classInputSchema, parseStepInput, recordInputSchema, rolloutInputSchema } from './schemas.ts';

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
        rememberGenerated(ci.rolloutId, s, g);
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
