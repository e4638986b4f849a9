/**
 * IAM scope tightening per agent role: a least-privilege policy built from the exercised CloudTrail calls.
 *
 * - Actions: the IAM actions that authorized each successful call (CloudTrail -> IAM mapping in core/iam); calls
 *   that failed (AccessDenied ...) were never allowed and are not granted. Every action is checked against the
 *   catalog: unknown actions are dropped with a warning.
 * - Resources: the concrete ARNs observed (S3 object keys already generalized to `bucket/*` by the key rules);
 *   `*` only for wildcard-only actions, or when the source recorded no resource (warned).
 * - Conditions: the Condition block of the current statement that allowed the call is kept, so a tightening never
 *   drops a guard (statements are grouped by that block).
 * - Size: split into several managed policies when one would exceed {@link MANAGED_POLICY_MAX} characters
 *   (IAM counts characters without whitespace).
 * - Diff: each current statement is kept-narrowed or removed, with the reconciliation findings behind it.
 */
import type { IamCatalog } from '../iam/catalog.ts';
import { evaluate, type PolicySet } from '../iam/evaluate.ts';
import { formatStatementRef, type NamedPolicy, type Statement, type StatementRef, statements } from '../iam/policy.ts';
import { parseSubject } from '../observation.ts';
import type { Finding } from '../reconcile/findings.ts';
import { toApiCall } from '../reconcile/iam-rules.ts';
import type { AgentRole, ObservedBehavior } from '../reconcile/types.ts';
import type { ArtifactFile, KeyEvidence, RuleProvenance } from './types.ts';

export const MANAGED_POLICY_MAX = 6144;
export const INLINE_POLICIES_MAX = 10240;

export interface IamTighteningInput {
  subject: string;
  baselineVersion: number;
  /** Observed behaviors over the baseline window (api keys with their CloudTrail attrs). */
  observed: ObservedBehavior[];
  /** The agent's current role and policies (declared scope). */
  role?: AgentRole;
  /** Reconciliation findings for the subject, used to explain every removed grant. */
  findings: Finding[];
  catalog: IamCatalog;
  /** Class baseline expects read-only IAM (retrieval, code-execution): write-level actions are not granted. */
  readOnly?: boolean;
}

export interface GeneratedStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, unknown>>;
}

export interface DiffEntry {
  statement: string;
  ref: StatementRef;
  change: 'kept-narrowed' | 'kept' | 'removed';
  /** Grants of this statement that the tightened policy no longer gives, from the findings. */
  removedGrants: string[];
  findings: string[];
  summary: string;
}

export interface IamTightening {
  policies: { name: string; document: { Version: '2012-10-17'; Statement: GeneratedStatement[] } }[];
  provenance: RuleProvenance[];
  diff: DiffEntry[];
  warnings: string[];
  /** Calls observed but not granted (failed calls), with why. */
  notGranted: { key: string; reason: string }[];
}

const sidPart = (s: string) => s.replace(/[^A-Za-z0-9]/g, '');
const compactLength = (doc: unknown) => JSON.stringify(doc).length;

const unconditioned = new WeakMap<AgentRole, NamedPolicy[]>();

/**
 * Statements of the current policies that allowed a call. The call succeeded, so the conditions held when it was
 * made: attribution ignores Condition blocks (the request context of a past call is not fully known), and the
 * tightened statement then carries the original block over.
 */
function allowingStatements(role: AgentRole | undefined, action: string, resource: string): StatementRef[] {
  if (!role) return [];
  let policies = unconditioned.get(role);
  if (!policies) {
    policies = (role.policies as NamedPolicy[]).map((p) => ({
      ...p,
      document: { ...p.document, Statement: statements(p.document).map(({ Condition: _c, ...st }) => st) },
    }));
    unconditioned.set(role, policies);
  }
  const set: PolicySet = { identity: policies };
  return evaluate(set, { action, resource, principal: { roleArn: role.arn } }).allowedBy;
}

function statementOf(role: AgentRole, ref: StatementRef): Statement | undefined {
  const p = role.policies.find((x) => x.id === ref.policyId);
  return p ? statements(p.document as NamedPolicy['document'])[ref.index] : undefined;
}

/** Builds the tightened policy, its provenance and the diff against the current policies. */
export function generateIamTightening(input: IamTighteningInput): IamTightening {
  const { catalog, role } = input;
  const warnings: string[] = [];
  const notGranted: IamTightening['notGranted'] = [];
  // group key: condition JSON + sorted actions -> resources
  interface Group {
    actions: Set<string>;
    resources: Set<string>;
    condition?: Statement['Condition'];
    evidence: KeyEvidence[];
    sources: Set<string>;
  }
  const byResource = new Map<
    string,
    { actions: Set<string>; condition?: Statement['Condition']; evidence: KeyEvidence[]; sources: Set<string> }
  >();

  for (const b of input.observed) {
    const call = toApiCall(b);
    if (!call) continue;
    if (call.failed) {
      notGranted.push({ key: b.key, reason: `the call failed (${String(b.attrs.errorCode)}); it was never allowed` });
      continue;
    }
    for (const action of call.actions) {
      const info = catalog.action(action);
      if (!info) {
        if (catalog.hasService(action.split(':')[0]!)) {
          warnings.push(`${action} (from ${b.key}) is not in the action catalog; not granted`);
          notGranted.push({ key: b.key, reason: `${action} is not a known IAM action` });
          continue;
        }
        warnings.push(`${action}: service not in the loaded catalog; granted without validation`);
      }
      const level = info?.accessLevel;
      if (input.readOnly && level && level !== 'read' && level !== 'list') {
        warnings.push(
          `${action} (${level}) was exercised, but the class baseline is read-only; not granted: review the agent`,
        );
        notGranted.push({ key: b.key, reason: `${action} is a ${level} action in a read-only class` });
        continue;
      }
      let resource = call.resource;
      if (info?.wildcardOnly) resource = '*';
      else if (resource === '*' && info && info.resourceTypes.length > 0) {
        warnings.push(`${action}: the source recorded no resource, so the statement keeps Resource "*"`);
      } else if (info && resource !== '*') {
        const rt = catalog.resourceTypeOf(info.service, resource);
        if (rt && info.resourceTypes.length > 0 && !info.resourceTypes.some((t) => t.key === rt.key)) {
          warnings.push(`${action} does not act on ${rt.key} resources (${resource})`);
        }
      }
      const allowedBy = allowingStatements(role, action, resource);
      const conds = allowedBy.map((r) => (role ? statementOf(role, r)?.Condition : undefined)).filter(Boolean);
      const condition = conds.length > 0 && conds.length === allowedBy.length ? conds[0] : undefined;
      const rkey = `${resource}\u0000${condition ? JSON.stringify(condition) : ''}`;
      const cur = byResource.get(rkey) ?? {
        actions: new Set<string>(),
        condition,
        evidence: [],
        sources: new Set<string>(),
      };
      cur.actions.add(info?.action ?? action);
      if (!cur.evidence.some((e) => e.key === b.key)) {
        cur.evidence.push({ key: b.key, count: b.count, firstSeen: b.firstSeen, lastSeen: b.lastSeen });
      }
      for (const r of allowedBy) cur.sources.add(formatStatementRef(r));
      byResource.set(rkey, cur);
    }
  }

  // Resources with the same action set and condition share a statement.
  const groups = new Map<string, Group>();
  for (const [rkey, v] of byResource) {
    const resource = rkey.split('\u0000')[0]!;
    const gkey = `${[...v.actions].sort().join(',')}\u0000${v.condition ? JSON.stringify(v.condition) : ''}`;
    const g = groups.get(gkey) ?? {
      actions: v.actions,
      resources: new Set<string>(),
      condition: v.condition,
      evidence: [],
      sources: new Set<string>(),
    };
    g.resources.add(resource);
    g.evidence.push(...v.evidence);
    for (const s of v.sources) g.sources.add(s);
    groups.set(gkey, g);
  }

  const used = new Map<string, number>();
  const stmts: { st: GeneratedStatement; prov: RuleProvenance }[] = [];
  const sorted = [...groups.values()].sort((a, b) =>
    [...a.actions]
      .sort()
      .join()
      .localeCompare([...b.actions].sort().join()),
  );
  for (const g of sorted) {
    const actions = [...g.actions].sort();
    const services = [...new Set(actions.map((a) => a.split(':')[0]!))];
    const level = actions.map((a) => catalog.accessLevel(a) ?? 'write').includes('write') ? 'Write' : 'Read';
    const base = `${services.map((s) => sidPart(s[0]!.toUpperCase() + s.slice(1))).join('')}${level}`;
    const n = (used.get(base) ?? 0) + 1;
    used.set(base, n);
    const Sid = n === 1 ? base : `${base}${n}`;
    const st: GeneratedStatement = {
      Sid,
      Effect: 'Allow',
      Action: actions,
      Resource: [...g.resources].sort(),
      ...(g.condition ? { Condition: g.condition as GeneratedStatement['Condition'] } : {}),
    };
    stmts.push({
      st,
      prov: {
        rule: `Statement[${Sid}]`,
        allows: `${actions.join(', ')} on ${st.Resource.join(', ')}`,
        subject: input.subject,
        baselineVersion: input.baselineVersion,
        derivedFrom: g.evidence.sort((a, b) => a.key.localeCompare(b.key)),
        ...(g.sources.size > 0 ? { notes: [`currently allowed by ${[...g.sources].sort().join(', ')}`] } : {}),
      },
    });
  }

  // Pack statements into managed policies within the size limit.
  const subj = parseSubject(input.subject);
  const baseName = `warden-${subj?.name ?? 'agent'}-tightened`;
  const policies: IamTightening['policies'] = [];
  let current: GeneratedStatement[] = [];
  const flush = () => {
    if (current.length === 0) return;
    policies.push({ name: '', document: { Version: '2012-10-17', Statement: current } });
    current = [];
  };
  for (const { st } of stmts) {
    if (compactLength({ Version: '2012-10-17', Statement: [st] }) > MANAGED_POLICY_MAX) {
      warnings.push(`statement ${st.Sid} alone exceeds ${MANAGED_POLICY_MAX} characters; it is emitted as is`);
    }
    if (compactLength({ Version: '2012-10-17', Statement: [...current, st] }) > MANAGED_POLICY_MAX) flush();
    current.push(st);
  }
  flush();
  policies.forEach((p, i) => {
    p.name = policies.length === 1 ? baseName : `${baseName}-${i + 1}`;
  });

  return { policies, provenance: stmts.map((s) => s.prov), diff: diffAgainst(input), warnings, notGranted };
}

function diffAgainst(input: IamTighteningInput): DiffEntry[] {
  const role = input.role;
  if (!role) return [];
  const out: DiffEntry[] = [];
  // Statements that allowed at least one successful observed call.
  const exercisedRefs = new Set<string>();
  for (const b of input.observed) {
    const call = toApiCall(b);
    if (!call || call.failed) continue;
    for (const a of call.actions) {
      for (const r of allowingStatements(role, a, call.resource)) exercisedRefs.add(`${r.policyId}#${r.index}`);
    }
  }
  for (const p of role.policies) {
    statements(p.document as NamedPolicy['document']).forEach((st, index) => {
      if (st.Effect !== 'Allow') return;
      const ref: StatementRef = {
        policyId: p.id,
        policyName: p.name,
        policyKind: p.kind,
        index,
        ...(st.Sid ? { sid: st.Sid } : {}),
        effect: 'Allow',
      };
      const name = formatStatementRef(ref);
      const findings = input.findings.filter(
        (f) => f.statement && f.statement.policyId === p.id && f.statement.index === index,
      );
      const removedGrants = findings.flatMap((f) =>
        f.category === 'unused-excess' ? f.unused.map((u) => u.item) : f.grants.actions,
      );
      const stillUsed = exercisedRefs.has(`${p.id}#${index}`);
      const change: DiffEntry['change'] = !stillUsed ? 'removed' : removedGrants.length > 0 ? 'kept-narrowed' : 'kept';
      out.push({
        statement: name,
        ref,
        change,
        removedGrants: [...new Set(removedGrants)].sort(),
        findings: findings.map((f) => f.id),
        summary:
          change === 'removed'
            ? `${name}: nothing it grants was exercised; removed`
            : change === 'kept-narrowed'
              ? `${name}: narrowed to what was exercised; ${removedGrants.length} unused grant(s) removed`
              : `${name}: everything it grants was exercised`,
      });
    });
  }
  return out;
}

/** Renders the tightening as artifact files: the policy JSON(s) and a Markdown diff for the pull request. */
export function iamArtifactFiles(subject: string, t: IamTightening): ArtifactFile[] {
  const files: ArtifactFile[] = t.policies.map((p) => ({
    path: `${p.name}.iam-policy.json`,
    kind: 'iam-policy' as const,
    enforcementPoint:
      'IAM: customer managed policy attached to the agent role, applied only through a reviewed pull request',
    content: `${JSON.stringify(p.document, null, 2)}\n`,
    rules: t.provenance.filter((r) => p.document.Statement.some((s) => r.rule === `Statement[${s.Sid}]`)),
  }));
  const lines = [
    `# IAM tightening for ${subject}`,
    '',
    '| current statement | change | removed grants | findings |',
    '|---|---|---|---|',
  ];
  for (const d of t.diff) {
    lines.push(
      `| ${d.statement} | ${d.change} | ${d.removedGrants.join(', ') || '-'} | ${d.findings.join(', ') || '-'} |`,
    );
  }
  if (t.warnings.length > 0) lines.push('', '## Warnings', '', ...t.warnings.map((w) => `- ${w}`));
  if (t.notGranted.length > 0)
    lines.push('', '## Observed but not granted', '', ...t.notGranted.map((n) => `- \`${n.key}\`: ${n.reason}`));
  const subj = parseSubject(subject);
  files.push({
    path: `warden-${subj?.name ?? 'agent'}.iam-diff.md`,
    kind: 'iam-diff',
    enforcementPoint: 'pull request body for the IAM change (review before merge)',
    content: `${lines.join('\n')}\n`,
    rules: [],
  });
  return files;
}
