/**
 * Rollout worker: SQS event source on the worker queue. Each message is one step request sent by the rollout
 * state machine with a task token; the step runs and the token is answered (the IAM pull request step is answered
 * by the review webhook instead). A malformed message fails its batch item and ends in the DLQ.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { handleWorkerMessage } from '../../lib/app/rollout/worker.ts';
import { workerDeps } from '../shared/rollout-deps.ts';
import { logger, tracer } from '../shared/runtime.ts';

async function run(event: SQSEvent): Promise<SQSBatchResponse> {
  const deps = await workerDeps();
  const failures: SQSBatchResponse['batchItemFailures'] = [];
  for (const r of event.Records) {
    try {
      const outcome = await handleWorkerMessage(r.body, deps);
      logger.info('rollout step handled', { messageId: r.messageId, outcome });
    } catch (err) {
      logger.error('malformed rollout step message', { messageId: r.messageId, error: err as Error });
      failures.push({ itemIdentifier: r.messageId });
    }
  }
  return { batchItemFailures: failures };
}

export const handler = middy(run).use(injectLambdaContext(logger)).use(captureLambdaHandler(tracer));
