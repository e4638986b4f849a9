/**
 * Who may report what (docs/architecture.md, "Trust model"). Every ingest path has a principal and the principal a
 * scope; an observation outside the scope of the principal that delivered it is refused as `unauthorized-subject`,
 * naming the principal, and never stored. Pure: the scope is data (from configuration, from the EKS Pod Identity /
 * IRSA mapping, or from where AWS delivered a log object), the check a function of scope and observation.
 *
 * - node-agent callers (HTTPS, SigV4): bound to EKS clusters. They may report `k8s:<cluster>/...` and the cluster's
 *   unattributed activity (`unattributed:<cluster>/...`, `unattributed:node:<cluster>/...`), nothing else: not
 *   `local:` subjects, not another cluster, not CloudTrail or flow records.
 * - trace shippers (HTTPS): bound to accounts and regions of Bedrock agents.
 * - log deliveries (S3 objects, CloudTrail events via EventBridge, CloudWatch Logs subscriptions): bound to the
 *   account and region AWS delivered them for (the `AWSLogs/<account>/<service>/<region>/` key, the event envelope,
 *   the subscription payload's owner) and to the sources that path carries.
 */
import type { Observation, SourceName } from '../observation.ts';
import { parseSubject } from '../observation.ts';

/** What one principal may report. An absent list does not restrict; an empty list allows nothing. */
export interface IngestScope {
  /** Who delivered the data, as AWS authenticated it (an IAM role ARN, an S3 object, an event bus): for rejects. */
  principal: string;
  /** Sources the principal may deliver. */
  sources?: readonly SourceName[];
  /** EKS clusters whose Kubernetes subjects (and unattributed activity) the principal may report. */
  clusters?: readonly string[];
  /** Namespaces within those clusters. */
  namespaces?: readonly string[];
  /** AWS accounts the records must name (CloudTrail recipient, flow-log account, Bedrock account) when they name one. */
  accounts?: readonly string[];
  /** AWS regions the records (and `bedrock:<region>/...` subjects) must name when they name one. */
  regions?: readonly string[];
}

export const UNAUTHORIZED_SUBJECT = 'unauthorized-subject';

/** A refused observation: the reason code and a one-line detail naming the principal. */
export interface Refusal {
  reason: typeof UNAUTHORIZED_SUBJECT;
  detail: string;
}

/** The account and region an observation's record names, by source (undefined when it names none). */
export function recordAccountRegion(o: Observation): { account?: string; region?: string } {
  const a = o.attrs;
  const s = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  switch (o.source) {
    case 'cloudtrail':
      return { account: s(a.recipientAccountId), region: s(a.awsRegion) };
    case 'vpc-flow':
    case 'bedrock-invocation':
      return { account: s(a.accountId), region: s(a.region) };
    case 'bedrock-trace': {
      const sub = parseSubject(o.subject);
      return { account: s(a.accountId), region: sub?.kind === 'bedrock' ? sub.scope : undefined };
    }
    default:
      return {};
  }
}

/** The cluster a subject belongs to, when it names one (`k8s:<c>/..`, `unattributed:<c>/..`, `unattributed:node:<c>/..`). */
export function subjectCluster(subject: string): { cluster?: string; namespace?: string } {
  const p = parseSubject(subject);
  if (p?.kind === 'k8s') return { cluster: p.scope, namespace: p.namespace };
  if (p?.kind !== 'unattributed') return {};
  const rest = p.name.startsWith('node:') ? p.name.slice('node:'.length) : p.name;
  const slash = rest.indexOf('/');
  if (slash <= 0) return {};
  const cluster = rest.slice(0, slash);
  // `unattributed:<cluster>/<namespace>/<pod>`: the second segment is a namespace unless it names a cgroup/container.
  const second = rest.slice(slash + 1).split('/')[0];
  const namespace =
    !p.name.startsWith('node:') && second && !second.includes(':') && rest.split('/').length >= 3 ? second : undefined;
  return { cluster, ...(namespace ? { namespace } : {}) };
}

/**
 * Undefined when `scope` allows the observation, else why not.
 * @example authorizeObservation({ principal: role, sources: ['node-agent'], clusters: ['prod'] }, o)
 */
export function authorizeObservation(scope: IngestScope, o: Observation): Refusal | undefined {
  const refuse = (why: string): Refusal => ({
    reason: UNAUTHORIZED_SUBJECT,
    detail: `${scope.principal} may not report ${o.subject.slice(0, 200)}: ${why}`.slice(0, 300),
  });
  if (scope.sources && !scope.sources.includes(o.source)) return refuse(`source ${o.source} is not in its scope`);
  if (scope.clusters) {
    const { cluster, namespace } = subjectCluster(o.subject);
    if (!cluster) return refuse(`subject names no cluster (bound to ${list(scope.clusters)})`);
    if (!scope.clusters.includes(cluster)) return refuse(`cluster ${cluster} is not ${list(scope.clusters)}`);
    if (scope.namespaces && namespace !== undefined && !scope.namespaces.includes(namespace))
      return refuse(`namespace ${namespace} is not ${list(scope.namespaces)}`);
  }
  if (scope.accounts || scope.regions) {
    const { account, region } = recordAccountRegion(o);
    if (scope.accounts && account !== undefined && !scope.accounts.includes(account))
      return refuse(`account ${account} is not ${list(scope.accounts)}`);
    if (scope.regions && region !== undefined && !scope.regions.includes(region))
      return refuse(`region ${region} is not ${list(scope.regions)}`);
  }
  return undefined;
}

function list(xs: readonly string[]): string {
  return xs.length === 0 ? 'any allowed (none configured)' : xs.length === 1 ? xs[0]! : `one of ${xs.join(', ')}`;
}

/**
 * The IAM identity behind a caller ARN, as scopes name it: an STS assumed-role session
 * (`arn:aws:sts::111:assumed-role/R/session`) is its role (`arn:aws:iam::111:role/R`); other ARNs are themselves.
 */
export function principalOf(callerArn: string): string {
  const m = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(callerArn);
  return m ? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` : callerArn;
}

/** The role name of a role ARN, ignoring its path (`arn:aws:iam::1:role/a/b/R` -> `R`), for matching session ARNs. */
export function roleNameOf(arn: string): string | undefined {
  const m = /^arn:[^:]+:iam::\d{12}:role\/(?:.*\/)?([^/]+)$/.exec(arn);
  return m?.[1];
}

/**
 * The configured scopes naming `callerArn`: a role's scope covers its sessions, roles compared by account and name
 * (an STS session ARN drops the role's path). Each scope stands alone: an observation is allowed when one of them
 * allows it, so a role listed twice (node agent in one cluster, trace shipper in an account) gets no more than each.
 */
export function scopesForCaller(callerArn: string, scopes: readonly IngestScope[]): IngestScope[] {
  const key = (arn: string) => `${/:(\d{12}):/.exec(arn)?.[1] ?? ''}/${roleNameOf(arn) ?? arn}`;
  const mine = key(principalOf(callerArn));
  return scopes
    .filter((s) => s.principal === callerArn || key(s.principal) === mine)
    .map((s) => ({ ...s, principal: callerArn }));
}

/** Undefined when one of `scopes` allows the observation; else the first refusal (or "no scope" when there is none). */
export function authorizeAgainst(
  principal: string,
  scopes: readonly IngestScope[],
  o: Observation,
): Refusal | undefined {
  if (scopes.length === 0)
    return {
      reason: UNAUTHORIZED_SUBJECT,
      detail: `${principal} may not report ${o.subject.slice(0, 200)}: no ingest scope is configured for it`,
    };
  let first: Refusal | undefined;
  for (const s of scopes) {
    const r = authorizeObservation(s, o);
    if (!r) return undefined;
    first ??= r;
  }
  return first;
}
