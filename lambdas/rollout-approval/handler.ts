/**
 * Approval endpoint of proposed IAM tightenings (Lambda function URL, AWS_IAM auth: the caller signs with SigV4 and
 * needs `lambda:InvokeFunctionUrl` on this function, so who may approve is an IAM decision). Body:
 * `{"approvalId": "...", "decision": "approve" | "reject", "comment": "..."}`. The decision is recorded with the
 * caller's IAM identity from the signed request; the last decision of a class answers the rollout's task token.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { decideApproval } from '../../lib/app/rollout/approval.ts';
import { approvalRequestSchema } from '../../lib/app/rollout/schemas.ts';
import { approvalDeps } from '../shared/rollout-deps.ts';
import { logger } from '../shared/runtime.ts';

/** Bodies are a few hundred bytes; anything much larger is not an approval. */
const MAX_BODY = 16 * 1024;

const STATUS = { unknown: 404, 'already-decided': 409, recorded: 200, answered: 200 } as const;

type UrlEvent = LambdaFunctionURLEvent & {
  requestContext: { authorizer?: { iam?: { userArn?: string; callerId?: string } } };
};

const reply = (statusCode: number, body: unknown): LambdaFunctionURLResult => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

async function run(event: UrlEvent): Promise<LambdaFunctionURLResult> {
  // AWS_IAM auth: the function URL only invokes for a signed caller; without its identity nothing is recorded.
  const by = event.requestContext.authorizer?.iam?.userArn;
  if (!by) return reply(403, { error: 'no IAM caller identity: the approval URL needs AWS_IAM (SigV4) auth' });
  if (event.requestContext.http?.method !== 'POST') return reply(405, { error: 'POST an approval' });
  const body = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
  if (Buffer.byteLength(body) > MAX_BODY) return reply(413, { error: `body over ${MAX_BODY} bytes` });
  let payload: unknown;
  try {
    payload = JSON.parse(body);
  } catch {
    return reply(400, { error: 'body is not JSON' });
  }
  const parsed = approvalRequestSchema.safeParse(payload);
  if (!parsed.success) {
    return reply(400, { error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
  }
  const outcome = await decideApproval({ ...parsed.data, by }, approvalDeps);
  logger.info('approval', { approvalId: parsed.data.approvalId, decision: parsed.data.decision, by, outcome });
  return reply(STATUS[outcome], { approvalId: parsed.data.approvalId, outcome });
}

export const handler = middy(run).use(injectLambdaContext(logger));
