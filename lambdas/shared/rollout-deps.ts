/**
 * Dependencies of the rollout Lambdas, built once per execution environment: the store, Step Functions (task
 * tokens), EventBridge, and GitHub (token from Secrets Manager) for IAM pull requests and, when configured, the
 * GitOps repository the Kubernetes artifacts are proposed to.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { EventBridgeSink } from '../../lib/adapters/eventbridge.ts';
import { GitHubPullRequests } from '../../lib/adapters/github.ts';
import { GitOpsApplier } from '../../lib/adapters/gitops-applier.ts';
import type { ReviewGate } from '../../lib/rollout/steps.ts';
import { storeArtifactProvider } from '../../lib/rollout/store-provider.ts';
import type { WorkerDeps } from '../../lib/rollout/worker.ts';
import { memoSuccess } from './memo.ts';
import { store } from './runtime.ts';

const env = z
  .object({
    WARDEN_BUS_NAME: z.string().min(1),
    WARDEN_GITHUB_SECRET_ARN: z.string().min(1),
    WARDEN_IAM_REPO: z.string().regex(/^[^/]+\/[^/]+$/, 'owner/repo'),
    WARDEN_GITOPS_REPO: z.string().regex(/^[^/]+\/[^/]+$/, 'owner/repo'),
    WARDEN_GITHUB_API: z.string().url().optional(),
    WARDEN_MONITOR_WINDOW_DAYS: z.coerce.number().int().positive().default(7),
  })
  .parse(process.env);

export const sfn = new SFNClient({});
const secrets = new SecretsManagerClient({});

/** `{ "token": "...", "webhookSecret": "..." }` in Secrets Manager; a failed read is retried on the next call. */
export const githubSecret: () => Promise<{ token: string; webhookSecret: string }> = memoSuccess(() =>
  secrets
    .send(new GetSecretValueCommand({ SecretId: env.WARDEN_GITHUB_SECRET_ARN }))
    .then((r) => z.object({ token: z.string(), webhookSecret: z.string() }).parse(JSON.parse(r.SecretString ?? '{}'))),
);

// In AWS the review is answered by the webhook, never awaited inside a Lambda.
const noInlineReview: ReviewGate = {
  awaitReview: () => Promise.reject(new Error('IAM reviews are answered by the review webhook in AWS')),
};

export async function workerDeps(): Promise<WorkerDeps> {
  const { token } = await githubSecret();
  const repo = (r: string) => {
    const [owner, name] = r.split('/') as [string, string];
    return new GitHubPullRequests({
      owner,
      repo: name,
      token,
      ...(env.WARDEN_GITHUB_API ? { baseUrl: env.WARDEN_GITHUB_API } : {}),
    });
  };
  const now = () => new Date().toISOString();
  return {
    store,
    artifacts: storeArtifactProvider({ store, now, windowDays: env.WARDEN_MONITOR_WINDOW_DAYS }),
    applier: new GitOpsApplier(repo(env.WARDEN_GITOPS_REPO)),
    pullRequests: repo(env.WARDEN_IAM_REPO),
    reviews: noInlineReview,
    events: new EventBridgeSink({ busName: env.WARDEN_BUS_NAME }),
    now,
    sfn,
    iamRepository: env.WARDEN_IAM_REPO,
  };
}
