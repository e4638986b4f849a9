/**
 * The IAM step without a GitHub repository: each subject's tightening is proposed as objects in the proposals bucket
 * (S3Proposals), announced by a `Warden IAM Tightening Proposed` event, and the step's task token waits for a human
 * decision per proposal, given through the authenticated approval endpoint (lambdas/rollout-approval, SigV4) or
 * `warden rollout approve`. When every proposal of the class is decided, the review is recorded (transitions and
 * audit chain, as for a merged or closed pull request) and the token answered, so the rollout continues.
 *
 * Storage: one set document per (rollout, class) holds the token and the decisions, updated with optimistic
 * versioning so two approvals arriving together cannot lose one another; one index document per approval id names
 * its set (and is what `warden rollout approvals` lists).
 */
import type { EventSink, Store, TaskTokens } from '../../ports.ts';
import type { IamReviewResult, StoreDeps } from './deps.ts';
import { completeIamReview } from './iam-review.ts';
import type { ApprovalRequest, ClassInput } from './schemas.ts';

export const APPROVAL_KIND = 'rollout-approval';
const APPROVAL_SET_KIND = 'rollout-approval-set';
export const PROPOSED_DETAIL_TYPE = 'Warden IAM Tightening Proposed';

interface ApprovalSet {
  taskToken: string;
  input: ClassInput;
  results: IamReviewResult[];
}

export interface ApprovalIndex {
  approvalId: string;
  set: string;
  rolloutId: string;
  class: string;
  subject: string;
  proposal: string;
  proposedAt: string;
  state: 'pending' | 'approved' | 'rejected';
  by?: string;
  decidedAt?: string;
  comment?: string;
}

export interface ApprovalDeps extends StoreDeps {
  tokens: TaskTokens;
}

/** The approval id of a proposal: its branch name without the `warden/` prefix (`<rolloutId>/<subject-name>`). */
export const approvalIdOf = (r: IamReviewResult): string => (r.pr?.branch ?? r.subject).replace(/^warden\//, '');

/** Records the proposals of one class as waiting for approval and announces each; the token stays unanswered. */
export async function awaitApprovals(
  taskToken: string,
  ci: ClassInput,
  results: IamReviewResult[],
  deps: StoreDeps & { events: EventSink },
): Promise<string[]> {
  const set = `${ci.rolloutId}/${ci.class}`;
  const now = deps.now();
  await deps.store.putDoc<ApprovalSet>(APPROVAL_SET_KIND, 'global', set, { taskToken, input: ci, results });
  const ids: string[] = [];
  for (const r of results) {
    if (!r.pr) continue;
    const approvalId = approvalIdOf(r);
    const index: ApprovalIndex = {
      approvalId,
      set,
      rolloutId: ci.rolloutId,
      class: ci.class,
      subject: r.subject,
      proposal: r.pr.url,
      proposedAt: now,
      state: 'pending',
    };
    await deps.store.putDoc(APPROVAL_KIND, 'global', approvalId, index);
    ids.push(approvalId);
  }
  await deps.events.publish(
    results
      .filter((r) => r.pr)
      .map((r) => ({
        source: 'warden' as const,
        detailType: PROPOSED_DETAIL_TYPE,
        time: now,
        detail: {
          rolloutId: ci.rolloutId,
          class: ci.class,
          subject: r.subject,
          approvalId: approvalIdOf(r),
          proposal: r.pr!.url,
          approve: `warden rollout approve ${approvalIdOf(r)} (or reject with --reject); or POST {"approvalId","decision"} to the approval URL`,
        },
      })),
  );
  return ids;
}

export type ApprovalOutcome = 'unknown' | 'already-decided' | 'recorded' | 'answered';

const isConflict = (err: unknown) => (err as { name?: string }).name === 'VersionConflictError';

/**
 * Applies one decision. `recorded`: other proposals of the class are still pending; `answered`: this was the last
 * one, the review is recorded and the rollout continues; `already-decided` leaves the first decision standing.
 */
export async function decideApproval(
  req: ApprovalRequest & { by: string },
  deps: ApprovalDeps,
): Promise<ApprovalOutcome> {
  const index = await deps.store.getDoc<ApprovalIndex>(APPROVAL_KIND, 'global', req.approvalId);
  if (!index) return 'unknown';
  if (index.body.state !== 'pending') return 'already-decided';
  for (let attempt = 0; ; attempt++) {
    const doc = await deps.store.getDoc<ApprovalSet>(APPROVAL_SET_KIND, 'global', index.body.set);
    if (!doc) return 'unknown';
    const i = doc.body.results.findIndex((r) => r.pr && approvalIdOf(r) === req.approvalId);
    if (i < 0) return 'unknown';
    if (doc.body.results[i]!.merged !== undefined) return 'already-decided';
    const results = doc.body.results.map((r, j) =>
      j === i ? { ...r, merged: req.decision === 'approve', by: req.by } : r,
    );
    try {
      await deps.store.putDoc<ApprovalSet>(
        APPROVAL_SET_KIND,
        'global',
        index.body.set,
        { ...doc.body, results },
        { expectVersion: doc.version },
      );
    } catch (err) {
      // Another decision on the same class landed in between: read again (bounded; a conflict storm is a bug).
      if (isConflict(err) && attempt < 8) continue;
      throw err;
    }
    await deps.store.putDoc<ApprovalIndex>(APPROVAL_KIND, 'global', req.approvalId, {
      ...index.body,
      state: req.decision === 'approve' ? 'approved' : 'rejected',
      by: req.by,
      decidedAt: deps.now(),
      ...(req.comment ? { comment: req.comment } : {}),
    });
    if (results.some((r) => r.pr && r.merged === undefined)) return 'recorded';
    const out = await completeIamReview(doc.body.input, results, deps);
    await deps.tokens.succeed(doc.body.taskToken, out);
    return 'answered';
  }
}

/** Approvals waiting for a decision, oldest first. */
export async function pendingApprovals(store: Store): Promise<ApprovalIndex[]> {
  return (await store.listDocs<ApprovalIndex>(APPROVAL_KIND, 'global'))
    .map((d) => d.body)
    .filter((a) => a.state === 'pending')
    .sort((a, b) => a.proposedAt.localeCompare(b.proposedAt));
}
