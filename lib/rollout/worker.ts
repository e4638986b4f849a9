/**
 * The rollout worker: consumes the step requests the state machine sends to the worker queue
 * (`sqs:sendMessage.waitForTaskToken`), runs the step and answers the task token. The IAM pull request step is
 * answered later, by the review webhook (`handleReviewWebhook`) when the pull request is merged or closed.
 * Runs as the worker Lambda in AWS (SQS event source) and in-process in the emulator test.
 */
import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { ROLLOUT_STEPS } from '../core/rollout/definition.ts';
import {
  type ClassInput,
  completeIamReview,
  type IamReviewResult,
  openIamPullRequests,
  type RolloutDeps,
  runStep,
} from './steps.ts';

export const workerMessageSchema = z.object({
  step: z.enum(ROLLOUT_STEPS),
  taskToken: z.string().min(1),
  execution: z.string().optional(),
  input: z.record(z.string(), z.unknown()),
});

export interface WorkerDeps extends RolloutDeps {
  sfn: Pick<SFNClient, 'send'>;
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
      const ci = msg.input as unknown as ClassInput;
      const results = await openIamPullRequests(ci, deps);
      const open = results.filter((r) => r.pr);
      if (open.length === 0) {
        const out = await completeIamReview(ci, results, deps);
        await deps.sfn.send(new SendTaskSuccessCommand({ taskToken: msg.taskToken, output: JSON.stringify(out) }));
        return 'answered';
      }
      const pending: PendingReview = { taskToken: msg.taskToken, input: ci, results };
      for (const r of open) await deps.store.putDoc(REVIEW_KIND, 'global', String(r.pr!.number), pending);
      return 'awaiting-review';
    }
    const out = await runStep(msg.step, msg.input, deps);
    await deps.sfn.send(new SendTaskSuccessCommand({ taskToken: msg.taskToken, output: JSON.stringify(out ?? {}) }));
    return 'answered';
  } catch (err) {
    const e = err as Error;
    await deps.sfn.send(
      new SendTaskFailureCommand({
        taskToken: msg.taskToken,
        error: e.name?.startsWith('Warden.') ? e.name : 'Warden.StepError',
        cause: String(e.message).slice(0, 32_000),
      }),
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
  deps: WorkerDeps,
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
  const out = await completeIamReview(pending.input, results, deps);
  await deps.sfn.send(new SendTaskSuccessCommand({ taskToken: pending.taskToken, output: JSON.stringify(out) }));
  return 'answered';
}
