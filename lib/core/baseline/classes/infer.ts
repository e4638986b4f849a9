/**
 * The class of an agent: from its label `warden.dev/agent-class` when present and valid, else inferred from the
 * behavior envelope. Inference order (first match wins), each with the keys that decided it as evidence:
 * 1. code-execution: an interpreter or shell first seen after startup, or an executable under a temp dir;
 * 2. orchestrator:   invokes other agents (`agent:` keys, bedrock InvokeAgent);
 * 3. customer-support: ticketing/CRM tools, MCP servers or DNS names (zendesk, salesforce, ticket ...);
 * 4. retrieval:      knowledge-base use or AWS reads, and no AWS write at all;
 * 5. general:        none of the above.
 */
import type { EnvelopeEntry } from '../types.ts';
import { apiAccess, isAgentInvocation, isInterpreterExec, isSupportHint, isTempExec } from './behavior.ts';
import { AGENT_CLASS_LABEL, type AgentClass, isAgentClass } from './templates.ts';

export interface ClassAssignment {
  class: AgentClass;
  source: 'label' | 'inferred';
  /** Keys (or the label) that decided the class. */
  evidence: string[];
  /** A label that named no known class, kept so it can be reported. */
  invalidLabel?: string;
}

export interface InferOptions {
  /** Behavior first seen within this long after the subject's first activity counts as startup (default 10 min). */
  startupMs?: number;
  /** The subject's first activity (default: the earliest firstSeen in the envelope). */
  subjectFirstSeen?: string;
}

const MAX_EVIDENCE = 5;

export function assignClass(
  labels: Record<string, string>,
  entries: readonly EnvelopeEntry[],
  opts: InferOptions = {},
): ClassAssignment {
  const label = labels[AGENT_CLASS_LABEL]?.trim().toLowerCase();
  if (label && isAgentClass(label))
    return { class: label, source: 'label', evidence: [`label ${AGENT_CLASS_LABEL}=${label}`] };
  const inferred = inferClass(entries, opts);
  return label ? { ...inferred, invalidLabel: label } : inferred;
}

export function inferClass(entries: readonly EnvelopeEntry[], opts: InferOptions = {}): ClassAssignment {
  const active = entries.filter((e) => e.active);
  const first =
    opts.subjectFirstSeen ??
    active.reduce<string | undefined>((m, e) => (m === undefined || e.firstSeen < m ? e.firstSeen : m), undefined);
  const startupEnd = first ? Date.parse(first) + (opts.startupMs ?? 600_000) : Number.POSITIVE_INFINITY;
  const pick = (c: AgentClass, keys: string[]): ClassAssignment => ({
    class: c,
    source: 'inferred',
    evidence: keys.slice(0, MAX_EVIDENCE),
  });

  const codeExec = active.filter(
    (e) => isTempExec(e.key) || (isInterpreterExec(e.key) && Date.parse(e.firstSeen) > startupEnd),
  );
  if (codeExec.length > 0)
    return pick(
      'code-execution',
      codeExec.map((e) => e.key),
    );
  const agents = active.filter((e) => isAgentInvocation(e.key));
  if (agents.length > 0)
    return pick(
      'orchestrator',
      agents.map((e) => e.key),
    );
  const support = active.filter((e) => isSupportHint(e.key));
  if (support.length > 0)
    return pick(
      'customer-support',
      support.map((e) => e.key),
    );
  const reads = active.filter((e) => e.key.startsWith('kb:') || apiAccess(e.key) === 'read');
  const writes = active.filter((e) => apiAccess(e.key) === 'write');
  if (reads.length > 0 && writes.length === 0)
    return pick(
      'retrieval',
      reads.map((e) => e.key),
    );
  return { class: 'general', source: 'inferred', evidence: [] };
}
