/**
 * Declarative scenarios: an agent, its traffic and a list of dated events (deploys, attacks). The generator turns a
 * spec into telemetry in the real source formats; nothing downstream is precomputed.
 */

/** A point in scenario time: week 1.., day 0 = Monday .. 6 = Sunday, hour, minute (UTC). */
export interface At {
  week: number;
  day: number;
  hour: number;
  minute?: number;
}

/** One tool of the agent's action groups, executed in the pod (RETURN_CONTROL), reaching `host`. */
export interface ToolSpec {
  group: string;
  fn: string;
  /** Destination name in `destinations`, or `s3` for the export bucket. */
  host: string;
}

/** A ticket-handling flow: the tool calls in order, with a weight among the flows. */
export interface FlowSpec {
  name: string;
  weight: number;
  steps: string[];
}

export type ScenarioEvent =
  | { type: 'model-update'; at: At; model: string }
  | { type: 'prompt-revision'; at: At; flows: FlowSpec[] }
  | { type: 'tool-catalog'; at: At; tool: ToolSpec; flows: FlowSpec[] }
  | { type: 'image-update'; at: At; packages: { name: string; version: string }[]; exec?: string | undefined }
  | { type: 'traffic-change'; at: At; ticketsPerHour: number }
  | { type: 'injection'; at: At; records: number }
  | { type: 'new-destination'; at: At; ip: string; port: number }
  | { type: 'tool-sequence'; at: At; steps: string[] }
  | { type: 'volume-burst'; at: At; tool: string; calls: number };

export const BENIGN_EVENTS = [
  'model-update',
  'prompt-revision',
  'tool-catalog',
  'image-update',
  'traffic-change',
] as const;

export interface ScenarioSpec {
  name: string;
  seed: number;
  /** Monday 00:00 UTC of week 1. */
  start: string;
  /** Days of telemetry from start. */
  days: number;
  account: string;
  region: string;
  cluster: string;
  namespace: string;
  deployment: string;
  serviceAccount: string;
  /** The pod's IAM role (IRSA). */
  podRole: string;
  agent: { id: string; aliasId: string; name: string; serviceRole: string; model: string };
  /** The CI role that updates the agent. */
  deployRole: string;
  exportBucket: string;
  /** Destination name -> IPs (a destination resolves to a few fixed addresses). */
  destinations: Record<string, string[]>;
  tools: ToolSpec[];
  flows: FlowSpec[];
  ticketsPerHour: number;
  /** Business hours [from, to) UTC, Monday..Friday. */
  businessHours: [number, number];
  weeklyExport: { day: number; hour: number; objects: number };
  replicas: number;
  nodes: string[];
  image: string;
  promptPath: string;
  events: ScenarioEvent[];
}

/** Telemetry in the real formats, one array per source (each element one record / line / batch). */
export interface Telemetry {
  /** CloudTrail records (as in a trail file's `Records`). */
  cloudtrail: Record<string, unknown>[];
  /** Bedrock model invocation log lines (ModelInvocationLog JSON objects). */
  invocations: Record<string, unknown>[];
  /** Bedrock Agent TracePart JSON objects. */
  traces: Record<string, unknown>[];
  /** VPC flow log lines (default v2 format, no header). */
  flows: string[];
  /** node-agent batches (warden.node-agent/v1). */
  nodeAgent: Record<string, unknown>[];
}

/** What the generator knows it put in, for tests to compare against. */
export interface GroundTruth {
  subject: string;
  events: { type: ScenarioEvent['type']; time: string; benign: boolean; ticket?: string }[];
  tickets: number;
  exports: number;
  attackTicket?: string;
  pods: { name: string; ip: string; node: string; from: string; to: string }[];
}

export interface GeneratedScenario {
  spec: ScenarioSpec;
  telemetry: Telemetry;
  truth: GroundTruth;
}
