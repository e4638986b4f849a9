/**
 * Opens the Store named by a spec (the CLI's `--store`, else env WARDEN_STORE, else `embedded`):
 *   embedded              dynalite in-process, on disk under `.warden/` in the current directory
 *   embedded:DIR          dynalite on disk under DIR
 *   embedded:memory       dynalite in memory (gone when the process exits)
 *   dynamodb://TABLE?endpoint=URL&region=R&create=1
 *                         a real DynamoDB endpoint (AWS, moto_server, LocalStack); the table is created when missing
 *                         only for a loopback endpoint or with create=1.
 */
import { resolve } from 'node:path';
import { DynamoStore } from './dynamo-store.ts';
import { startEmbedded } from './embedded.ts';
import { DEFAULT_TABLE_NAME } from './table-schema.ts';

export class StoreSpecError extends Error {
  constructor(spec: string, why: string) {
    super(`invalid store spec "${spec}": ${why}`);
    this.name = 'StoreSpecError';
  }
}

export type StoreSpec =
  | { kind: 'embedded'; path: string | undefined }
  | { kind: 'dynamodb'; table: string; endpoint?: string; region?: string; create: boolean };

/** Parses a store spec without opening anything (paths resolved against `cwd`). */
export function parseStoreSpec(spec: string, cwd = process.cwd()): StoreSpec {
  if (spec === 'embedded') return { kind: 'embedded', path: resolve(cwd, '.warden', 'store') };
  if (spec.startsWith('embedded:')) {
    const rest = spec.slice('embedded:'.length);
    if (!rest) throw new StoreSpecError(spec, 'empty directory');
    return { kind: 'embedded', path: rest === 'memory' ? undefined : resolve(cwd, rest) };
  }
  if (spec.startsWith('dynamodb://')) {
    let url: URL;
    try {
      url = new URL(spec);
    } catch {
      throw new StoreSpecError(spec, 'not a URL');
    }
    const table = decodeURIComponent(url.host + url.pathname).replace(/\/+$/, '');
    if (!/^[A-Za-z0-9_.-]{3,255}$/.test(table))
      throw new StoreSpecError(spec, 'table name must be 3-255 of [A-Za-z0-9_.-]');
    const endpoint = url.searchParams.get('endpoint') ?? undefined;
    if (endpoint && !/^https?:\/\//.test(endpoint)) throw new StoreSpecError(spec, 'endpoint must be an http(s) URL');
    const create = url.searchParams.get('create') === '1' || (endpoint !== undefined && isLoopback(endpoint));
    return { kind: 'dynamodb', table, endpoint, region: url.searchParams.get('region') ?? undefined, create };
  }
  throw new StoreSpecError(spec, 'expected embedded, embedded:DIR, embedded:memory or dynamodb://TABLE?endpoint=URL');
}

function isLoopback(endpoint: string): boolean {
  const host = new URL(endpoint).hostname;
  return host === 'localhost' || host === '::1' || host === '[::1]' || host.startsWith('127.');
}

/** Opens (and for embedded, starts) the store; call `close()` when done. */
export async function openStore(spec?: string, opts: { cwd?: string } = {}): Promise<DynamoStore> {
  const s = parseStoreSpec(spec || process.env.WARDEN_STORE || 'embedded', opts.cwd);
  if (s.kind === 'embedded') {
    const ep = await startEmbedded(s.path);
    const store = new DynamoStore({
      tableName: DEFAULT_TABLE_NAME,
      clientConfig: localClientConfig(ep.endpoint, 'us-east-1'),
      createTable: true,
      description: s.path ? `embedded:${s.path}` : 'embedded:memory',
      onClose: ep.close,
      // The embedded database lives in this process: nothing else writes to it.
      singleWriter: true,
    });
    try {
      await store.init();
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  }
  const region = s.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const local = s.endpoint !== undefined && isLoopback(s.endpoint);
  const store = new DynamoStore({
    tableName: s.table,
    clientConfig: local ? localClientConfig(s.endpoint as string, region) : { region, endpoint: s.endpoint },
    createTable: s.create,
    description: `dynamodb://${s.table}${s.endpoint ? `?endpoint=${s.endpoint}` : ''}`,
  });
  return store;
}

/** Local endpoints accept any credentials; fixed ones keep the SDK from searching the machine for real ones. */
export function localClientConfig(endpoint: string, region: string) {
  return {
    endpoint,
    region,
    credentials: { accessKeyId: 'warden-local', secretAccessKey: 'warden-local' },
    maxAttempts: 3,
  };
}
