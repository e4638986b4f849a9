/** Crash backends over a DynamoDB endpoint (dynalite, moto): one table per run, faults in an SDK middleware. */
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoStore } from '../../../lib/adapters/dynamo-store.ts';
import type { CrashBackend } from './crash-contract.ts';

export function dynamoCrashBackend(clientConfig: DynamoDBClientConfig, stop: () => Promise<void>): CrashBackend {
  let n = 0;
  return {
    open: async (step) => {
      const store = new DynamoStore({ tableName: `crash-${n}`, clientConfig, createTable: true });
      await store.init();
      // Outermost step: the request (with its SDK retries) has completed on the server when `after` runs.
      store.client.middlewareStack.add(
        (next) => async (args) => {
          step('before');
          const out = await next(args);
          step('after');
          return out;
        },
        { step: 'initialize', name: 'injectKill' },
      );
      return store;
    },
    fresh: async () => {
      n++;
    },
    stop,
  };
}
