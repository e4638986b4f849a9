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
