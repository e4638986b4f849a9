/** Runtime AI inventory: what a subject actually loaded and used, derived from observations (not manifests). */

export interface ModelItem {
  /** Base model id (inference-profile prefix and ARN stripped), e.g. `anthropic.claude-3-5-sonnet-20241022-v2:0`. */
  modelId: string;
  /** As invoked: the modelId, inference profile id or ARN from the key. */
  invokedAs: string[];
  /** Inference profile used, when the call went through one. */
  inferenceProfile?: string;
  provider: string;
  count: number;
  firstSeen: string;
  lastSeen: string;
  /** True when this is (one of) the configured models; undefined when no configuration is known. */
  configured?: boolean;
  /** Bedrock region the calls went to, when recorded. */
  region?: string;
  /** API operations it was invoked with (InvokeModel, Converse ...), when recorded. */
  operations?: string[];
  /** Inference parameters last seen (temperature, topP, topK, maximumLength), when the calls recorded them. */
  parameters?: Record<string, number>;
}

/** A Bedrock agent the subject is, or runs through (agent id/alias/version from its traces). */
export interface BedrockAgentItem {
  agentId: string;
  aliasId?: string;
  version?: string;
  region?: string;
  firstSeen: string;
  lastSeen: string;
}

/** An action group, knowledge base or collaborator agent the subject's agent called. */
export interface AgentToolItem {
  kind: 'action-group' | 'knowledge-base' | 'collaborator';
  /** Action group name, knowledge base id, collaborator alias ARN or name. */
  name: string;
  /** Functions / API paths called (action groups). */
  functions: string[];
  /** The Bedrock agent that called it, when the trace says. */
  agentId?: string;
  count: number;
  firstSeen: string;
  lastSeen: string;
}

/** A network destination the subject reached: a resolved host name, or an address and port (names not seen). */
export interface EndpointItem {
  host?: string;
  ip?: string;
  port?: number;
  /** Amazon Web Services endpoint (`*.amazonaws.com`), as opposed to a third-party (SaaS) one. */
  aws: boolean;
  count: number;
  firstSeen: string;
  lastSeen: string;
}

/** A container image the subject ran. */
export interface ImageItem {
  /** The reference as seen (`registry/repo:tag@sha256:...`). */
  ref: string;
  name: string;
  tag?: string;
  digest?: string;
  lastSeen: string;
}

export interface ModelFileItem {
  path: string;
  format: string;
  size?: number;
  sha256?: string;
  firstSeen: string;
  lastSeen: string;
}

export interface FrameworkItem {
  ecosystem: string;
  name: string;
  /** Version last seen loaded. */
  version: string;
  /** Every version seen in the snapshot period (more than one across a rollout). */
  versionsSeen: string[];
  /** A known AI/agent framework (langchain, transformers, torch, openai, @modelcontextprotocol/sdk ...). */
  ai: boolean;
  lastSeen: string;
}

export interface McpServerItem {
  transport: 'stdio' | 'remote';
  /** Server name (`server-filesystem`, `mcp-server-git`) or URL for remote servers. */
  name: string;
  /** How it was found: `mcp-key` (reported by the agent) or `exec` (argv matched an MCP pattern). */
  via: 'mcp-key' | 'exec';
  command?: string;
  firstSeen: string;
  lastSeen: string;
}

export interface PromptItem {
  /** Template path or id (Bedrock: `bedrock-agent:<agentId>`). */
  id: string;
  /** Content hash as last seen. */
  sha256: string;
  lastSeen: string;
}

export interface Inventory {
  subject: string;
  /** Snapshot time. */
  at: string;
  /** Start of the lookback period the snapshot covers. */
  from: string;
  models: ModelItem[];
  /** The model with most invocations in the period. */
  primaryModel?: string;
  /** Configured model(s), when known (Bedrock agent foundationModel, label `warden.dev/model`). */
  configuredModels: string[];
  /** Set when the models actually used are not the configured ones (fallbacks, profile changes). */
  fallback?: { configured: string[]; actual: string[] };
  modelFiles: ModelFileItem[];
  frameworks: FrameworkItem[];
  mcpServers: McpServerItem[];
  prompts: PromptItem[];
  /** Hash over all prompt hashes: the prompt template version of the agent. */
  promptVersion?: string;
  /** Bedrock agents behind the subject, their action groups / knowledge bases / collaborators. */
  agents: BedrockAgentItem[];
  agentTools: AgentToolItem[];
  /** Network destinations, at most MAX_ENDPOINTS (the rest counted in `endpointsOmitted`). */
  endpoints: EndpointItem[];
  endpointsOmitted: number;
  images: ImageItem[];
}

export interface InventoryDiff {
  subject: string;
  from: string;
  to: string;
  models: { added: string[]; removed: string[] };
  primaryModel?: { before?: string; after?: string };
  modelFiles: { added: string[]; removed: string[]; changed: string[] };
  frameworks: { added: string[]; removed: string[]; changed: { name: string; before: string; after: string }[] };
  mcpServers: { added: string[]; removed: string[] };
  prompts: { added: string[]; removed: string[]; changed: { id: string; before: string; after: string }[] };
  promptVersion?: { before?: string; after?: string };
  /** True when nothing differs. */
  empty: boolean;
}
