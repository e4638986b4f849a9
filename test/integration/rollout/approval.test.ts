/**
 * Approvals without GitHub, against the real store (in-process dynalite): each proposal of a class is decided once,
 * the last decision records the review and answers the task token exactly once, even when two decisions race;
 * AppliedHistory keeps what a rollback must restore across invocations.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppliedHistory } from '../../../lib/adapters/applied-history.ts';
import type { DynamoStore } from '../../../lib/adapters/dynamo-store.ts';
import {
  type ApprovalDeps,
  awaitApprovals,
  decideApproval,
  PROPOSED_DETAIL_TYPE,
  pendingApprovals,
} from '../../../lib/app/rollout/approval.ts';
import { transitions } from '../../../lib/app/rollout/record.ts';
import { type ClassInput, InvalidStepInput } from '../../../lib/app/rollout/schemas.ts';
import { runStep } from '../../../lib/app/rollout/steps.ts';
import type { TaskTokens, WardenEvent } from '../../../lib/ports.ts';
import { startDynaliteStore } from '../../support/dynalite.ts';
import { localRolloutDeps } from '../../support/rollout-fixtures.ts';

let store: DynamoStore;
let stop: () => Promise<void>;
beforeAll(async () => {
  ({ store, stop } = await startDynaliteStore());
});
afterAll(() => stop());

/** Task tokens answered in memory: what the state machine would receive. */
function memoryTokens() {
  const answered: { token: string; output: unknown }[] = [];
  const tokens: TaskTokens = {
    succeed: async (token, output) => void answered.push({ token, output }),
    fail: async () => {
      throw new Error('no approval path fails a token');
    },
  };
  return { answered, tokens };
}

const now = () => new Date().toISOString();
const pr = (rolloutId: string, name: string, n: number) => ({
  number: n,
  url: `s3://warden-proposals/proposals/${rolloutId}/${name}/`,
  branch: `warden/${rolloutId}/${name}`,
});

async function proposeTwo(rolloutId: string, events: WardenEvent[], token = `token-${rolloutId}`) {
  const ci: ClassInput = {
    rolloutId,
    class: 'retrieval',
    track: 'observe-in-production',
    subjects: ['k8s:prod/a/one', 'k8s:prod/a/two'],
  };
  const results = [
    { subject: 'k8s:prod/a/one', pr: pr(rolloutId, 'k8s-prod-a-one', 1) },
    { subject: 'k8s:prod/a/two', pr: pr(rolloutId, 'k8s-prod-a-two', 2) },
  ];
  const ids = await awaitApprovals(token, ci, results, {
    store,
    now,
    events: { publish: async (e) => void events.push(...e) },
  });
  return ids;
}

describe('approvals', () => {
  it('announces each proposal, records decisions one by one and answers the token with the last', async () => {
    const events: WardenEvent[] = [];
    const ids = await proposeTwo('r-a', events);
    expect(ids).toEqual(['r-a/k8s-prod-a-one', 'r-a/k8s-prod-a-two']);
    expect(events.map((e) => [e.detailType, (e.detail as { approvalId: string }).approvalId])).toEqual([
      [PROPOSED_DETAIL_TYPE, 'r-a/k8s-prod-a-one'],
      [PROPOSED_DETAIL_TYPE, 'r-a/k8s-prod-a-two'],
    ]);
    expect((await pendingApprovals(store)).map((a) => a.approvalId)).toEqual(ids);

    const { answered, tokens } = memoryTokens();
    const deps: ApprovalDeps = { store, tokens, now };
    expect(await decideApproval({ approvalId: ids[0]!, decision: 'approve', by: 'alice' }, deps)).toBe('recorded');
    expect(await decideApproval({ approvalId: ids[0]!, decision: 'reject', by: 'mallory' }, deps)).toBe(
      'already-decided',
    );
    expect(answered).toEqual([]);
    expect(await decideApproval({ approvalId: ids[1]!, decision: 'reject', by: 'bob' }, deps)).toBe('answered');
    expect(answered).toHaveLength(1);
    expect(answered[0]!.token).toBe('token-r-a');
    expect(answered[0]!.output).toMatchObject({
      pullRequests: [
        { subject: 'k8s:prod/a/one', merged: true, by: 'alice' },
        { subject: 'k8s:prod/a/two', merged: false, by: 'bob' },
      ],
    });
    expect(await pendingApprovals(store)).toEqual([]);
    const reviewed = (await transitions(store, 'r-a')).filter((t) => t.step === 'iam-pull-request-reviewed');
    expect(reviewed.map((t) => [t.subject, t.merged, t.by])).toEqual([
      ['k8s:prod/a/one', true, 'alice'],
      ['k8s:prod/a/two', false, 'bob'],
    ]);
  });

  it('two decisions arriving together: both kept, the token answered once', async () => {
    const ids = await proposeTwo('r-b', []);
    const { answered, tokens } = memoryTokens();
    const deps: ApprovalDeps = { store, tokens, now };
    const outcomes = await Promise.all(
      ids.map((approvalId, i) => decideApproval({ approvalId, decision: 'approve', by: `reviewer-${i}` }, deps)),
    );
    expect(outcomes.sort()).toEqual(['answered', 'recorded']);
    expect(answered).toHaveLength(1);
    expect((answered[0]!.output as { pullRequests: { by: string }[] }).pullRequests.map((p) => p.by)).toEqual([
      'reviewer-0',
      'reviewer-1',
    ]);
  });

  it('an unknown id is unknown', async () => {
    const { tokens } = memoryTokens();
    expect(await decideApproval({ approvalId: 'r-z/none', decision: 'approve', by: 'x' }, { store, tokens, now })).toBe(
      'unknown',
    );
  });
});

describe('step payloads are validated, never cast', () => {
  it('a class state without subjects fails the step with Warden.InvalidStepInput naming the field', async () => {
    const deps = localRolloutDeps(store, '/nonexistent');
    const err = (await runStep('enforce', { rolloutId: 'r-v', class: 'retrieval', track: 'x' }, deps).catch(
      (e: unknown) => e,
    )) as Error;
    expect(err).toBeInstanceOf(InvalidStepInput);
    expect(err.name).toBe('Warden.InvalidStepInput');
    expect(err.message).toMatch(/step enforce: invalid input: .*track.*subjects|subjects.*track/);
  });

  it('a blast summary without withinThreshold is refused before the enforce gate reads it', async () => {
    const deps = localRolloutDeps(store, '/nonexistent');
    const input = {
      rolloutId: 'r-v',
      class: 'retrieval',
      track: 'pre-enforced',
      subjects: ['k8s:prod/a/one'],
      blast: { source: 'production', wouldDenyEvents: 0 },
    };
    await expect(runStep('enforce', input, deps)).rejects.toThrow(/blast\.withinThreshold/);
  });
});

describe('applied history in the store', () => {
  it('a rollback restores the set before the last apply, and a retried apply adds no entry', async () => {
    const h = new AppliedHistory(store, now);
    const m = (content: string) => [{ path: 'np.yaml', content }];
    await h.record('k8s:prod/a/hist', 'monitor', m('v1'));
    await h.record('k8s:prod/a/hist', 'enforce', m('v2'));
    await h.record('k8s:prod/a/hist', 'enforce', m('v2')); // Step Functions retried the step
    // A new history object (another Lambda invocation) sees the same state.
    const later = new AppliedHistory(store, now);
    expect(await later.rollBack('k8s:prod/a/hist')).toMatchObject({
      undone: { mode: 'enforce', manifests: m('v2') },
      restored: { mode: 'monitor', manifests: m('v1') },
    });
    expect(await later.current('k8s:prod/a/hist')).toMatchObject({ mode: 'monitor' });
    expect(await later.rollBack('k8s:prod/a/hist')).toMatchObject({ undone: { mode: 'monitor' } });
    expect(await later.rollBack('k8s:prod/a/hist')).toEqual({});
  });
});
