/**
 * Dependencies of the rollout Lambdas, built once per execution environment: the store, Step Functions (task
 * tokens), EventBridge, the proposals bucket, and GitHub (token from Secrets Manager) when repositories are
 * configured. Without an IAM repository, tightenings are proposed in the bucket and wait for an approval; without a
 * GitOps repository, Kubernetes manifests are written to the bucket's `cluster/` prefix (a Flux Bucket source).
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { AppliedHistory } from '../../lib/adapters/applied-history.ts';
import { recordCalls } from '../../lib/adapters/aws-calls.ts';
import { EventBridgeSink } from '../../lib/adapters/eventbridge.ts';
import { GitHubPullRequests } from '../../lib/adapters/github.ts';
import { GitOpsApplier } from '../../lib/adapters/gitops-applier.ts';
import { loadIamCatalog } from '../../lib/adapters/iam-scope.ts';
import { S3ManifestApplier, S3Proposals } from '../../lib/adapters/s3-proposals.ts';
import { SfnTaskTokens } from '../../lib/adapters/sfn-task-tokens.ts';
import { storeArtifactProvider } from '../../lib/app/rollout/store-provider.ts';
import type { WorkerDeps } from '../../lib/app/rollout/worker.ts';
import type { ReviewGate } from '../../lib/ports.ts';
import { memoSuccess } from './memo.ts';
import { store, tracer } from './runtime.ts';

const repo = z.string().regex(/^[^/]+\/[^/]+$/, 'owner/repo');
const env = z
  .object({
    WARDEN_BUS_NAME: z.string().min(1),
    WARDEN_PROPOSALS_BUCKET: z.string().min(3),
    WARDEN_GITHUB_SECRET_ARN: z.string().min(1).optional(),
    WARDEN_IAM_REPO: repo.optional(),
    WARDEN_GITOPS_REPO: repo.optional(),
    WARDEN_GITHUB_API: z.string().url().optional(),
    WARDEN_MONITOR_WINDOW_DAYS: z.coerce.number().int().positive().default(7),
  })
  .refine((e) => (!e.WARDEN_IAM_REPO && !e.WARDEN_GITOPS_REPO) || e.WARDEN_GITHUB_SECRET_ARN, {
    message: 'WARDEN_GITHUB_SECRET_ARN is required when a repository is configured',
  })
  .parse(process.env);

export const tokens = new SfnTaskTokens(tracer.captureAWSv3Client(recordCalls(new SFNClient({}))));
const s3 = tracer.captureAWSv3Client(recordCalls(new S3Client({})));
const eventBridge = tracer.captureAWSv3Client(recordCalls(new EventBridgeClient({})));
const secrets = tracer.captureAWSv3Client(recordCalls(new SecretsManagerClient({})));
const now = () => new Date().toISOString();

const readGithubSecret = memoSuccess(
  (): Promise<{ token: string; webhookSecret: string }> =>
    secrets
      .send(new GetSecretValueCommand({ SecretId: env.WARDEN_GITHUB_SECRET_ARN }))
      .then((r) =>
        z.object({ token: z.string(), webhookSecret: z.string() }).parse(JSON.parse(r.SecretString ?? '{}')),
      ),
);

/** `{ "token": "...", "webhookSecret": "..." }` in Secrets Manager; a failed read is retried on the next call. */
export function githubSecret(): Promise<{ token: string; webhookSecret: string }> {
  if (!env.WARDEN_GITHUB_SECRET_ARN) {
    return Promise.reject(new Error('no GitHub secret configured (WARDEN_GITHUB_SECRET_ARN)'));
  }
  return readGithubSecret();
}

// In AWS a review is answered by the webhook or the approval callback, never awaited inside a Lambda.
const noInlineReview: ReviewGate = {
  awaitReview: () => Promise.reject(new Error('IAM reviews are answered by a callback in AWS')),
};

async function pullRequestsOn(r: string): Promise<GitHubPullRequests> {
  const { token } = await githubSecret();
  const [owner, name] = r.split('/') as [string, string];
  return new GitHubPullRequests({
    owner,
    repo: name,
    token,
    ...(env.WARDEN_GITHUB_API ? { baseUrl: env.WARDEN_GITHUB_API } : {}),
  });
}

/** What the approval callback needs: the store and the task tokens. */
export const approvalDeps = { store, tokens, now };

/** What the review webhook needs: the approval deps and the IAM repository whose pull requests it answers. */
export function webhookDeps(): typeof approvalDeps & { iamRepository: string } {
  if (!env.WARDEN_IAM_REPO) throw new Error('no IAM repository configured (WARDEN_IAM_REPO)');
  return { ...approvalDeps, iamRepository: env.WARDEN_IAM_REPO };
}

export async function workerDeps(): Promise<WorkerDeps> {
  const bucket = env.WARDEN_PROPOSALS_BUCKET;
  const history = new AppliedHistory(store, now);
  const iamRepo = env.WARDEN_IAM_REPO ? await pullRequestsOn(env.WARDEN_IAM_REPO) : undefined;
  return {
    store,
    artifacts: storeArtifactProvider({
      store,
      now,
      windowDays: env.WARDEN_MONITOR_WINDOW_DAYS,
      loadCatalog: loadIamCatalog,
    }),
    applier: env.WARDEN_GITOPS_REPO
      ? new GitOpsApplier(await pullRequestsOn(env.WARDEN_GITOPS_REPO), history)
      : new S3ManifestApplier(s3, bucket, history),
    pullRequests: iamRepo ?? new S3Proposals(s3, bucket),
    // The pull request changes the repository file that holds the policy today, when one is found by content.
    ...(iamRepo ? { policyFiles: iamRepo } : {}),
    iamReview: iamRepo ? 'pull-request' : 'approval',
    reviews: noInlineReview,
    events: new EventBridgeSink({ busName: env.WARDEN_BUS_NAME, client: eventBridge }),
    now,
    tokens,
    ...(env.WARDEN_IAM_REPO ? { iamRepository: env.WARDEN_IAM_REPO } : {}),
  };
}
