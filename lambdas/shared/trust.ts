/**
 * The ingest trust configuration of the Lambdas (docs/architecture.md, "Trust model"), from the environment:
 * - WARDEN_INGEST_PRINCIPALS: JSON list of HTTPS principals and their scopes, e.g.
 *   `[{"principal":"arn:aws:iam::111122223333:role/warden-node-agent","sources":["node-agent"],"clusters":["prod"]},
 *     {"principal":"arn:aws:iam::111122223333:role/trace-shipper","sources":["bedrock-trace"],
 *      "accounts":["111122223333"],"regions":["us-east-1"]}]`
 * - WARDEN_CLUSTERS (set by the stack): node-agent roles are also read from each cluster's Pod Identity
 *   associations and IRSA trust policies of `warden-system/warden-node-agent`, refreshed every few minutes.
 * - WARDEN_TRUSTED_ACCOUNTS: accounts whose log deliveries are accepted (default: the account of each delivery).
 * - WARDEN_INGEST_QUOTA_PER_HOUR: observations one HTTPS caller may deliver per hour (default 500000).
 */
import { EKSClient } from '@aws-sdk/client-eks';
import { IAMClient } from '@aws-sdk/client-iam';
import { z } from 'zod';
import { recordCalls } from '../../lib/adapters/aws-calls.ts';
import { nodeAgentScopes } from '../../lib/adapters/ingest-principals.ts';
import { SOURCES } from '../../lib/core/observation.ts';
import { type IngestScope, scopesForCaller } from '../../lib/core/trust/ingest-scope.ts';

const list = z.array(z.string().min(1)).min(1);
const scopeSchema = z
  .object({
    principal: z.string().startsWith('arn:'),
    sources: z.array(z.enum(SOURCES)).min(1),
    clusters: list.optional(),
    namespaces: list.optional(),
    accounts: z
      .array(z.string().regex(/^\d{12}$/))
      .min(1)
      .optional(),
    regions: list.optional(),
  })
  .strict()
  .refine((s) => !s.sources.includes('node-agent') || s.clusters, 'a node-agent principal needs its clusters')
  .refine(
    (s) => !s.sources.includes('bedrock-trace') || s.accounts || s.regions,
    'a trace principal needs its accounts or regions',
  );

const csv = (v: string | undefined) =>
  (v ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

export interface TrustConfig {
  principals: IngestScope[];
  clusters: string[];
  trustedAccounts?: string[];
  quotaPerHour: number;
}

/** Reads the trust configuration; throws with the problem named (a misconfigured function fails at cold start). */
export function readTrustConfig(env: NodeJS.ProcessEnv = process.env): TrustConfig {
  let principals: IngestScope[] = [];
  if (env.WARDEN_INGEST_PRINCIPALS) {
    const parsed = z.array(scopeSchema).safeParse(JSON.parse(env.WARDEN_INGEST_PRINCIPALS));
    if (!parsed.success)
      throw new Error(
        `invalid WARDEN_INGEST_PRINCIPALS: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    principals = parsed.data;
  }
  const trusted = csv(env.WARDEN_TRUSTED_ACCOUNTS);
  const quota = Number(env.WARDEN_INGEST_QUOTA_PER_HOUR ?? 500_000);
  if (!Number.isInteger(quota) || quota <= 0) throw new Error('invalid WARDEN_INGEST_QUOTA_PER_HOUR');
  return {
    principals,
    clusters: csv(env.WARDEN_CLUSTERS),
    ...(trusted.length ? { trustedAccounts: trusted } : {}),
    quotaPerHour: quota,
  };
}

/** Node-agent scopes read from the clusters' EKS and IAM, over clients built once (not per re-read). */
function nodeAgentScopesFromAws(config: TrustConfig): () => Promise<IngestScope[]> {
  const eks = recordCalls(new EKSClient({}));
  const iam = recordCalls(new IAMClient({}));
  return () => nodeAgentScopes({ eks, iam, clusters: config.clusters });
}

/** Derived node-agent scopes are re-read after this long. */
export const DERIVED_TTL_MS = 5 * 60_000;

/**
 * The scopes of HTTPS callers: configured ones plus node-agent roles read from EKS. A failed read is not cached:
 * the last good answer (or the configured scopes alone) serves until the next attempt, which is the next request.
 */
export class CallerScopes {
  private derived: { scopes: IngestScope[]; at: number } | undefined;
  constructor(
    private readonly config: TrustConfig,
    private readonly derive: () => Promise<IngestScope[]> = nodeAgentScopesFromAws(config),
    private readonly clock: () => number = Date.now,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  async forCaller(callerArn: string): Promise<IngestScope[]> {
    const all = [...this.config.principals, ...(await this.derivedScopes())];
    return scopesForCaller(callerArn, all);
  }

  private async derivedScopes(): Promise<IngestScope[]> {
    if (this.config.clusters.length === 0) return [];
    if (this.derived && this.clock() - this.derived.at < DERIVED_TTL_MS) return this.derived.scopes;
    try {
      this.derived = { scopes: await this.derive(), at: this.clock() };
    } catch (err) {
      this.onError(err);
    }
    return this.derived?.scopes ?? [];
  }
}
