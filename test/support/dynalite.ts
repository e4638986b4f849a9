/**
 * An in-process dynalite endpoint and a fresh store on it, for integration tests.
 *
 * @example
 *   const { store, endpoint, stop } = await startDynaliteStore();
 */
import { DynamoStore, type DynamoStoreOptions } from '../../lib/adapters/dynamo-store.ts';
import { startEmbedded } from '../../lib/adapters/embedded.ts';
import { localClientConfig } from '../../lib/adapters/open-store.ts';

export interface DynaliteHandle {
  endpoint: string;
  clientConfig: ReturnType<typeof localClientConfig>;
  stop(): Promise<void>;
}

/** Starts dynalite in memory (or on disk under `path`) on a loopback port. */
export async function startDynalite(path?: string): Promise<DynaliteHandle> {
  const ep = await startEmbedded(path);
  return { endpoint: ep.endpoint, clientConfig: localClientConfig(ep.endpoint, 'us-east-1'), stop: ep.close };
}

/** A DynamoStore over a fresh in-memory dynalite; `stop()` closes both. */
export async function startDynaliteStore(
  opts: Partial<DynamoStoreOptions> = {},
): Promise<{ store: DynamoStore; endpoint: string; stop(): Promise<void> }> {
  const d = await startDynalite();
  const store = new DynamoStore({
    tableName: 'warden-test',
    clientConfig: d.clientConfig,
    createTable: true,
    description: 'dynalite (test)',
    ...opts,
  });
  await store.init();
  return { store, endpoint: d.endpoint, stop: () => store.close().then(() => d.stop()) };
}

/** A DynamoStore over an existing endpoint (e.g. moto), with its own table. */
export async function storeAt(
  clientConfig: DynamoStoreOptions['clientConfig'],
  tableName: string,
  opts: Partial<DynamoStoreOptions> = {},
): Promise<DynamoStore> {
  const store = new DynamoStore({ tableName, clientConfig, createTable: true, ...opts });
  await store.init();
  return store;
}
