/**
 * The same rollout definition executed by moto_server's Step Functions (real execution mode): every step goes to
 * the worker queue with a task token (moto implements sqs:sendMessage.waitForTaskToken), the worker runs in-process
 * with its SDK clients pointed at moto, the IAM pull request is opened against a local server speaking the GitHub
 * REST endpoints, and a simulated merge webhook completes the task token: once, and only from the IAM repository.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitHubPullRequests } from '../../../lib/adapters/github.ts';
import { DirectoryApplier, FixedReviewGate } from '../../../lib/adapters/local-rollout.ts';
import { openStore } from '../../../lib/adapters/open-store.ts';
import { SfnTaskTokens } from '../../../lib/adapters/sfn-task-tokens.ts';
import { rolloutAuditRecords, verifyAuditTrail } from '../../../lib/app/audit/service.ts';
import { handleReviewWebhook, handleWorkerMessage, type WorkerDeps } from '../../../lib/app/rollout/worker.ts';
import { rolloutDefinition } from '../../../lib/core/rollout/definition.ts';
import type { Store, WardenEvent } from '../../../lib/ports.ts';
import { type FakeGitHub, startFakeGitHub } from '../../support/fake-github.ts';
import { type MotoServer, startMoto } from '../../support/moto.ts';
import { rolloutProvider, TWO_CLASS_SUBJECTS } from '../../support/rollout-fixtures.ts';

let moto: MotoServer;
let gh: FakeGitHub;
let store: Store;
let dir: string;

beforeAll(async () => {
  moto = await startMoto();
  gh = await startFakeGitHub('acme', 'infra');
  store = await openStore('embedded:memory');
  dir = mkdtempSync(join(tmpdir(), 'warden-sfn-'));
  const res = await fetch(`${moto.endpoint}/moto-api/config`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ stepfunctions: { execute_state_machine: true } }),
  });
  expect(res.ok).toBe(true);
});
afterAll(async () => {
  await store?.close();
  await gh?.close();
  await moto?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('rollout state machine in moto Step Functions', () => {
  it('runs the deployed definition: retrieval enforced after the merged IAM PR, code-execution rolled back', async () => {
    const sqs = new SQSClient(moto.clientConfig);
    const sfn = new SFNClient(moto.clientConfig);
    const queue = await sqs.send(new CreateQueueCommand({ QueueName: 'warden-rollout-worker' }));
    const sm = await sfn.send(
      new CreateStateMachineCommand({
        name: 'warden-rollout',
        definition: JSON.stringify(rolloutDefinition({ workerQueueUrl: queue.QueueUrl! })),
        roleArn: 'arn:aws:iam::123456789012:role/warden-rollout',
      }),
    );
    const events: WardenEvent[] = [];
    const sfnSends: string[] = [];
    const deps: WorkerDeps & { iamRepository: string } = {
      store,
      artifacts: rolloutProvider,
      applier: new DirectoryApplier(join(dir, 'cluster')),
      pullRequests: new GitHubPullRequests({ owner: 'acme', repo: 'infra', baseUrl: gh.baseUrl }),
      reviews: new FixedReviewGate(false), // unused by the worker: the webhook answers the review
      events: { publish: async (e) => void events.push(...e) },
      now: () => new Date().toISOString(),
      // Counts task-token answers: a replayed delivery must not answer twice.
      tokens: new SfnTaskTokens({
        send: (c: Parameters<SFNClient['send']>[0]) => (sfnSends.push(c.constructor.name), sfn.send(c as never)),
      }),
      iamReview: 'pull-request',
      iamRepository: 'acme/infra',
    };
    const exec = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: sm.stateMachineArn,
        name: 'rollout-e2e-1',
        input: JSON.stringify({
          rolloutId: 'r-moto',
          observationSeconds: 0,
          threshold: { maxWouldDenyEvents: 0, maxWouldDenyRatio: 0 },
          subjects: [...TWO_CLASS_SUBJECTS],
        }),
      }),
    );
    const steps: string[] = [];
    let status = 'RUNNING';
    let described: DescribeExecutionCommandOutput | undefined;
    for (let i = 0; i < 120 && status === 'RUNNING'; i++) {
      const got = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queue.QueueUrl, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }),
      );
      for (const m of got.Messages ?? []) {
        steps.push(JSON.parse(m.Body!).step);
        const r = await handleWorkerMessage(m.Body!, deps);
        await sqs.send(new DeleteMessageCommand({ QueueUrl: queue.QueueUrl, ReceiptHandle: m.ReceiptHandle }));
        if (r === 'awaiting-review') {
          const number = gh.pulls.at(-1)!.number;
          const answers = () => sfnSends.filter((n) => n === 'SendTaskSuccessCommand').length;
          const before = answers();
          // the same PR number merged by mallory in the GitOps repository (one webhook secret for both) answers nothing
          const foreign = {
            action: 'closed',
            pull_request: { number, merged: true, merged_by: { login: 'mallory' } },
            repository: { full_name: 'acme/gitops' },
          };
          expect(await handleReviewWebhook(foreign, deps)).toBe('ignored');
          expect(answers()).toBe(before);
          // the reviewer merges; GitHub sends the pull_request webhook
          const merged = {
            action: 'closed',
            pull_request: { number, merged: true, merged_by: { login: 'alice' } },
            repository: { full_name: 'Acme/Infra' },
          };
          expect(await handleReviewWebhook(merged, deps)).toBe('answered');
          // GitHub redelivers it (or the Lambda is retried): acknowledged, the task token is not answered again
          expect(await handleReviewWebhook(merged, deps)).toBe('already-answered');
          expect(await handleReviewWebhook(foreign, deps)).toBe('ignored');
          expect(answers()).toBe(before + 1);
        }
      }
      described = await sfn.send(new DescribeExecutionCommand({ executionArn: exec.executionArn }));
      status = described.status!;
    }
    expect(status).toBe('FAILED');
    expect(described!.error).toBe('Warden.RolloutStopped');
    expect(steps).toEqual([
      'plan',
      'generate',
      'apply-monitor',
      'measure-blast-radius',
      'enforce',
      'iam-pull-request',
      'generate',
      'apply-monitor',
      'measure-blast-radius',
      'rollback',
      'emit-rolled-back',
      'record-stop',
    ]);
    expect(gh.pulls).toHaveLength(1);
    expect(gh.pulls[0]!.body).toContain('kept-narrowed');
    expect([...gh.files.keys()]).toEqual([
      'iam/k8s-prod-agents-kb-retriever/warden-kb-retriever-tightened.iam-policy.json',
    ]);
    const rolledBack = events.find((e) => e.detailType === 'Warden Rollout Rolled Back')!;
    expect(JSON.stringify(rolledBack.detail)).toContain('syscall:ptrace');
    // every transition, including the review the webhook answered, is in the verified audit chain
    const chained = (await rolloutAuditRecords(store, 'r-moto')).map((r) => r.entry.transition);
    expect(chained.find((t) => t.step === 'iam-pull-request-reviewed')).toMatchObject({
      decision: 'merged',
      pullRequest: { number: gh.pulls[0]!.number, merged: true, by: 'alice' },
    });
    expect(chained.at(-1)).toMatchObject({ step: 'record-stop', state: 'stopped' });
    expect(chained).toHaveLength(13);
    expect(await verifyAuditTrail(store)).toMatchObject({ ok: true, records: 13 });
  });
});
