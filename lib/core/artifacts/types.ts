/**
 * Enforcement artifacts derived from an observed baseline. Every rule carries its provenance: the baseline version
 * and the observation keys (with counts and first/last seen) it was derived from, so `warden artifacts explain`
 * can answer "why is this allowed".
 */
import type { EnvelopeEntry } from '../baseline/types.ts';

/** The part of a baseline artifacts need. Structural, so any Baseline doc fits. */
export interface ArtifactBaseline {
  subject: string;
  version: number;
  entries: Pick<EnvelopeEntry, 'key' | 'count' | 'firstSeen' | 'lastSeen' | 'active'>[];
}

/** One observation key behind a rule. */
export interface KeyEvidence {
  key: string;
  count: number;
  firstSeen: string;
  lastSeen: string;
}

export interface RuleProvenance {
  /** Stable id of the rule inside its file, e.g. `egress[2]`, `family:file-io`, `Statement[S3Write]`. */
  rule: string;
  /** One line: what the rule allows. */
  allows: string;
  subject: string;
  baselineVersion: number;
  /** Why it exists: observed keys, or a fixed reason (runtime start, DNS). */
  derivedFrom: KeyEvidence[];
  /** When the rule was not derived from observations (e.g. kube-dns, runtime start syscalls), the reason. */
  fixedReason?: string;
  /** Class-baseline adjustments that narrowed or removed what was observed. */
  notes?: string[];
}

export interface ArtifactFile {
  /** File name relative to the output directory. */
  path: string;
  kind:
    | 'network-policy'
    | 'cilium-network-policy'
    | 'seccomp'
    | 'seccomp-profile-crd'
    | 'seccomp-binding'
    | 'iam-policy'
    | 'iam-diff';
  /** Which enforcement point consumes the file. */
  enforcementPoint: string;
  /** File content (YAML or JSON text). */
  content: string;
  rules: RuleProvenance[];
}

export interface ProvenanceIndex {
  schema: 'warden.provenance/v1';
  subject: string;
  baselineVersion: number;
  generatedAt: string;
  files: { path: string; kind: ArtifactFile['kind']; enforcementPoint: string; rules: RuleProvenance[] }[];
}

export function evidenceOf(e: ArtifactBaseline['entries'][number]): KeyEvidence {
  return { key: e.key, count: e.count, firstSeen: e.firstSeen, lastSeen: e.lastSeen };
}
