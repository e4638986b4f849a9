/**
 * Deploy events: intended changes to an agent (a Kubernetes rollout, a Bedrock agent update, a new model, a prompt
 * template revision, a tool catalog change). Drift classification treats them as first-class input: a behavior
 * change that a recent, consistent deploy explains is expected evolution.
 */

export const DEPLOY_KINDS = ['image', 'model', 'prompt', 'tool-catalog', 'agent-config'] as const;
export type DeployKind = (typeof DEPLOY_KINDS)[number];

export const DEPLOY_ORIGINS = ['cloudtrail', 'inventory', 'kubernetes', 'declared'] as const;
export type DeployOrigin = (typeof DEPLOY_ORIGINS)[number];

export interface DeployEvent {
  /** Stable id (the CloudTrail eventID, or a hash of subject+kind+time+to). */
  id: string;
  /** The subject whose intended behavior changed (not the principal that made the change). */
  subject: string;
  time: string;
  kind: DeployKind;
  origin: DeployOrigin;
  /** Previous value when known: image digest, modelId, prompt sha256. */
  from?: string;
  /** New value: image digest, modelId, prompt sha256, tool catalog hash. */
  to?: string;
  /** Behavior keys the change is declared to bring (`model:<to>`, added `tool:` keys, declared egress ...). */
  adds: string[];
  /** Behavior keys the change is declared to retire. */
  removes: string[];
  /** Observation that revealed the deploy, when there is one (for evidence). */
  observationId?: string;
  /** Short human description, e.g. `UpdateAgent foundationModel -> anthropic.claude-3-5-sonnet`. */
  summary: string;
}
