/**
 * Scopes of the AWS delivery paths (lib/core/trust/ingest-scope.ts): a log object, an event or a log subscription
 * may only report records of the account and region AWS delivered it for, and only the sources that path carries.
 * Node-agent batches and Bedrock Agent traces never arrive this way; they come over HTTPS from a bound principal.
 */
import type { SourceName } from '../observation.ts';
import type { IngestScope } from './ingest-scope.ts';

/** The sources a log bucket may deliver. */
export const LOG_BUCKET_SOURCES: readonly SourceName[] = ['cloudtrail', 'vpc-flow', 'bedrock-invocation'];
/** The sources a CloudWatch Logs subscription may deliver. */
export const LOG_GROUP_SOURCES: readonly SourceName[] = ['bedrock-invocation', 'bedrock-trace', 'vpc-flow'];

const SERVICE_DIRS: Readonly<Record<string, SourceName>> = {
  CloudTrail: 'cloudtrail',
  vpcflowlogs: 'vpc-flow',
  BedrockModelInvocationLogs: 'bedrock-invocation',
};

/** Restricts a scope's accounts to the trusted ones, when trusted accounts are configured. */
function trusted(accounts: readonly string[], trustedAccounts: readonly string[] | undefined): string[] {
  return trustedAccounts ? accounts.filter((a) => trustedAccounts.includes(a)) : [...accounts];
}

/**
 * The scope of an S3 log object. AWS writes `[prefix/]AWSLogs/[o-org/]<account>/<service>/<region>/...`: the records
 * must name that account and region and be of that service's source. Other keys (exports, custom delivery) carry the
 * log-bucket sources of the trusted accounts (any account when none are configured: whoever may write the bucket is
 * then trusted, as its bucket policy says).
 * @example scopeForLogObject('trail', 'AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/02/x.json.gz')
 */
export function scopeForLogObject(bucket: string, key: string, trustedAccounts?: readonly string[]): IngestScope {
  const principal = `s3://${bucket}/${key}`;
  const m = /(?:^|\/)AWSLogs\/(?:o-[a-z0-9]+\/)?(\d{12})\/([A-Za-z]+)\/([a-z0-9-]+)\//.exec(key);
  const source = m ? SERVICE_DIRS[m[2]!] : undefined;
  if (m && source)
    return { principal, sources: [source], accounts: trusted([m[1]!], trustedAccounts), regions: [m[3]!] };
  return { principal, sources: LOG_BUCKET_SOURCES, ...(trustedAccounts ? { accounts: [...trustedAccounts] } : {}) };
}

/** The scope of an EventBridge event (the envelope's account and region are set by EventBridge, not the sender). */
export function scopeForEvent(
  envelope: { account?: string; region?: string; source?: string },
  trustedAccounts?: readonly string[],
): IngestScope {
  const principal = `events:${envelope.source ?? '?'}:${envelope.account ?? '?'}/${envelope.region ?? '?'}`;
  return {
    principal,
    sources: ['cloudtrail'],
    accounts: envelope.account ? trusted([envelope.account], trustedAccounts) : [],
    ...(envelope.region ? { regions: [envelope.region] } : {}),
  };
}

/** The scope of a CloudWatch Logs subscription payload (its `owner` is the log group's account). */
export function scopeForLogGroup(
  payload: { owner?: string; logGroup?: string },
  trustedAccounts?: readonly string[],
): IngestScope {
  return {
    principal: `logs:${payload.owner ?? '?'}:${payload.logGroup ?? '?'}`,
    sources: LOG_GROUP_SOURCES,
    accounts: payload.owner ? trusted([payload.owner], trustedAccounts) : [],
  };
}
