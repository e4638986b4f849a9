/** Reconciliation findings: Unused Excess and Inherited Overreach, each with its evidence and source. */
import type { AccessLevel } from '../iam/catalog.ts';
import type { StatementRef } from '../iam/policy.ts';

export const INHERITED_SOURCES = [
  'node-role-imds',
  'shared-role',
  'assumable-role',
  'wildcard-managed-policy',
  'account-resource-policy',
  'namespace-default',
] as const;
export type InheritedSource = (typeof INHERITED_SOURCES)[number];

/** An observed behavior cited as evidence. */
export interface Evidence {
  key: string;
  count: number;
  firstSeen: string;
  lastSeen: string;
  /** IAM action(s) the call needed, for api keys. */
  actions?: string[];
}

export interface UnusedItem {
  /** `service:Action` for IAM; `<cidr>:<port>` for egress; the tool key for tools. */
  item: string;
  accessLevel?: AccessLevel;
}

export interface UnusedExcessFinding {
  id: string;
  category: 'unused-excess';
  kind: 'iam-action' | 'iam-resource' | 'egress' | 'tool';
  /** The granting statement (IAM), NetworkPolicy rule (`ns/name#egress[i]`) or tool source. */
  source: string;
  statement?: StatementRef;
  /** Granted/declared, never exercised in the window. */
  unused: UnusedItem[];
  /** Unused count per access level (IAM). */
  byAccessLevel: Partial<Record<AccessLevel, number>>;
  /** What of the same grant was exercised (so the finding shows the grant is live but wider than use). */
  exercised: Evidence[];
  /** Patterns the catalog could not expand (service not loaded, NotAction): reported as granted, uncounted. */
  unexpanded: string[];
  summary: string;
}

export interface InheritedOverreachFinding {
  id: string;
  category: 'inherited-overreach';
  source: InheritedSource;
  /** The role ARN, managed policy ARN, resource ARN or namespace the scope is inherited from. */
  sourceName: string;
  statement?: StatementRef;
  /** `exercised`: the agent used it in the window; `reachable`: it can, and has not yet. */
  status: 'exercised' | 'reachable';
  evidence: Evidence[];
  /** What the inherited grant reaches (action patterns, resources, or egress peers). */
  grants: { actions: string[]; resources: string[]; accessLevels: AccessLevel[] };
  /** Other subjects sharing the source (shared role, namespace default). */
  sharedWith?: string[];
  reason: string;
  summary: string;
}

export type Finding = UnusedExcessFinding | InheritedOverreachFinding;

export const ASSESSMENT_STATUSES = ['exercised', 'unused', 'not-assessed'] as const;
export type AssessmentStatus = (typeof ASSESSMENT_STATUSES)[number];

/** One action granted by one of the agent's own statements, judged against the sources that could show its use. */
export interface ActionAssessment {
  /** `service:Action`, or the pattern as written when the catalog cannot expand it. */
  action: string;
  /** `policy/Sid` of the granting statement. */
  statement: string;
  ref: StatementRef;
  accessLevel?: AccessLevel;
  /** `not-assessed`: no source would have recorded a use, so "never seen" proves nothing. */
  status: AssessmentStatus;
  /** Calls seen in the window (CloudTrail, plus traces and invocation logs), and the last one. */
  count: number;
  lastUsed?: string;
  /** Where the uses were seen: `cloudtrail`, `bedrock-trace`, `bedrock-invocation`. */
  seenIn: string[];
  /** The source whose coverage backs the judgement (status exercised/unused). */
  coveredBy?: string;
  /** Status not-assessed: the missing source, named. */
  missing?: string;
  /** The coverage check (`warden coverage`) that reports the missing source, when there is one. */
  check?: string;
}

export interface ReconcileResult {
  subject: string;
  window: { from: string; to: string };
  generatedAt: string;
  findings: Finding[];
  counts: { unusedExcess: number; inheritedOverreach: number; exercised: number; reachable: number };
  /** Observed behaviors no known scope explains (denied calls, unknown principal, traffic no policy allows). */
  unexplained: (Evidence & { reason: string })[];
  /** Declared scope that could not be assessed from observations, with why. */
  notAssessed: string[];
  /** Reader gaps, and every not-assessed grant with its missing source. */
  gaps: string[];
  /** Every action of the agent's own statements with its status, counts and coverage. */
  assessments: ActionAssessment[];
}
