/**
 * Audit entries, stored as Docs and chained (see chain.ts) so tampering is detectable. Two kinds, told apart by
 * `inputType`:
 * - the cross-layer entry: one per triggering input (a support ticket, an agent session, a Bedrock request), tying
 *   the prompt, model invocations, tool calls, the role session's AWS API calls, network egress from the pod and the
 *   pod's kernel activity together;
 * - the rollout entry: one per transition of an enforcement rollout (input = the rollout id), see rollout.ts.
 */
import type { AttrValue, Correlation, Layer, SourceName } from '../observation.ts';

export const AUDIT_SCHEMA = 'warden.audit/v1' as const;

export const INPUT_TYPES = ['ticket', 'session', 'request', 'rollout'] as const;
export type InputType = (typeof INPUT_TYPES)[number];
/** Inputs whose entry is a cross-layer timeline (everything but a rollout). */
export type TriggerType = Exclude<InputType, 'rollout'>;

/** Why an event is in the entry: which link of the chain found it. */
export const LINKS = ['model', 'tool', 'cloud-api', 'egress', 'kernel'] as const;
export type Link = (typeof LINKS)[number];

export interface TimelineEvent {
  time: string;
  link: Link;
  layer: Layer;
  source: SourceName | 'aggregate';
  key: string;
  count: number;
  /** Observation id, or `agg:<subject>:<key>:<window>` for a kernel aggregate. */
  ref: string;
  subject: string;
  correlation: Correlation;
  /** Selected attributes; prompt content only as the ingestion redaction policy left it (hash / excerpt). */
  attrs: Record<string, AttrValue>;
}

interface EntryBase {
  schema: typeof AUDIT_SCHEMA;
  id: string;
  input: string;
  /** Subjects the entry covers. */
  subjects: string[];
  /** Time span of the entry. */
  from: string;
  to: string;
  builtAt: string;
}

/** The cross-layer entry of one triggering input. */
export interface CrossLayerAuditEntry extends EntryBase {
  inputType: TriggerType;
  /** The correlation ids that linked the layers. */
  links: {
    tickets: string[];
    sessionIds: string[];
    requestIds: string[];
    roleSessions: string[];
    podIps: string[];
    pods: string[];
  };
  /** Prompt of the triggering input, as stored under the redaction policy (sha256, excerpt when allowed). */
  prompt: Record<string, AttrValue>;
  timeline: TimelineEvent[];
  /** Events per link, so a missing layer is visible at a glance (a zero means that source had nothing). */
  counts: Record<Link, number>;
  /** Timeline events dropped beyond the cap (the counts still include them). */
  truncated: number;
}

/** Rollout phase a transition belongs to. */
export const ROLLOUT_PHASES = [
  'plan',
  'generate',
  'monitor',
  'measure',
  'enforce',
  'iam-review',
  'rollback',
  'finish',
] as const;
export type RolloutPhase = (typeof ROLLOUT_PHASES)[number];

/** A generated artifact file as the audit keeps it: which file, and the sha256 of the exact content applied. */
export interface AuditedArtifact {
  path: string;
  kind: string;
  sha256: string;
}

/** One rollout transition, as recorded by the rollout step that made it (lib/app/rollout/record.ts). */
/** A measured blast radius as the audit trail keeps it: counts and affected subjects, no per-event examples. */
export interface AuditedBlast {
  source: string;
  evaluatedEvents: number;
  wouldDenyEvents: number;
  perArtifact: Record<string, { wouldDenyEvents: number; keys: number }>;
  affectedSubjects: string[];
  withinThreshold: boolean;
  threshold: { maxWouldDenyEvents: number; maxWouldDenyRatio: number };
}

export interface RolloutTransition {
  /** Unique within the rollout and stable across retries: `plan`, `<class>/<track>/<step>[/<subject>]`, `record-done`. */
  name: string;
  step: string;
  phase: RolloutPhase;
  /** State after the transition: of the class (monitoring, enforced, rolled-back ...) or of the rollout. */
  state: string;
  time: string;
  class?: string;
  track?: string;
  subjects: string[];
  /** generate steps: the artifact files per subject with their content hashes. */
  artifacts?: { subject: string; baselineVersion: number; files: AuditedArtifact[] }[];
  /** Manifests applied to (or restored in) the cluster. */
  applied?: string[];
  restored?: string[];
  /** measure step: the blast radius, without the per-event examples. */
  blast?: AuditedBlast;
  /** What was decided here: enforce / rollback after the measure, merged / closed for a review, completed / stopped. */
  decision?: string;
  pullRequest?: { number: number; url: string; merged?: boolean; by?: string };
  /** Free-form counts the step reported (e.g. wouldBeDenied of the rolled-back event). */
  detail?: Record<string, number | string | boolean>;
  error?: string;
}

/**
 * The rollout entry: one transition of rollout `input` (the rollout id, which is the Step Functions execution name).
 * A rollout's transitions are its entries in chain order; same chain, same hashing as the cross-layer entry.
 */
export interface RolloutAuditEntry extends EntryBase {
  inputType: 'rollout';
  transition: RolloutTransition;
}

export type AuditEntry = CrossLayerAuditEntry | RolloutAuditEntry;

export const isRolloutEntry = (e: AuditEntry): e is RolloutAuditEntry => e.inputType === 'rollout';
export const isCrossLayerEntry = (e: AuditEntry): e is CrossLayerAuditEntry => e.inputType !== 'rollout';

/** A chained audit record: the entry plus its position and hashes. Stored as Doc kind `audit-chain`. */
export interface ChainRecord<E extends AuditEntry = AuditEntry> {
  seq: number;
  auditId: string;
  prevHash: string;
  /** sha256(prevHash + seq + canonical JSON of entry). */
  hash: string;
  entry: E;
}

/** The chain head (Doc kind `audit-head`): detects deletion of the newest record. */
export interface ChainHead {
  seq: number;
  hash: string;
}

export const VERIFY_PROBLEMS = [
  'hash-mismatch',
  'broken-link',
  'missing-record',
  'head-mismatch',
  'index-mismatch',
  'index-missing',
  'duplicate-entry',
  'truncated',
  'anchor-mismatch',
  'unanchored-record',
  'anchor-log',
] as const;
export type VerifyProblemKind = (typeof VERIFY_PROBLEMS)[number];

export interface VerifyProblem {
  seq: number;
  auditId?: string;
  problem: VerifyProblemKind;
  detail: string;
}

/** A chain head written outside the table (lib/core/audit/anchor.ts). */
export interface AuditAnchor {
  seq: number;
  hash: string;
  auditId: string;
  /** When it was anchored (ISO). */
  time: string;
  /** The chain record itself: an append interrupted after its anchor is completed from it. */
  record: ChainRecord;
}

export interface VerifyResult {
  ok: boolean;
  records: number;
  headSeq: number;
  problems: VerifyProblem[];
  /** Where the head is anchored, when the store has an anchor log (truncation is only detectable then). */
  anchor?: { log: string; seq: number; hash: string; time: string } | { log: string; seq: 0 };
}
