/**
 * A subject's class baseline: its class, the class template, and where its observed envelope breaks the template
 * (each violation names the key and the template rule). Pure.
 */
import { parseSubject } from '../../observation.ts';
import type { EnvelopeEntry } from '../types.ts';
import {
  apiAccess,
  isAgentInvocation,
  isClusterLocalEgress,
  isImdsAccess,
  isInterpreterExec,
  isTempExec,
} from './behavior.ts';
import { assignClass, type ClassAssignment, type InferOptions } from './infer.ts';
import { CLASS_TEMPLATES, type ClassTemplate } from './templates.ts';

export const CLASS_RULES = [
  'layer-not-allowed',
  'egress-denied',
  'imds-denied',
  'write-in-read-only-class',
  'interpreter-after-startup',
  'temp-exec',
  'agent-invocation',
] as const;
export type ClassRule = (typeof CLASS_RULES)[number];

export interface ClassViolation {
  rule: ClassRule;
  key: string;
  detail: string;
}

export interface ClassBaseline {
  subject: string;
  /** Namespace for k8s subjects (shown to make the point that it does not decide the class). */
  namespace?: string;
  assignment: ClassAssignment;
  template: ClassTemplate;
  violations: ClassViolation[];
}

export function classBaseline(
  subject: string,
  labels: Record<string, string>,
  entries: readonly EnvelopeEntry[],
  opts: InferOptions = {},
): ClassBaseline {
  const assignment = assignClass(labels, entries, opts);
  const template = CLASS_TEMPLATES[assignment.class];
  return {
    subject,
    namespace: parseSubject(subject)?.namespace,
    assignment,
    template,
    violations: checkTemplate(template, entries, opts),
  };
}

/** Where the active envelope breaks the template. */
export function checkTemplate(
  t: ClassTemplate,
  entries: readonly EnvelopeEntry[],
  opts: InferOptions = {},
): ClassViolation[] {
  const active = entries.filter((e) => e.active);
  const first =
    opts.subjectFirstSeen ??
    active.reduce<string | undefined>((m, e) => (m === undefined || e.firstSeen < m ? e.firstSeen : m), undefined);
  const startupEnd = first ? Date.parse(first) + (opts.startupMs ?? 600_000) : Number.POSITIVE_INFINITY;
  const out: ClassViolation[] = [];
  for (const e of active) {
    const k = e.key;
    if (!t.allowedLayers.includes(e.layer)) out.push({ rule: 'layer-not-allowed', key: k, detail: `layer ${e.layer}` });
    if (t.imds === 'deny' && isImdsAccess(k))
      out.push({ rule: 'imds-denied', key: k, detail: 'instance metadata reached' });
    else if (t.egress === 'deny-all' && k.startsWith('net:egress:') && !isClusterLocalEgress(k)) {
      out.push({ rule: 'egress-denied', key: k, detail: 'egress outside the cluster in a deny-all class' });
    }
    if (t.readOnlyIam && apiAccess(k) === 'write') {
      out.push({ rule: 'write-in-read-only-class', key: k, detail: 'AWS write action in a read-only class' });
    }
    if (t.interpreterAfterStartup === 'deny' && isInterpreterExec(k) && Date.parse(e.firstSeen) > startupEnd) {
      out.push({ rule: 'interpreter-after-startup', key: k, detail: `first seen ${e.firstSeen}, after startup` });
    }
    if (t.tempExec === 'deny' && isTempExec(k))
      out.push({ rule: 'temp-exec', key: k, detail: 'executable in a temp dir' });
    if (t.invokeAgents === 'deny' && isAgentInvocation(k)) {
      out.push({ rule: 'agent-invocation', key: k, detail: 'invokes another agent' });
    }
  }
  return out;
}

/** Template fields that differ between two class baselines (for reports and the acceptance test). */
export function templateDifferences(a: ClassTemplate, b: ClassTemplate): string[] {
  const fields: (keyof ClassTemplate)[] = [
    'egress',
    'imds',
    'readOnlyIam',
    'interpreterAfterStartup',
    'tempExec',
    'invokeAgents',
    'driftNewKeyRate',
    'allowedLayers',
  ];
  return fields.filter((f) => JSON.stringify(a[f]) !== JSON.stringify(b[f]));
}
