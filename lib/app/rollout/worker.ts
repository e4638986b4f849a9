/**
 * The rollout worker: consumes the step requests the state machine sends to the worker queue
 * (`sqs:sendMessage.waitForTaskToken`), runs the step and answers the task token. The IAM step is answered later:
 * with a GitHub repository by the review webhook (`handleReviewWebhook`) when the pull request is merged or closed;
 * without one by the approval callback (lib/app/rollout/approval.ts) when every proposal of the class is decided.
 * Runs as the worker Lambda in AWS (SQS event source) and in-process in the emulator tests.
 */
import { z } from 'zod';
import type { TaskTokens } from '../../ports.ts';
import { awaitApprovals } from './approval.ts';
import type { IamReviewResult, RolloutDeps, StoreDeps } from './deps.ts';
import { completeIamReview, openIamPullRequests } from './iam-review.ts';
import { type ClassInput, classInputSchema, parseStepInput, workerMessageSchema } from './schemas.ts';
import { runStep } from './steps.ts';

export { workerMessageSchema };

export interface WorkerDeps extends RolloutDeps {
  tokens: TaskTokens;
  /** How an IAM tightening is reviewed: a pull request (GitHub) or a proposal in S3 awaiting approval. */
  iamReview: 'pull-request' | 'approval';
  /**
   * The repository (`owner/name`) the IAM pull requests are opened in (required with `pull-request` reviews).
   * Pending reviews are keyed by it and the PR number, and a review webhook about any other repository is ignored:
   * PR #7 of the GitOps repository never answers IAM review #7.
   */
  iamRepository?: string;
}

const REVIEW_KIND = 'rollout-review';

interface PendingReview {
  taskToken: string;
  input: ClassInput;
  results: IamReviewResult[];
  /** Set once the task token was answered: a replayed delivery is acknowledged without a second answer. */
  answeredAt?: string;
}

/** The key of a pending review: repository and pull request number (repository names are case-insensitive). */
export function reviewKey(repository: string, number: number): string {
  return `${repository.toLowerCase()}#${number}`;
}

/** Handles one worker queue message. Throws only on a malformed message (left to the queue's DLQ). */
export async function handleWorkerMessage(body: string, deps: WorkerDeps): Promise<'answered' | 'awaiting-review'> {
  const msg = workerMessageSchema.parse(JSON.parse(body));
  try {
    if (msg.step === 'iam-pull-request') {
      const ci = parseStepInput(classInputSchema, msg.step, msg.input);
      const results = await openIamPullRequests(ci, deps);
      const open = results.filter((r) => r.pr);
      if (open.length === 0) {
        await deps.tokens.succeed(msg.taskToken, await completeIamReview(ci, results, deps));
        return 'answered';
      }
      if (deps.iamReview === 'approval') {
        await awaitApprovals(msg.taskToken, ci, results, deps);
        return 'awaiting-review';
      }
      const repository = deps.iamRepository;
      if (!repository) throw new Error('pull-request reviews need the IAM repository (iamRepository)');
      const pending: PendingReview = { taskToken: msg.taskToken, input: ci, results };
      for (const r of open)
        await deps.store.putDoc(REVIEW_KIND, 'global', reviewKey(repository, r.pr!.number), pending);
      return 'awaiting-review';
    }
    await deps.tokens.succeed(msg.taskToken, (await runStep(msg.step, msg.input, deps)) ?? {});
    return 'answered';
  } catch (err) {
    const e = err as Error;
    await deps.tokens.fail(
      msg.taskToken,
      e.name?.startsWith('Warden.') ? e.name : 'Warden.StepError',
      String(e.message),
    );
    return 'answered';
  }
}

export const reviewWebhookSchema = z.object({
  action: z.string(),
  pull_request: z.object({
    number: z.number().int(),
    merged: z.boolean().optional(),
    merged_by: z.object({ login: z.string() }).nullish(),
  }),
  /** Part of the signed payload: which repository the pull request belongs to. */
  repository: z.object({ full_name: z.string().regex(/^[^/\s]+\/[^/\s]+$/) }),
});

export type ReviewOutcome = 'ignored' | 'recorded' | 'answered' | 'already-answered';

/** Step Functions refuses a task token answered before (or expired): a replay after a crash, not a failure. */
function tokenAlreadyUsed(err: unknown): boolean {
  const name = (err as { name?: string }).name ?? '';
  return name === 'TaskTimedOut' || name === 'InvalidToken' || name === 'TaskDoesNotExist';
}

/**
 * GitHub `pull_request` webhook: when a Warden IAM pull request of the IAM repository is closed (merged or not),
 * record the review and, once every pull request of that task is reviewed, answer the task token so the rollout
 * continues. Idempotent: a replayed delivery finds the review answered and answers nothing again.
 */
export async function handleReviewWebhook(
  payload: unknown,
  deps: StoreDeps & { tokens: TaskTokens; iamRepository: string },
): Promise<ReviewOutcome> {
  const ev = reviewWebhookSchema.parse(payload);
  if (ev.action !== 'closed') return 'ignored';
  if (ev.repository.full_name.toLowerCase() !== deps.iamRepository.toLowerCase()) return 'ignored';
  const key = reviewKey(ev.repository.full_name, ev.pull_request.number);
  const doc = await deps.store.getDoc<PendingReview>(REVIEW_KIND, 'global', key);
  if (!doc) return 'ignored';
  const pending = doc.body;
  if (pending.answeredAt) return 'already-answered';
  const results = pending.results.map((r) =>
    r.pr?.number === ev.pull_request.number
      ? {
          ...r,
          merged: ev.pull_request.merged ?? false,
          ...(ev.pull_request.merged_by ? { by: ev.pull_request.merged_by.login } : {}),
        }
      : r,
  );
  const save = async (p: PendingReview) => {
    for (const r of p.results.filter((x) => x.pr))
      await deps.store.putDoc(REVIEW_KIND, 'global', reviewKey(deps.iamRepository, r.pr!.number), p);
  };
  const updated: PendingReview = { ...pending, results };
  await save(updated);
  if (results.some((r) => r.pr && r.merged === undefined)) return 'recorded';
  // Transitions are chained once per audit id, so a replay that gets this far records nothing twice.
  const out = await completeIamReview(pending.input, results, deps);
  try {
    await deps.tokens.succeed(pending.taskToken, out);
  } catch (err) {
    if (!tokenAlreadyUsed(err)) throw err;
  }
  await save({ ...updated, answeredAt: deps.now() });
  return 'answered';
}
