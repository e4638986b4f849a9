/**
 * The cross-layer audit entry: one per triggering input (a support ticket, an agent session, a Bedrock request),
 * tying the prompt, model invocations, tool calls, the role session's AWS API calls, network egress from the pod and
 * the pod's kernel activity together. Stored as a Doc and chained (see chain.ts) so tampering is detectable.
 */
import type { AttrValue, Correlation, Layer, SourceName } from '../observation.ts';

export const AUDIT_SCHEMA = 'warden.audit/v1' as const;

export const INPUT_TYPES = ['ticket', 'session', 'request'] as const;
export type InputType = (typeof INPUT_TYPES)[number];

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

export interface AuditEntry {
  schema: typeof AUDIT_SCHEMA;
  id: string;
  input: string;
  inputType: InputType;
  /** Subjects the chain went through (normally the one agent). */
  subjects: string[];
  /** Time span of the chain. */
  from: string;
  to: string;
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
  builtAt: string;
}

/** A chained audit record: the entry plus its position and hashes. Stored as Doc kind `audit-chain`. */
export interface ChainRecord {
  seq: number;
  auditId: string;
  prevHash: string;
  /** sha256(prevHash + seq + canonical JSON of entry). */
  hash: string;
  entry: AuditEntry;
}

/** The chain head (Doc kind `audit-head`): detects deletion of the newest record. */
export interface ChainHead {
  seq: number;
  hash: string;
}

export interface VerifyProblem {
  seq: number;
  auditId?: string;
  problem: 'hash-mismatch' | 'broken-link' | 'missing-record' | 'head-mismatch' | 'index-mismatch';
  detail: string;
}

export interface VerifyResult {
  ok: boolean;
  records: number;
  headSeq: number;
  problems: VerifyProblem[];
}
