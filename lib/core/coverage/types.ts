/**
 * Coverage: which of Warden's inputs exist in an account, and what each missing or partial one hides. The readers
 * (lib/adapters/coverage-readers.ts) turn AWS API answers into a {@link CoverageInput}; the rules here are pure.
 */

/** A classic event selector as GetEventSelectors returns it. */
export interface EventSelector {
  readWriteType?: 'ReadOnly' | 'WriteOnly' | 'All';
  includeManagementEvents?: boolean;
  dataResources?: { type: string; values: string[] }[];
}

/** One field condition of an advanced event selector. */
export interface FieldSelector {
  field: string;
  equals?: string[];
  notEquals?: string[];
  startsWith?: string[];
  notStartsWith?: string[];
  endsWith?: string[];
  notEndsWith?: string[];
}

export interface AdvancedEventSelector {
  name?: string;
  fieldSelectors: FieldSelector[];
}

export interface TrailInfo {
  name: string;
  arn?: string;
  homeRegion?: string;
  multiRegion: boolean;
  /** From GetTrailStatus; undefined when not read. */
  logging?: boolean;
  s3BucketName?: string;
  eventSelectors: EventSelector[];
  advancedEventSelectors: AdvancedEventSelector[];
}

export interface BedrockLoggingInfo {
  /** false when GetModelInvocationLoggingConfiguration returns no configuration. */
  configured: boolean;
  s3BucketName?: string;
  cloudWatchLogGroup?: string;
  textDelivery?: boolean;
}

export interface FlowLogInfo {
  id: string;
  /** The resource the flow log is on: a VPC, subnet or ENI id. */
  resourceId: string;
  trafficType?: 'ACCEPT' | 'REJECT' | 'ALL';
  destinationType?: string;
  destination?: string;
  active: boolean;
}

export interface ClusterInfo {
  name: string;
  vpcId?: string;
  /** Set when DescribeCluster failed (not found, access denied). */
  error?: string;
}

export interface NodeAgentInfo {
  cluster: string;
  /** Latest time a node agent in the cluster reported (kernel-layer observations), if ever. */
  lastReport?: string;
}

/** A reader that failed: its check becomes `unknown` instead of claiming a gap or coverage it cannot see. */
export interface ReadError {
  input: CoverageInputName;
  detail: string;
}

export const COVERAGE_INPUTS = ['trails', 'bedrock-logging', 'flow-logs', 'clusters', 'node-agents'] as const;
export type CoverageInputName = (typeof COVERAGE_INPUTS)[number];

export interface CoverageInput {
  /** Region being checked. */
  region: string;
  now: string;
  trails: TrailInfo[];
  bedrockLogging?: BedrockLoggingInfo;
  flowLogs: FlowLogInfo[];
  clusters: ClusterInfo[];
  nodeAgents: NodeAgentInfo[];
  readErrors: ReadError[];
  /** A node agent silent for longer than this counts as not reporting. Default 15 minutes. */
  agentStaleMs?: number;
}

export const COVERAGE_STATUSES = ['ok', 'partial', 'missing', 'unknown'] as const;
export type CoverageStatus = (typeof COVERAGE_STATUSES)[number];

export interface CoverageCheck {
  /** Rule id, e.g. `bedrock-data-events`. */
  check: string;
  /** What was checked: `account`, `cluster:<name>`, `vpc:<id>`. */
  target: string;
  status: CoverageStatus;
  /** What was found. */
  detail: string;
  /** What Warden cannot see while this is not ok (empty when ok). */
  hides: string;
}

export interface CoverageReport {
  region: string;
  time: string;
  checks: CoverageCheck[];
  /** Checks that are not ok. */
  gaps: CoverageCheck[];
}

/** One rule: a pure function of the input, one or more checks. */
export interface CoverageRule {
  id: string;
  evaluate(input: CoverageInput): CoverageCheck[];
}
