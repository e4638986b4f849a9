/**
 * IAM policy documents as Warden reads them, and the zod schema that checks them where they enter (IAM API,
 * bucket policies, fixtures). Single values and arrays are both legal JSON policy grammar; `statements` and
 * `asList` normalize them once so the evaluator deals with arrays only.
 */
import { z } from 'zod';

const stringOrList = z.union([z.string(), z.array(z.string())]);

const principalSchema = z.union([z.literal('*'), z.record(z.string(), stringOrList)]);

export const statementSchema = z
  .object({
    Sid: z.string().optional(),
    Effect: z.enum(['Allow', 'Deny']),
    Action: stringOrList.optional(),
    NotAction: stringOrList.optional(),
    Resource: stringOrList.optional(),
    NotResource: stringOrList.optional(),
    Principal: principalSchema.optional(),
    NotPrincipal: principalSchema.optional(),
    Condition: z
      .record(
        z.string(),
        z.record(
          z.string(),
          z.union([stringOrList, z.boolean(), z.number(), z.array(z.union([z.string(), z.number(), z.boolean()]))]),
        ),
      )
      .optional(),
  })
  .passthrough();

export const policyDocumentSchema = z
  .object({
    Version: z.string().optional(),
    Id: z.string().optional(),
    Statement: z.union([statementSchema, z.array(statementSchema)]),
  })
  .passthrough();

export type Statement = z.infer<typeof statementSchema>;
export type PolicyDocument = z.infer<typeof policyDocumentSchema>;
export type Principal = z.infer<typeof principalSchema>;

/** Where a policy comes from; it decides how it takes part in evaluation. */
export const POLICY_KINDS = ['inline', 'managed', 'aws-managed', 'boundary', 'resource', 'trust'] as const;
export type PolicyKind = (typeof POLICY_KINDS)[number];

/** A policy document with the identity needed to name it in findings. */
export interface NamedPolicy {
  /** Stable id: the managed policy ARN, `<roleArn>#inline/<name>`, `<bucketArn>#bucket-policy`. */
  id: string;
  name: string;
  kind: PolicyKind;
  document: PolicyDocument;
}

/** Reference to one statement of one policy: what a decision or finding names as its source. */
export interface StatementRef {
  policyId: string;
  policyName: string;
  policyKind: PolicyKind;
  /** Position in the normalized Statement array. */
  index: number;
  sid?: string;
  effect: 'Allow' | 'Deny';
}

export function asList<T>(v: T | T[] | undefined): T[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

export function statements(doc: PolicyDocument): Statement[] {
  return asList(doc.Statement);
}

export function statementRef(policy: NamedPolicy, index: number): StatementRef {
  const st = statements(policy.document)[index];
  if (!st) throw new RangeError(`policy ${policy.id} has no statement ${index}`);
  return {
    policyId: policy.id,
    policyName: policy.name,
    policyKind: policy.kind,
    index,
    ...(st.Sid ? { sid: st.Sid } : {}),
    effect: st.Effect,
  };
}

/** `Name/Sid` or `Name#index`: how findings print a statement. */
export function formatStatementRef(ref: StatementRef): string {
  return ref.sid ? `${ref.policyName}/${ref.sid}` : `${ref.policyName}#${ref.index}`;
}

/**
 * Parses a policy document given as JSON text, URL-encoded JSON (the IAM API returns documents URL-encoded) or an
 * object. Returns an error string instead of throwing: outside data is expected to be wrong sometimes.
 */
export function parsePolicyDocument(
  input: unknown,
): { ok: true; document: PolicyDocument } | { ok: false; error: string } {
  let value = input;
  if (typeof value === 'string') {
    let text = value.trim();
    if (text.startsWith('%7B') || text.startsWith('%7b')) {
      try {
        text = decodeURIComponent(text);
      } catch {
        return { ok: false, error: 'policy document is not valid URL encoding' };
      }
    }
    try {
      value = JSON.parse(text);
    } catch {
      return { ok: false, error: 'policy document is not valid JSON' };
    }
  }
  const r = policyDocumentSchema.safeParse(value);
  if (!r.success)
    return {
      ok: false,
      error: `invalid policy document: ${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message}`,
    };
  return { ok: true, document: r.data };
}

/** Canonical JSON of a policy document (keys sorted, single values as lists) to compare files by content. */
export function canonicalPolicy(doc: unknown): string {
  const norm = (v: unknown, key?: string): unknown => {
    if (Array.isArray(v)) return v.map((x) => norm(x));
    if (v && typeof v === 'object')
      return Object.fromEntries(
        Object.keys(v as object)
          .sort()
          .map((k) => [k, norm((v as Record<string, unknown>)[k], k)]),
      );
    // IAM reads a single Action/Resource string as a one-element list.
    return key && ['Action', 'NotAction', 'Resource', 'NotResource'].includes(key) && typeof v === 'string' ? [v] : v;
  };
  return JSON.stringify(norm(doc));
}
