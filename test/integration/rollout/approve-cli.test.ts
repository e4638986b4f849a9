/**
 * The rollout without GitHub on moto_server: the shared definition runs in moto's Step Functions, the worker (in
 * process, the same code as the worker Lambda) proposes the IAM tightening in an S3 bucket and writes manifests to
 * its `cluster/` prefix; the proposal is listed and approved with the CLI (`warden rollout approvals`,
 * `warden rollout approve`) against the same DynamoDB table and Step Functions; the execution then goes on to the
 * next class, which is rolled back (its manifests removed from the bucket).
 */
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppliedHistory } from '../../../lib/adapters/applied-history.ts';
import type { DynamoStore } from '../../../lib/adapters/dynamo-store.ts';
import { FixedReviewGate } from '../../../lib/adapters/local-rollout.ts';
import { S3ManifestApplier, S3Proposals } from '../../../lib/adapters/s3-proposals.ts';
import { SfnTaskTokens } from '../../../lib/adapters/sfn-task-tokens.ts';
import { transitions } from '../../../lib/app/rollout/record.ts';
import { handleWorkerMessage, type WorkerDeps } from '../../../lib/app/rollout/worker.ts';
import { rolloutDefinition } from '../../../lib/core/rollout/definition.ts';
import type { WardenEvent } from '../../../lib/ports.ts';
import { warden as runWarden } from '../../support/cli.ts';
import { storeAt } from '../../support/dynalite.ts';
import { type MotoServer, startMoto } from '../../support/moto.ts';
import { RETRIEVER, rolloutProvider, TWO_CLASS_SUBJECTS } from '../../support/rollout-fixtures.ts';

const TABLE = 'warden-approve';
const BUCKET = 'warden-proposals';
let moto: MotoServer;
let store: DynamoStore;

/** Runs the compiled CLI against the moto table and Step Functions (asynchronously: the worker loop keeps running). */
function warden(...args: string[]) {
  const spec = `dynamodb://${TABLE}?endpoint=${moto.endpoint}&region=us-east-1`;
  return runWarden(['--store', spec, ...args], {
    env: {
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
    },
  });
}

beforeAll(async () => {
  moto = await startMoto();
  const res = await fetch(`${moto.endpoint}/moto-api/config`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ stepfunctions: { execute_state_machine: true } }),
  });
  expect(res.ok).toBe(true);
  store = await storeAt(moto.clientConfig, TABLE);
  await new S3Client(moto.clientConfig).send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterAll(async () => {
  await store?.close();
  await moto?.stop();
});

describe('warden rollout approve, against moto', () => {
  it('approves the proposed tightening; the rollout continues and rolls the next class back', async () => {
    const sqs = new SQSClient(moto.clientConfig);
    const sfn = new SFNClient(moto.clientConfig);
    const s3 = new S3Client(moto.clientConfig);
    const queue = await sqs.send(new CreateQueueCommand({ QueueName: 'warden-rollout-worker' }));
    const sm = await sfn.send(
      new CreateStateMachineCommand({
        name: 'warden-rollout',
        definition: JSON.stringify(rolloutDefinition({ workerQueueUrl: queue.QueueUrl! })),
        roleArn: 'arn:aws:iam::123456789012:role/warden-rollout',
      }),
    );
    const events: WardenEvent[] = [];
    const history = new AppliedHistory(store);
    const deps: WorkerDeps = {
      store,
      artifacts: rolloutProvider,
      applier: new S3ManifestApplier(s3, BUCKET, history),
      pullRequests: new S3Proposals(s3, BUCKET),
      reviews: new FixedReviewGate(false), // never used: the approval answers the token
      events: { publish: async (e) => void events.push(...e) },
      now: () => new Date().toISOString(),
      tokens: new SfnTaskTokens(sfn),
      iamReview: 'approval',
    };
    const exec = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: sm.stateMachineArn,
        name: 'r-approve-cli',
        input: JSON.stringify({
          rolloutId: 'r-cli',
          observationSeconds: 0,
          threshold: { maxWouldDenyEvents: 0, maxWouldDenyRatio: 0 },
          subjects: [...TWO_CLASS_SUBJECTS],
        }),
      }),
    );
    let status = 'RUNNING';
    let approvals: { code: number | null; stdout: string } | undefined;
    let approved: { code: number | null; stdout: string; stderr: string } | undefined;
    for (let i = 0; i < 180 && status === 'RUNNING'; i++) {
      const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.QueueUrl, WaitTimeSeconds: 1 }));
      for (const m of got.Messages ?? []) {
        const outcome = await handleWorkerMessage(m.Body!, deps);
        await sqs.send(new DeleteMessageCommand({ QueueUrl: queue.QueueUrl, ReceiptHandle: m.ReceiptHandle }));
        if (outcome === 'awaiting-review') {
          approvals = await warden('rollout', 'approvals', '--json');
          const id = (JSON.parse(approvals.stdout) as { approvalId: string }[])[0]!.approvalId;
          approved = await warden('rollout', 'approve', id, '--by', 'alice', '--json');
        }
      }
      status = (await sfn.send(new DescribeExecutionCommand({ executionArn: exec.executionArn }))).status!;
    }
    expect(approvals?.code).toBe(0);
    expect(JSON.parse(approvals!.stdout)).toMatchObject([{ subject: RETRIEVER, class: 'retrieval', state: 'pending' }]);
    expect(approved?.code, approved?.stderr).toBe(0);
    expect(JSON.parse(approved!.stdout)).toMatchObject({ outcome: 'answered' });
    // retrieval enforced after the approval, then code-execution over its blast radius: rolled back, stopped
    expect(status).toBe('FAILED');
    const steps = (await transitions(store, 'r-cli')).map((t) => t.step);
    expect(steps).toEqual(expect.arrayContaining(['iam-pull-request-reviewed', 'rollback', 'record-stop']));
    expect((await transitions(store, 'r-cli')).find((t) => t.step === 'iam-pull-request-reviewed')).toMatchObject({
      merged: true,
      by: 'alice',
    });
    expect(events.map((e) => e.detailType)).toEqual(['Warden IAM Tightening Proposed', 'Warden Rollout Rolled Back']);
    const keys = ((await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents ?? []).map((o) => o.Key!);
    expect(keys).toEqual(
      expect.arrayContaining([
        'proposals/r-cli/k8s-prod-agents-kb-retriever/PROPOSAL.md',
        'proposals/r-cli/k8s-prod-agents-kb-retriever/iam/k8s-prod-agents-kb-retriever/warden-kb-retriever-tightened.iam-policy.json',
      ]),
    );
    expect(keys.some((k) => k.startsWith('cluster/prod/agents/kb-retriever/'))).toBe(true);
    // the code runner's monitor manifests were removed by its rollback (nothing was applied before them)
    expect(keys.filter((k) => k.startsWith('cluster/prod/agents/code-runner/'))).toEqual([]);
  }, 300_000);

  it('names an unknown approval in one line and exits non-zero', async () => {
    const r = await warden('rollout', 'approve', 'r-none/nobody');
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/no approval r-none\/nobody .*warden rollout approvals/);
  }, 120_000);
});
