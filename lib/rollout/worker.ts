/**
 * The rollout worker: consumes the step requests the state machine sends to the worker queue
 * (`sqs:sendMessage.waitForTaskToken`), runs the step and answers the task token. The IAM step is answered later:
 * with a GitHub repository by the review webhook (`handleReviewWebhook`) when the pull request is merged or closed;
 * without one by the approval callback (lib/rollout/approval.ts) when every proposal of the class is decided.
 * Runs as the worker Lambda in AWS (SQS event source) and in-process in the emulator tests.
 */
import { z } from 'zod';
import type { TaskTokens } from '../ports.ts';
import { awaitApprovals } from './approval.ts';
import { classInputSchema, parseStepInput, workerMessageSchema } from './schemas.ts';
import {
  type ClassInput,
  completeIamReview,
  type IamReviewResult,
  openIamPullRequests,
  type RolloutDeps,
  runStep,
  type StoreDeps,
} from './steps.ts';

export { workerMessageSchema };

export interface WorkerDeps extends RolloutDeps {
  tokens: TaskTokens;
  /** How an IAM tightening is reviewed: a pull request (GitHub) or a proposal in S3 awaiting approval. */
  iamReview: 'pull-request' | 'approval';
}

const REVIEW_KIND = 'rollout-review';

interface PendingReview {
  taskToken: string;
  input: ClassInput;
  results: IamReviewResult[];
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
      const pending: PendingReview = { taskToken: msg.taskToken, input: ci, results };
      for (const r of open) await deps.store.putDoc(REVIEW_KIND, 'global', String(r.pr!.number), pending);
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
});

/**
 * GitHub `pull_request` webhook: when a Warden IAM pull request is closed (merged or not), record the review and,
 * once every pull request of that task is reviewed, answer the task token so the rollout continues.
 */
export async function handleReviewWebhook(
  payload: unknown,
  deps: StoreDeps & { tokens: TaskTokens },
): Promise<'ignored' | 'recorded' | 'answered'> {
  const ev = reviewWebhookSchema.parse(payload);
  if (ev.action !== 'closed') return 'ignored';
  const doc = await deps.store.getDoc<PendingReview>(REVIEW_KIND, 'global', String(ev.pull_request.number));
  if (!doc) return 'ignored';
  const pending = doc.body;
  const results = pending.results.map((r) =>
    r.pr?.number === ev.pull_request.number
      ? {
          ...r,
          merged: ev.pull_request.merged ?? false,
          ...(ev.pull_request.merged_by ? { by: ev.pull_request.merged_by.login } : {}),
        }
      : r,
  );
  const updated = { ...pending, results };
  for (const r of results.filter((x) => x.pr))
    await deps.store.putDoc(REVIEW_KIND, 'global', String(r.pr!.number), updated);
  if (results.some((r) => r.pr && r.merged === undefined)) return 'recorded';
  await deps.tokens.succeed(pending.taskToken, await completeIamReview(pending.input, results, deps));
  return 'answered';
}
