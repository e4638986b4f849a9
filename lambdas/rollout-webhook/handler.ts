/**
 * GitHub `pull_request` webhook (Lambda function URL): verifies the X-Hub-Signature-256 HMAC with the secret in
 * Secrets Manager, then records the review of a Warden IAM pull request and, when every pull request of the step is
 * reviewed, answers the rollout's task token. Any other delivery is acknowledged and ignored.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { handleReviewWebhook, reviewWebhookSchema } from '../../lib/app/rollout/worker.ts';
import { githubSecret, webhookDeps } from '../shared/rollout-deps.ts';
import { logger } from '../shared/runtime.ts';

export function validSignature(body: string, header: string | undefined, secret: string): boolean {
  if (!header?.startsWith('sha256=')) return false;
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
  const got = Buffer.from(header);
  return got.length === expected.length && timingSafeEqual(got, expected);
}

async function run(event: LambdaFunctionURLEvent): Promise<LambdaFunctionURLResult> {
  const body = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
  const { webhookSecret } = await githubSecret();
  if (!validSignature(body, event.headers['x-hub-signature-256'], webhookSecret)) {
    return { statusCode: 401, body: 'invalid signature' };
  }
  if (event.headers['x-github-event'] !== 'pull_request') return { statusCode: 202, body: 'ignored' };
  let payload: unknown;
  try {
    payload = JSON.parse(body);
  } catch {
    return { statusCode: 400, body: 'body is not JSON' };
  }
  const parsed = reviewWebhookSchema.safeParse(payload);
  if (!parsed.success) return { statusCode: 400, body: 'not a pull_request event' };
  const outcome = await handleReviewWebhook(parsed.data, webhookDeps());
  logger.info('review webhook', { outcome });
  return { statusCode: 200, body: outcome };
}

export const handler = middy(run).use(injectLambdaContext(logger));
