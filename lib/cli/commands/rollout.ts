import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Command } from 'commander';
import { GitHubPullRequests } from '../../adapters/github.ts';
import { loadIamCatalog } from '../../adapters/iam-scope.ts';
import {
  DirectoryApplier,
  DirectoryPolicyFiles,
  DirectoryPullRequests,
  FixedReviewGate,
} from '../../adapters/local-rollout.ts';
import { openStore } from '../../adapters/open-store.ts';
import { SfnTaskTokens } from '../../adapters/sfn-task-tokens.ts';
import { decideApproval, pendingApprovals } from '../../app/rollout/approval.ts';
import { figureLines, type RolloutClassFigures, rolloutFigures } from '../../app/rollout/figures.ts';
import { runRolloutLocal } from '../../app/rollout/local.ts';
import { ROLLOUT_KIND, transitions } from '../../app/rollout/record.ts';
import { rolloutSubjects, storeArtifactProvider } from '../../app/rollout/store-provider.ts';
import { planClasses } from '../../core/rollout/plan.ts';
import type { EventSink, TaskTokens } from '../../ports.ts';
import { EXIT_CODES } from '../errors.ts';
import { hint } from '../hints.ts';
import { CliError, emit, globalOpts } from '../output.ts';
import { regionOf } from './coverage.ts';

const stdoutEvents = (json: boolean): EventSink => ({
  async publish(events) {
    if (json) return;
    for (const e of events) process.stderr.write(`event: ${e.detailType} ${JSON.stringify(e.detail).slice(0, 400)}\n`);
  },
});

/** No subject to roll out, with the command that makes a baseline as this user runs Warden. */
const noBaseline = (store?: string) =>
  new CliError(`no subject with a baseline: ingest and run ${hint(['baseline', 'SUBJECT'], { store })} first`);

export function register(program: Command): void {
  const cmd = program
    .command('rollout')
    .description('roll artifacts out per agent class: monitor, measure, enforce or roll back');

  cmd
    .command('plan')
    .description('the classes in rollout order with their subjects and tracks')
    .option('--subject <id...>', 'only these subjects')
    .action(async function (this: Command) {
      const store = await openStore(globalOpts(this).store);
      try {
        const subjects = await rolloutSubjects(store, this.opts<{ subject?: string[] }>().subject);
        if (subjects.length === 0) throw noBaseline(globalOpts(this).store);
        const plan = planClasses(subjects);
        emit(this, plan, () =>
          plan.map((c, i) => `${i + 1}. ${c.class} [${c.track}] risk ${c.risk}: ${c.subjects.join(', ')}`).join('\n'),
        );
      } finally {
        await store.close();
      }
    });

  cmd
    .command('start')
    .description('run the rollout state machine locally (aws-local-stepfunctions) against the store')
    .option('--subject <id...>', 'only these subjects')
    .option('--apply-dir <dir>', 'GitOps directory the manifests are applied to', join('.warden', 'cluster'))
    .option('--github <owner/repo>', 'open IAM pull requests on GitHub (token from GITHUB_TOKEN)')
    .option('--github-url <url>', 'GitHub API base URL (GitHub Enterprise)')
    .option('--pr-dir <dir>', 'without --github: write pull request branches here', join('.warden', 'pull-requests'))
    .option('--iac-dir <dir>', 'without --github: the IaC checkout whose policy files the pull requests change')
    .option('--review <outcome>', 'local review outcome of IAM pull requests: merge|close', 'merge')
    .option('--threshold-events <n>', 'most would-be-denied events tolerated per class', '0')
    .option('--threshold-ratio <r>', 'most would-be-denied share of events per class', '0')
    .option('--holdout-days <n>', 'days before now held out of generation and replayed as the monitor window', '7')
    .option('--window-days <n>', 'longest evaluation window read from the store, in days', '7')
    .option('--state-machine <arn>', 'start the deployed rollout state machine instead (output RolloutStateMachineArn)')
    .option('--observation-seconds <n>', 'with --state-machine: how long the monitor phase observes', '604800')
    .option('--region <region>', 'with --state-machine: AWS region (default AWS_REGION)')
    .action(async function (this: Command) {
      const o = this.opts<{
        subject?: string[];
        applyDir: string;
        github?: string;
        githubUrl?: string;
        prDir: string;
        review: string;
        thresholdEvents: string;
        thresholdRatio: string;
        windowDays: string;
        holdoutDays: string;
        iacDir?: string;
        stateMachine?: string;
        observationSeconds: string;
        region?: string;
      }>();
      const holdoutDays = Number(o.holdoutDays);
      if (!Number.isFinite(holdoutDays) || holdoutDays <= 0) throw new CliError('--holdout-days must be a number > 0');
      if (o.review !== 'merge' && o.review !== 'close') throw new CliError('--review must be merge or close');
      const maxWouldDenyEvents = Number(o.thresholdEvents);
      const maxWouldDenyRatio = Number(o.thresholdRatio);
      if (!Number.isFinite(maxWouldDenyEvents) || maxWouldDenyEvents < 0)
        throw new CliError('--threshold-events must be a number >= 0');
      if (!Number.isFinite(maxWouldDenyRatio) || maxWouldDenyRatio < 0 || maxWouldDenyRatio > 1)
        throw new CliError('--threshold-ratio must be in [0, 1]');
      let pullRequests: DirectoryPullRequests | GitHubPullRequests = new DirectoryPullRequests(o.prDir);
      if (o.github) {
        const [owner, repo] = o.github.split('/');
        if (!owner || !repo) throw new CliError('--github must be owner/repo');
        pullRequests = new GitHubPullRequests({
          owner,
          repo,
          token: process.env.GITHUB_TOKEN,
          ...(o.githubUrl ? { baseUrl: o.githubUrl } : {}),
        });
      }
      const g = globalOpts(this);
      const store = await openStore(g.store);
      try {
        const subjects = await rolloutSubjects(store, o.subject);
        if (subjects.length === 0) throw noBaseline(globalOpts(this).store);
        const now = () => new Date().toISOString();
        const rolloutId = `r-${now().slice(0, 10)}-${randomUUID().slice(0, 8)}`;
        const threshold = { maxWouldDenyEvents, maxWouldDenyRatio };
        if (o.stateMachine) {
          const observationSeconds = Number(o.observationSeconds);
          if (!Number.isInteger(observationSeconds) || observationSeconds < 0)
            throw new CliError('--observation-seconds must be a whole number >= 0');
          const sfn = new SFNClient({ region: regionOf(o.region) });
          const started = await sfn.send(
            new StartExecutionCommand({
              stateMachineArn: o.stateMachine,
              name: rolloutId,
              // The monitor phase's window is evaluated; the pre-enforced track (no monitor phase) holds days out.
              input: JSON.stringify({
                rolloutId,
                subjects,
                observationSeconds,
                threshold,
                evaluation: { mode: 'after-monitor', holdoutDays },
              }),
            }),
          );
          emit(this, { rolloutId, executionArn: started.executionArn }, () =>
            [
              `rollout ${rolloutId} started: ${started.executionArn}`,
              `follow it with: warden rollout status ${rolloutId}`,
            ].join('\n'),
          );
          return;
        }
        const result = await runRolloutLocal(
          {
            store,
            artifacts: storeArtifactProvider({
              store,
              now,
              windowDays: Number(o.windowDays),
              loadCatalog: loadIamCatalog,
            }),
            applier: new DirectoryApplier(o.applyDir),
            pullRequests,
            ...(pullRequests instanceof GitHubPullRequests
              ? { policyFiles: pullRequests }
              : o.iacDir
                ? { policyFiles: new DirectoryPolicyFiles(o.iacDir) }
                : {}),
            reviews: new FixedReviewGate(o.review === 'merge'),
            events: stdoutEvents(g.json),
            now,
          },
          {
            rolloutId,
            subjects,
            observationSeconds: 0,
            threshold,
            // No monitor phase to wait for here: the last days are held out of generation and replayed instead.
            evaluation: { mode: 'held-out', holdoutDays },
          },
        );
        const classes = await rolloutFigures(store, rolloutId);
        emit(this, { rolloutId, ...result, classes }, () =>
          [
            `rollout ${rolloutId}: ${result.status}${result.error ? ` (${result.error})` : ''}`,
            ...result.path.map((p) => `  ${p}`),
            'blast radius per class:',
            ...figureLines(classes),
          ].join('\n'),
        );
        if (result.status !== 'SUCCEEDED' || classes.some((c) => !c.measured)) process.exitCode = EXIT_CODES.check;
      } finally {
        await store.close();
      }
    });

  cmd
    .command('approvals')
    .description('IAM tightenings proposed without GitHub that wait for a decision')
    .action(async function (this: Command) {
      const store = await openStore(globalOpts(this).store);
      try {
        const pending = await pendingApprovals(store);
        emit(this, pending, () =>
          pending.length === 0
            ? 'no approval pending'
            : pending
                .map((a) => `${a.approvalId}  ${a.class}  ${a.subject}  ${a.proposal}  (proposed ${a.proposedAt})`)
                .join('\n'),
        );
      } finally {
        await store.close();
      }
    });

  cmd
    .command('approve')
    .description('approve (or --reject) a proposed IAM tightening; the rollout continues when its class is decided')
    .argument('<approvalId>', 'from `warden rollout approvals` or the "Warden IAM Tightening Proposed" event')
    .option('--reject', 'reject the proposal instead')
    .option('--by <name>', 'who decides (default: the local user name)')
    .option('--comment <text>', 'kept with the decision')
    .option('--region <region>', 'AWS region of the state machine (default AWS_REGION)')
    .action(async function (this: Command, approvalId: string) {
      const o = this.opts<{ reject?: boolean; by?: string; comment?: string; region?: string }>();
      const store = await openStore(globalOpts(this).store);
      try {
        // Step Functions is only needed when this decision completes the class: an unknown id needs no region.
        const sfn = () => new SfnTaskTokens(new SFNClient({ region: regionOf(o.region) }));
        const tokens: TaskTokens = {
          succeed: (t, out) => sfn().succeed(t, out),
          fail: (t, e, c) => sfn().fail(t, e, c),
        };
        const outcome = await decideApproval(
          {
            approvalId,
            decision: o.reject ? 'reject' : 'approve',
            by: o.by ?? `cli:${userInfo().username}`,
            ...(o.comment ? { comment: o.comment } : {}),
          },
          { store, tokens, now: () => new Date().toISOString() },
        );
        if (outcome === 'unknown')
          throw new CliError(`no approval ${approvalId} in ${store.description}: see \`warden rollout approvals\``);
        if (outcome === 'already-decided') throw new CliError(`approval ${approvalId} was already decided`);
        emit(this, { approvalId, outcome }, () =>
          outcome === 'answered'
            ? `${approvalId}: ${o.reject ? 'rejected' : 'approved'}; every proposal of the class is decided, the rollout continues`
            : `${approvalId}: ${o.reject ? 'rejected' : 'approved'}; other proposals of the class still wait`,
        );
      } finally {
        await store.close();
      }
    });

  cmd
    .command('status')
    .description('rollouts and their transitions')
    .argument('[rolloutId]', 'one rollout (default: all)')
    .action(async function (this: Command, rolloutId: string | undefined) {
      const store = await openStore(globalOpts(this).store);
      try {
        const docs = await store.listDocs<Record<string, unknown>>(ROLLOUT_KIND, 'global');
        const chosen = rolloutId ? docs.filter((d) => d.id === rolloutId) : docs;
        if (rolloutId && chosen.length === 0) throw new CliError(`no rollout ${rolloutId}`);
        const out: Record<string, unknown>[] = [];
        for (const d of chosen)
          out.push({
            ...d.body,
            transitions: await transitions(store, d.id),
            classes: await rolloutFigures(store, d.id),
          });
        emit(this, out, () =>
          out.length === 0
            ? 'no rollouts'
            : out
                .map((r) =>
                  [
                    `${String(r.rolloutId)}: ${String(r.state)} (started ${String(r.startedAt)})`,
                    ...(r.transitions as { time: string; step: string; class?: string }[]).map(
                      (t) => `  ${t.time} ${t.step}${t.class ? ` ${t.class}` : ''}`,
                    ),
                    ...figureLines(r.classes as RolloutClassFigures[]),
                  ].join('\n'),
                )
                .join('\n'),
        );
      } finally {
        await store.close();
      }
    });
}
