/**
 * Configuration of a Warden deployment: the props of the `Warden` construct, and how `bin/app.ts` reads them from
 * CDK context (`cdk.json` or `-c warden:<name>=...`). Context is outside data, so it goes through zod.
 */
import { z } from 'zod';
import type { PromptContentPolicy } from '../core/sources/types.ts';

/** The log sources Warden reads from S3, each as AWS delivers it into a bucket. */
export const BUCKET_SOURCES = ['cloudtrail', 'bedrock-invocation', 'vpc-flow'] as const;
export type BucketSource = (typeof BUCKET_SOURCES)[number];

/**
 * Where one source's log files land. `bucketName` watches an existing bucket (a CDK custom resource adds the
 * notification to it); without it Warden creates the bucket, with the delivery policy for that AWS service.
 * `false` turns the source off.
 */
export type BucketWatch = { bucketName?: string; prefix?: string } | false;

export interface WardenProps {
  /** EKS clusters whose agents Warden watches (coverage checks their VPC flow logs and node agents). */
  clusterNames?: string[];
  /** Per source: watch an existing bucket, create one (default) or turn it off. */
  buckets?: Partial<Record<BucketSource, BucketWatch>>;
  /** Days observations, quarantine and Lambda logs are kept. Default 400 (13 months: year-over-year audits). */
  retentionDays?: number;
  /** How prompt and completion text is kept: never raw unless chosen. Default `hash-and-excerpt`. */
  promptContent?: PromptContentPolicy;
  /** Bedrock invocation logs delivered to CloudWatch Logs: subscribe Warden to this log group. */
  bedrockInvocationLogGroupName?: string;
  /** Largest accepted body on the HTTPS ingest endpoint (node-agent batches, Bedrock Agent traces). Default 1 MiB. */
  maxPayloadBytes?: number;
  /** Keep the table, key and created buckets when the stack is deleted. Default true (evidence outlives a stack). */
  retainData?: boolean;
  /** Object Lock mode of the audit anchor bucket: `governance` (default) or `compliance` (not even root can delete). */
  auditAnchorMode?: 'governance' | 'compliance';
  /**
   * HTTPS ingest principals and what each may report (docs/architecture.md, "Trust model"), e.g.
   * `[{ principal: 'arn:aws:iam::111122223333:role/warden-node-agent', sources: ['node-agent'], clusters: ['prod'] }]`.
   * Node-agent roles of `clusterNames` are also read from EKS (Pod Identity, IRSA).
   */
  ingestPrincipals?: IngestPrincipal[];
  /** Accounts whose log deliveries are accepted; default: each delivery's own account (its AWSLogs path). */
  trustedAccounts?: string[];
  /** Observations one HTTPS caller may deliver per hour. Default 500000. */
  ingestQuotaPerHour?: number;
  /**
   * GitHub for the rollout state machine (which is always deployed). With `iamRepository` IAM tightenings go as pull
   * requests there (answered by the review webhook); without it they are proposed in the proposals bucket and wait
   * for an approval. With `gitOpsRepository` Kubernetes artifacts go as pull requests there; without it they are
   * written to the bucket's `cluster/` prefix. Repositories are `owner/repo`; the GitHub token and webhook secret live
   * in Secrets Manager (`githubSecretArn`, created empty when omitted).
   */
  rollout?: RolloutGitHub;
  /**
   * How often log files announced on the `Objects` queue (trail files, Bedrock invocation logs, VPC flow logs) are
   * ingested, in minutes. 5 or less: Lambda's SQS event source mapping with this batching window (5 minutes is the
   * most Lambda allows). Above 5 (default 15): a schedule drains the queue every N minutes, so each subject's packs,
   * evidence and dirty mark are written once per N minutes instead of once per batch: fewer write
   * units, up to N minutes more latency (docs/operations.md, "Trail-file batching").
   */
  objectBatchMinutes?: number;
  /**
   * How often drift is judged, in minutes: a divisor of 60 (default 15), or 0. Above 0 a schedule runs the Drift
   * function every N minutes (it judges only the subjects with new data since their last judgement) and the ingest
   * functions announce nothing: a drift item comes up to N minutes after its data is stored. 0: a Drift run on every
   * ingest that stored data (the `Warden Observations Ingested` announcement on the Warden bus) and hourly, for the
   * lowest latency at the measured cost of a run per delivery (docs/deploy.md, docs/operations.md).
   */
  driftMinutes?: number;
  /** SNS topic (ARN) every Warden alarm notifies, in alarm and back to OK. Unset: alarms only show in CloudWatch. */
  alarmTopicArn?: string;
}

export interface RolloutGitHub {
  iamRepository?: string;
  gitOpsRepository?: string;
  githubSecretArn?: string;
  githubApiUrl?: string;
}

/** An HTTPS ingest principal's scope (lib/core/trust/ingest-scope.ts). */
export interface IngestPrincipal {
  principal: string;
  sources: ('node-agent' | 'bedrock-trace')[];
  clusters?: string[];
  namespaces?: string[];
  accounts?: string[];
  regions?: string[];
}

export const DEFAULTS = {
  retentionDays: 400,
  promptContent: 'hash-and-excerpt' as PromptContentPolicy,
  maxPayloadBytes: 1024 * 1024,
  retainData: true,
  objectBatchMinutes: 15,
  driftMinutes: 15,
} as const;

/**
 * Whether `n` is a `driftMinutes` the stack accepts: 0 (drift on ingest), or whole minutes dividing the hour, so the
 * schedule's runs fall at the same minutes of every hour.
 */
export function isDriftMinutes(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 60 && (n === 0 || 60 % n === 0);
}

/** The largest SQS batching window Lambda allows (minutes): above it, Ingestion drains the queue on a schedule. */
export const MAX_SQS_WINDOW_MINUTES = 5;

const bucketWatch = z.union([
  z.literal(false),
  z.object({ bucketName: z.string().min(3).max(63).optional(), prefix: z.string().optional() }).strict(),
]);

const contextSchema = z
  .object({
    clusterNames: z.array(z.string().min(1)).default([]),
    buckets: z
      .object({ cloudtrail: bucketWatch, 'bedrock-invocation': bucketWatch, 'vpc-flow': bucketWatch })
      .partial()
      .strict()
      .default({}),
    retentionDays: z.coerce.number().int().min(1).max(3653).default(DEFAULTS.retentionDays),
    promptContent: z.enum(['hash-only', 'hash-and-excerpt', 'raw']).default(DEFAULTS.promptContent),
    bedrockInvocationLogGroupName: z.string().min(1).optional(),
    maxPayloadBytes: z.coerce
      .number()
      .int()
      .min(1024)
      .max(6 * 1024 * 1024)
      .default(DEFAULTS.maxPayloadBytes),
    retainData: z.union([z.boolean(), z.enum(['true', 'false']).transform((s) => s === 'true')]).default(true),
    auditAnchorMode: z.enum(['governance', 'compliance']).optional(),
    ingestPrincipals: z
      .array(
        z
          .object({
            principal: z.string().startsWith('arn:'),
            sources: z.array(z.enum(['node-agent', 'bedrock-trace'])).min(1),
            clusters: z.array(z.string().min(1)).min(1).optional(),
            namespaces: z.array(z.string().min(1)).min(1).optional(),
            accounts: z
              .array(z.string().regex(/^\d{12}$/))
              .min(1)
              .optional(),
            regions: z.array(z.string().min(1)).min(1).optional(),
          })
          .strict(),
      )
      .optional(),
    trustedAccounts: z.array(z.string().regex(/^\d{12}$/)).optional(),
    ingestQuotaPerHour: z.coerce.number().int().positive().optional(),
    rollout: z
      .object({
        iamRepository: z
          .string()
          .regex(/^[^/\s]+\/[^/\s]+$/, 'owner/repo')
          .optional(),
        gitOpsRepository: z
          .string()
          .regex(/^[^/\s]+\/[^/\s]+$/, 'owner/repo')
          .optional(),
        githubSecretArn: z.string().startsWith('arn:').optional(),
        githubApiUrl: z.string().url().optional(),
      })
      .strict()
      .optional(),
    objectBatchMinutes: z.coerce.number().int().min(0).max(60).default(DEFAULTS.objectBatchMinutes),
    driftMinutes: z.coerce
      .number()
      .int()
      .min(0)
      .max(60)
      .refine(isDriftMinutes, '0 or a divisor of 60 (5, 10, 15, 20, 30, 60 ...)')
      .default(DEFAULTS.driftMinutes),
    alarmTopicArn: z
      .string()
      .regex(/^arn:[^:]+:sns:[^:]+:\d{12}:[\w-]+$/, 'an SNS topic ARN')
      .optional(),
  })
  .strict();

/** Props without a default: absent unless configured. */
type OptionalProp =
  | 'bedrockInvocationLogGroupName'
  | 'rollout'
  | 'auditAnchorMode'
  | 'ingestPrincipals'
  | 'trustedAccounts'
  | 'ingestQuotaPerHour'
  | 'alarmTopicArn';

/** Context keys, all prefixed `warden:` (e.g. `-c warden:retentionDays=90`). */
export const CONTEXT_KEYS = [
  'clusterNames',
  'buckets',
  'retentionDays',
  'promptContent',
  'bedrockInvocationLogGroupName',
  'maxPayloadBytes',
  'retainData',
  'auditAnchorMode',
  'ingestPrincipals',
  'trustedAccounts',
  'ingestQuotaPerHour',
  'rollout',
  'alarmTopicArn',
  'objectBatchMinutes',
  'driftMinutes',
] as const;

/**
 * Reads WardenProps from CDK context via `get(key)`. Values given on the command line arrive as strings, so JSON
 * strings are parsed for the list and object settings. Throws with every problem listed on bad input.
 */
export function propsFromContext(
  get: (key: string) => unknown,
): Required<Omit<WardenProps, OptionalProp>> & Pick<WardenProps, OptionalProp> {
  const raw: Record<string, unknown> = {};
  for (const k of CONTEXT_KEYS) {
    let v = get(`warden:${k}`);
    const text = v;
    if (
      typeof text === 'string' &&
      (k === 'clusterNames' ||
        k === 'buckets' ||
        k === 'rollout' ||
        k === 'ingestPrincipals' ||
        k === 'trustedAccounts')
    ) {
      try {
        v = JSON.parse(text);
      } catch {
        // A bare cluster name list: "a,b".
        v = k === 'clusterNames' || k === 'trustedAccounts' ? text.split(',').filter(Boolean) : text;
      }
    }
    if (v !== undefined) raw[k] = v;
  }
  const parsed = contextSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `warden:${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid Warden context: ${problems}`);
  }
  return parsed.data;
}
