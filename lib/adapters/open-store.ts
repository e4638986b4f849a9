/**
 * Opens the Store named by a spec (the CLI's `--store`, else env WARDEN_STORE, else `embedded`):
 *   embedded              the embedded SQLite store, on disk in `.warden/warden.db` under the current directory
 *   embedded:DIR          the embedded SQLite store in DIR/warden.db
 *   embedded:memory       the embedded SQLite store in memory (gone when the process exits)
 *   dynalite:DIR          the DynamoDB store over in-process dynalite (LevelDB under DIR; `dynalite:memory` in
 *                         memory): runs the exact code path of a deployed table without an AWS account
 *   dynamodb://TABLE?endpoint=URL&region=R&create=1
 *                         a real DynamoDB endpoint (AWS, moto_server, LocalStack); the table is created when missing
 *                         only for a loopback endpoint or with create=1.
 * Each adapter is imported when chosen, so opening the default store loads neither the AWS SDK nor dynalite.
 */
import { join, resolve } from 'node:path';
import type { AuditAnchorLog, Store } from '../ports.ts';
import { FileAnchorLog, MemoryAnchorLog } from './audit-anchors.ts';
import { DEFAULT_TABLE_NAME } from './table-schema.ts';

/** File name of the embedded database inside its directory. */
export const EMBEDDED_DB_FILE = 'warden.db';

export class StoreSpecError extends Error {
  constructor(spec: string, why: string) {
    super(`invalid store spec "${spec}": ${why}`);
    this.name = 'StoreSpecError';
  }
}

export type StoreSpec =
  | { kind: 'embedded'; path: string | undefined }
  | { kind: 'dynalite'; path: string | undefined }
  | { kind: 'dynamodb'; table: string; endpoint?: string; region?: string; create: boolean };

/** Parses a store spec without opening anything (paths resolved against `cwd`). */
export function parseStoreSpec(spec: string, cwd = process.cwd()): StoreSpec {
  if (spec === 'embedded') return { kind: 'embedded', path: resolve(cwd, '.warden') };
  for (const kind of ['embedded', 'dynalite'] as const) {
    if (!spec.startsWith(`${kind}:`)) continue;
    const rest = spec.slice(kind.length + 1);
    if (!rest) throw new StoreSpecError(spec, 'empty directory');
    return { kind, path: rest === 'memory' ? undefined : resolve(cwd, rest) };
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
  throw new StoreSpecError(
    spec,
    'expected embedded, embedded:DIR, embedded:memory, dynalite:DIR, dynalite:memory or dynamodb://TABLE?endpoint=URL',
  );
}

function isLoopback(endpoint: string): boolean {
  const host = new URL(endpoint).hostname;
  return host === 'localhost' || host === '::1' || host === '[::1]' || host.startsWith('127.');
}

/** Opens (and for dynalite, starts) the store; call `close()` when done. */
export async function openStore(spec?: string, opts: { cwd?: string } = {}): Promise<Store> {
  const s = parseStoreSpec(spec || process.env.WARDEN_STORE || 'embedded', opts.cwd);
  if (s.kind === 'embedded') {
    const { SqliteStore } = await import('./sqlite-store.ts');
    const path = s.path && join(s.path, EMBEDDED_DB_FILE);
    return new SqliteStore({
      path,
      description: s.path ? `embedded:${s.path}` : 'embedded:memory',
      auditAnchors: localAnchors(path),
    });
  }
  const { DynamoStore } = await import('./dynamo-store.ts');
  if (s.kind === 'dynalite') {
    const { startEmbedded } = await import('./embedded.ts');
    const ep = await startEmbedded(s.path);
    const store = new DynamoStore({
      tableName: DEFAULT_TABLE_NAME,
      clientConfig: localClientConfig(ep.endpoint, 'us-east-1'),
      createTable: true,
      description: s.path ? `dynalite:${s.path}` : 'dynalite:memory',
      // The audit chain's anchors live beside the database, outside the table (docs/audit.md).
      auditAnchors: localAnchors(s.path),
      onClose: ep.close,
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
    ...(await anchorsFromEnv(region, s.endpoint)),
  });
  return store;
}

/**
 * The anchor log of a local store: a file beside its database (outside the table, docs/audit.md), or in memory for
 * an in-memory store.
 */
function localAnchors(path: string | undefined): AuditAnchorLog {
  return path ? new FileAnchorLog(`${path}.anchors.ndjson`) : new MemoryAnchorLog();
}

/**
 * The anchor log of a DynamoDB store, from WARDEN_AUDIT_ANCHOR: `s3://BUCKET[/PREFIX]` (the stack's anchor bucket)
 * or `file:PATH`. Unset: the chain is verified without anchors, and `audit verify` says so.
 */
async function anchorsFromEnv(
  region: string,
  endpoint: string | undefined,
): Promise<{ auditAnchors?: AuditAnchorLog }> {
  const spec = process.env.WARDEN_AUDIT_ANCHOR;
  if (!spec) return {};
  if (spec.startsWith('file:')) return { auditAnchors: new FileAnchorLog(resolve(spec.slice('file:'.length))) };
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(spec);
  if (!m) throw new StoreSpecError(spec, 'WARDEN_AUDIT_ANCHOR must be s3://BUCKET[/PREFIX] or file:PATH');
  const local = endpoint !== undefined && isLoopback(endpoint);
  const [{ S3Client }, { S3AnchorLog }] = await Promise.all([
    import('@aws-sdk/client-s3'),
    import('./audit-anchors-s3.ts'),
  ]);
  const client = new S3Client({
    ...(local ? localClientConfig(endpoint as string, region) : { region }),
    forcePathStyle: local,
  });
  return { auditAnchors: new S3AnchorLog({ client, bucket: m[1]!, ...(m[2] ? { prefix: m[2] } : {}) }) };
}

/** Local endpoints accept any credentials; fixed ones keep the SDK from searching the machine for real ones. */
export function localClientConfig(endpoint: string, region: string) {
  return {
    endpoint,
    region,
    credentials: { accessKeyId: 'warden-local', secretAccessKey: 'warden-local' },
    maxAttempts: 3,
    // An emulator that stops answering one request (seen with moto_server on a loaded machine) must not hang the
    // ingest forever: the request times out and is retried; every write is conditional, so a retried write that had
    // landed is recognised as already stored.
    requestHandler: { requestTimeout: 120_000, throwOnRequestTimeout: true },
  };
}
