/**
 * Identity resolution contract: maps what a source saw (an IAM principal, a pod IP, a Bedrock agent) to a subject id
 * at a point in time. Implementations live in lib/core/identity (pure, built from maps the adapters load).
 */

export interface PrincipalRef {
  /** userIdentity.arn (assumed-role session ARN or role/user ARN). */
  arn?: string;
  /** The role ARN behind an assumed-role session (sessionContext.sessionIssuer.arn). */
  roleArn?: string;
  roleSessionName?: string;
  accessKeyId?: string;
  /** EKS Pod Identity session tags (`kubernetes-namespace`, `kubernetes-service-account`, `eks-cluster-name`, `kubernetes-pod-name` ...). */
  sessionTags?: Record<string, string>;
  /** For IRSA: the web identity subject (`system:serviceaccount:<ns>:<sa>`) when the source carries it. */
  webIdentitySubject?: string;
}

export interface BedrockAgentRef {
  agentId?: string;
  agentAliasId?: string;
  region?: string;
  /** The agent's service role ARN, when only the role is known. */
  roleArn?: string;
}

export interface IdentityResolver {
  /** Subject for an AWS principal at `time`, or undefined when it cannot be attributed. */
  byPrincipal(ref: PrincipalRef, time: string): string | undefined;
  /** Subject owning a pod IP at `time` (from pod IP leases), or undefined. */
  byIp(ip: string, time: string): string | undefined;
  /** Subject of a Bedrock agent (`bedrock:<region>/<agentId>`), or undefined. */
  byBedrockAgent(ref: BedrockAgentRef, time: string): string | undefined;
}

/** Resolves nothing: every subject falls back to `unattributed:<principal or ip>` in the parsers. */
export const noIdentity: IdentityResolver = {
  byPrincipal: () => undefined,
  byIp: () => undefined,
  byBedrockAgent: (ref) => (ref.agentId && ref.region ? `bedrock:${ref.region}/${ref.agentId}` : undefined),
};
