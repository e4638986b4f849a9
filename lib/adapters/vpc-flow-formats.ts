/**
 * VPC flow log formats given once and kept in the store (doc kind `vpc-flow-format`, scope `global`, id = the scope
 * key: `flow-log:fl-ID`, `log-group:NAME`, `prefix:S3-PREFIX` or `dir:PATH`), so later ingests of headerless lines in
 * a custom order read them without being told again. They come from `warden ingest --vpc-format` or from the flow
 * log's own `LogFormat` (EC2 DescribeFlowLogs), which the ingest Lambda reads for a flow log it has not seen.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import { formatScopes, parseFlowFormat } from '../core/sources/vpc-flow-format.ts';
import type { Store } from '../ports.ts';

export const VPC_FORMAT_DOC = 'vpc-flow-format';

export interface StoredFlowFormat {
  fields: string[];
  /** Where it came from: the CLI flag or DescribeFlowLogs. */
  origin: 'cli' | 'describe-flow-logs';
  /** The format as given (`${version} ${srcaddr} ...`). */
  format: string;
}

/** Every stored format by scope key. */
export async function loadFlowFormats(store: Store): Promise<Map<string, string[]>> {
  const docs = await store.listDocs<StoredFlowFormat>(VPC_FORMAT_DOC, 'global');
  return new Map(docs.filter((d) => Array.isArray(d.body.fields)).map((d) => [d.id, d.body.fields]));
}

/** Stores `format` for `scope` (replacing an earlier one). */
export async function saveFlowFormat(
  store: Store,
  scope: string,
  fields: string[],
  origin: StoredFlowFormat['origin'],
): Promise<void> {
  await store.putDoc<StoredFlowFormat>(VPC_FORMAT_DOC, 'global', scope, {
    fields,
    origin,
    format: fields.map((f) => `\${${f}}`).join(' '),
  });
}

/** The most specific scope a file's format is stored under (flow log id, S3 prefix, else its directory). */
export function primaryScope(file: string): string | undefined {
  return formatScopes({ file })[0];
}

/**
 * Reads the `LogFormat` of the flow logs named in S3 object keys that have no stored format yet, and stores it.
 * Returns the scopes it added. A flow log that is gone or unreadable is skipped (its lines then need a header or
 * `warden ingest --vpc-format`).
 */
export async function learnFlowFormats(
  store: Store,
  ec2: Pick<EC2Client, 'send'>,
  objectKeys: string[],
  known: Map<string, string[]>,
): Promise<string[]> {
  const ids = [
    ...new Set(
      objectKeys
        .map((k) => /_(fl-[0-9a-z]+)_/.exec(k.slice(k.lastIndexOf('/') + 1))?.[1])
        .filter((id): id is string => id !== undefined && !known.has(`flow-log:${id}`)),
    ),
  ];
  if (ids.length === 0) return [];
  // Loaded here, not with the module: `warden ingest` reads stored formats and never calls EC2 (the SDK client costs
  // more to load than parsing a day of trail).
  const { DescribeFlowLogsCommand } = await import('@aws-sdk/client-ec2');
  const out = await ec2.send(new DescribeFlowLogsCommand({ FlowLogIds: ids }));
  const added: string[] = [];
  for (const fl of out.FlowLogs ?? []) {
    if (!fl.FlowLogId || !fl.LogFormat) continue;
    const parsed = parseFlowFormat(fl.LogFormat);
    if (!parsed.ok) continue;
    const scope = `flow-log:${fl.FlowLogId}`;
    await saveFlowFormat(store, scope, parsed.fields, 'describe-flow-logs');
    known.set(scope, parsed.fields);
    added.push(scope);
  }
  return added;
}
