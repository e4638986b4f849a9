/**
 * Declared scope: what an agent was given (its role and policies, its NetworkPolicies, its tools) and what it
 * inherits from elsewhere (node role via IMDS, a shared role, roles it can assume, account-wide resource policies,
 * namespace defaults). The `DeclaredScopeReader` port (lib/ports.ts) is implemented by lib/adapters/declared-scope.ts; the schema
 * checks a scope wherever one enters from outside (a `--scope` file, a stored document).
 */
import { z } from 'zod';
import { policyDocumentSchema } from '../iam/policy.ts';

const namedPolicySchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(['inline', 'managed', 'aws-managed', 'boundary', 'resource', 'trust']),
  document: policyDocumentSchema,
});

export const roleScopeSchema = z.object({
  arn: z.string(),
  name: z.string(),
  /** Inline and attached managed policies. */
  policies: z.array(namedPolicySchema),
  boundary: namedPolicySchema.optional(),
  trust: policyDocumentSchema.optional(),
});

/** Why a role the agent uses is not only its own. */
export const roleSharingSchema = z.object({
  kind: z.enum(['shared-role', 'namespace-default']),
  /** Other subjects / service accounts using the same role. */
  with: z.array(z.string()),
});

export const agentRoleSchema = roleScopeSchema.extend({
  via: z.enum(['irsa', 'pod-identity', 'bedrock-service-role', 'static']),
  sharing: roleSharingSchema.optional(),
});

export const inheritedRoleSchema = z.object({
  source: z.enum(['node-role-imds', 'assumable-role']),
  role: roleScopeSchema,
  reachable: z.boolean(),
  /** Why it is (or is not) reachable, e.g. `IMDSv2 hop limit 2 and no NetworkPolicy blocks 169.254.169.254/32`. */
  reachReason: z.string(),
});

export const resourcePolicyScopeSchema = z.object({
  resourceArn: z.string(),
  policy: namedPolicySchema,
  /** True when a statement grants `*` or the whole account (not a named principal). */
  accountWide: z.boolean(),
  /** Resource tags (data classification `warden.dev/data-class` ...). */
  tags: z.record(z.string(), z.string()).default({}),
});

export const egressPeerSchema = z.union([
  z.object({ cidr: z.string(), except: z.array(z.string()).default([]) }),
  z.object({ selector: z.string() }),
  z.object({ any: z.literal(true) }),
]);

export const egressRuleSchema = z.object({
  /** `<namespace>/<NetworkPolicy name>`. */
  policy: z.string(),
  /** Index of the rule in spec.egress. */
  index: z.number().int(),
  /** True for a policy selecting every pod of the namespace (`podSelector: {}`): a namespace default. */
  namespaceWide: z.boolean(),
  peers: z.array(egressPeerSchema),
  /** Empty = all ports. */
  ports: z.array(
    z.object({
      protocol: z.string().default('TCP'),
      port: z.number().int().optional(),
      endPort: z.number().int().optional(),
    }),
  ),
});

export const declaredNetworkSchema = z.object({
  /** NetworkPolicies selecting the pods (`ns/name`). */
  policies: z.array(z.string()),
  /** True when at least one policy with Egress in policyTypes selects the pods (else egress is open). */
  egressRestricted: z.boolean(),
  rules: z.array(egressRuleSchema),
  /**
   * Interface VPC endpoints of the cluster's VPC (`sts`, `bedrock-runtime`, `bedrock-agent-runtime`, `ecr.api` ...)
   * with the CIDRs of their network interfaces: generated NetworkPolicies reach those services through them.
   */
  vpcEndpoints: z.array(z.object({ service: z.string(), id: z.string(), cidrs: z.array(z.string()) })).default([]),
});

export const declaredToolSchema = z.object({
  /** Observation key: `tool:<group>/<fn>`, `kb:<id>`, `agent:<id>`, `tool:mcp:<server>/<tool>`. */
  key: z.string(),
  /** Where it is declared: action group name, `knowledge-bases`, `collaborators`, MCP config. */
  source: z.string(),
});

export const workloadSchema = z.object({
  serviceAccount: z.string().optional(),
  seccompProfile: z.string().optional(),
  runAsNonRoot: z.boolean().optional(),
  privileged: z.boolean().optional(),
  allowPrivilegeEscalation: z.boolean().optional(),
  hostNetwork: z.boolean().optional(),
  images: z.array(z.string()).default([]),
});

export const declaredScopeSchema = z.object({
  subject: z.string(),
  readAt: z.string(),
  account: z.string().optional(),
  role: agentRoleSchema.optional(),
  inheritedRoles: z.array(inheritedRoleSchema).default([]),
  resourcePolicies: z.array(resourcePolicyScopeSchema).default([]),
  network: declaredNetworkSchema.optional(),
  tools: z.array(declaredToolSchema).default([]),
  /** Tags of resources read with the scope (S3 buckets), by ARN: data classification for the track. */
  resourceTags: z.record(z.string(), z.record(z.string(), z.string())).default({}),
  workload: workloadSchema.optional(),
  labels: z.record(z.string(), z.string()).default({}),
  /** What the reader could not read (access denied, not found): reported, never silently dropped. */
  gaps: z.array(z.string()).default([]),
});

export type RoleScope = z.infer<typeof roleScopeSchema>;
export type AgentRole = z.infer<typeof agentRoleSchema>;
export type InheritedRole = z.infer<typeof inheritedRoleSchema>;
export type ResourcePolicyScope = z.infer<typeof resourcePolicyScopeSchema>;
export type EgressPeer = z.infer<typeof egressPeerSchema>;
export type EgressRule = z.infer<typeof egressRuleSchema>;
export type DeclaredNetwork = z.infer<typeof declaredNetworkSchema>;
export type DeclaredTool = z.infer<typeof declaredToolSchema>;
export type Workload = z.infer<typeof workloadSchema>;
export type DeclaredScope = z.infer<typeof declaredScopeSchema>;
export type DeclaredScopeInput = z.input<typeof declaredScopeSchema>;

/** One observed behavior over the reconciliation window (aggregated over hourly windows). */
export interface ObservedBehavior {
  key: string;
  count: number;
  firstSeen: string;
  lastSeen: string;
  attrs: Record<string, unknown>;
  /** Sources that reported the key (`cloudtrail`, `bedrock-trace` ...), when known. */
  sources?: string[];
}
