/**
 * The identity maps a scenario implies (what the adapters would load from EKS and Bedrock): the Deployment's service
 * account bound to its IRSA role, pod IP leases, and the Bedrock agent. The agent is the Deployment's reasoning
 * engine (the pod calls InvokeAgent and executes the tools it returns), so its traces and invocation logs are
 * attributed to the Deployment: one subject, one baseline, one sequence model for the whole agent.
 */
import { createIdentityResolver } from '../../core/identity/resolver.ts';
import type { IdentityResolver } from '../../core/identity/types.ts';
import type { GeneratedScenario } from './types.ts';

export function scenarioIdentity(g: GeneratedScenario): IdentityResolver {
  const { spec, truth } = g;
  const inner = createIdentityResolver({
    workloads: [
      {
        cluster: spec.cluster,
        namespace: spec.namespace,
        deployment: spec.deployment,
        serviceAccount: spec.serviceAccount,
      },
    ],
    irsa: [
      {
        roleArn: `arn:aws:iam::${spec.account}:role/${spec.podRole}`,
        cluster: spec.cluster,
        namespace: spec.namespace,
        serviceAccount: spec.serviceAccount,
      },
    ],
    leases: truth.pods.map((p) => ({
      ip: p.ip,
      subject: truth.subject,
      cluster: spec.cluster,
      namespace: spec.namespace,
      pod: p.name,
      from: p.from,
      to: p.to || null,
    })),
    defaultRegion: spec.region,
  });
  const agentRole = `arn:aws:iam::${spec.account}:role/${spec.agent.serviceRole}`;
  return {
    byPrincipal: (ref, time) => (ref.roleArn === agentRole ? truth.subject : inner.byPrincipal(ref, time)),
    byIp: (ip, time) => inner.byIp(ip, time),
    byBedrockAgent: (ref, time) =>
      ref.agentId === spec.agent.id || ref.roleArn === agentRole ? truth.subject : inner.byBedrockAgent(ref, time),
  };
}

/** Owner of a Bedrock agent for deploy events (see lib/core/deploy-events): the Deployment in this scenario. */
export function scenarioAgentOwner(g: GeneratedScenario): (region: string, agentId: string) => string {
  return (region, agentId) => (agentId === g.spec.agent.id ? g.truth.subject : `bedrock:${region}/${agentId}`);
}
