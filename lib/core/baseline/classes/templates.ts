/**
 * Agent classes and their class-level security baseline templates. The class, not the namespace, decides the
 * template: two agents side by side in one namespace get different envelopes when their classes differ.
 */
import type { Layer } from '../../observation.ts';

export const AGENT_CLASSES = ['code-execution', 'retrieval', 'customer-support', 'orchestrator', 'general'] as const;
export type AgentClass = (typeof AGENT_CLASSES)[number];

/** The label (or annotation) that declares a class: `warden.dev/agent-class: retrieval`. */
export const AGENT_CLASS_LABEL = 'warden.dev/agent-class';

export const EGRESS_POSTURES = ['deny-all', 'allowlist-observed', 'observe'] as const;
/**
 * - `deny-all`: no egress but cluster DNS and the AWS endpoints it needs (sandboxed code runners);
 * - `allowlist-observed`: only destinations in the observed envelope (NetworkPolicy generated from it);
 * - `observe`: no default restriction, egress is reported (the unclassified default).
 */
export type EgressPosture = (typeof EGRESS_POSTURES)[number];

export interface ClassTemplate {
  class: AgentClass;
  description: string;
  /** Layers the agent may show behavior in; behavior in any other layer is a violation. */
  allowedLayers: Layer[];
  egress: EgressPosture;
  /** Instance metadata service (169.254.169.254 / fd00:ec2::254): `deny` for agents with their own role. */
  imds: 'deny' | 'allow';
  /** Only read-only AWS actions expected (Get/List/Describe/Retrieve/Query ...); a write is a violation. */
  readOnlyIam: boolean;
  /** Interpreters and shells spawned after startup (python, sh, node ...). */
  interpreterAfterStartup: 'allow' | 'deny';
  /** Files written under a temp dir and then executed. */
  tempExec: 'allow' | 'deny';
  /** Invoking other agents (Bedrock InvokeAgent, collaborator agents, agent-to-agent calls). */
  invokeAgents: 'allow' | 'deny';
  /** New-key rate per period above which a stable baseline is considered drifting (tighter for narrow agents). */
  driftNewKeyRate: number;
}

const ALL_LAYERS: Layer[] = ['kernel', 'network', 'application', 'tool', 'cloud-api'];

export const CLASS_TEMPLATES: Record<AgentClass, ClassTemplate> = {
  'code-execution': {
    class: 'code-execution',
    description: 'runs generated code: interpreters and temp executables expected, so the network and IAM are shut',
    allowedLayers: ALL_LAYERS,
    egress: 'deny-all',
    imds: 'deny',
    readOnlyIam: true,
    interpreterAfterStartup: 'allow',
    tempExec: 'allow',
    invokeAgents: 'deny',
    driftNewKeyRate: 0.1,
  },
  retrieval: {
    class: 'retrieval',
    description: 'answers from knowledge bases and stores: read-only data access, no code execution',
    allowedLayers: ALL_LAYERS,
    egress: 'allowlist-observed',
    imds: 'deny',
    readOnlyIam: true,
    interpreterAfterStartup: 'deny',
    tempExec: 'deny',
    invokeAgents: 'deny',
    driftNewKeyRate: 0.02,
  },
  'customer-support': {
    class: 'customer-support',
    description: 'works tickets in SaaS tools and writes to declared resources: writes allowed, egress pinned',
    allowedLayers: ALL_LAYERS,
    egress: 'allowlist-observed',
    imds: 'deny',
    readOnlyIam: false,
    interpreterAfterStartup: 'deny',
    tempExec: 'deny',
    invokeAgents: 'deny',
    driftNewKeyRate: 0.02,
  },
  orchestrator: {
    class: 'orchestrator',
    description: 'plans and delegates to other agents: agent invocation expected, no code execution',
    allowedLayers: ALL_LAYERS,
    egress: 'allowlist-observed',
    imds: 'deny',
    readOnlyIam: false,
    interpreterAfterStartup: 'deny',
    tempExec: 'deny',
    invokeAgents: 'allow',
    driftNewKeyRate: 0.05,
  },
  general: {
    class: 'general',
    description: 'not classified: everything observed is reported, nothing is assumed',
    allowedLayers: ALL_LAYERS,
    egress: 'observe',
    imds: 'allow',
    readOnlyIam: false,
    interpreterAfterStartup: 'allow',
    tempExec: 'allow',
    invokeAgents: 'allow',
    driftNewKeyRate: 0.05,
  },
};

export function isAgentClass(x: string): x is AgentClass {
  return (AGENT_CLASSES as readonly string[]).includes(x);
}
