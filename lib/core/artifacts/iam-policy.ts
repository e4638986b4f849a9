/**
 * IAM scope tightening per agent role: each of the role's editable policies (inline and customer managed) is
 * replaced by a narrower document, so merging the change tightens what is attached today.
 *
 * - Exercised actions (CloudTrail): the IAM actions that authorized each successful call, on the concrete resources
 *   observed (S3 object keys already generalized to `bucket/*`); a granted resource whose events no source would
 *   show stays granted. Calls the role's own policies did not allow (a resource policy, the node role) are not added:
 *   the tightening never grants what the role does not have. Unknown actions are dropped with a warning.
 * - Not assessed (see core/reconcile/iam-assess.ts): kept exactly as granted (resources and condition), with the
 *   missing source in provenance; actions seen only in traces or invocation logs are kept the same way.
 * - Unused (a covering source shows no use): removed.
 * - Conditions: the Condition block of the statement that allowed a call is kept, so a tightening never drops a
 *   guard; Deny statements of a replaced policy are kept as they are.
 * - Grants exercised only through AWS managed policies move to one new customer managed policy and the AWS managed
 *   policy is detached; size limits split it (IAM counts characters without whitespace).
 * - Diff: each current statement is kept, kept-narrowed or removed, with the reconciliation findings behind it.
 */
import type { CoverageContext } from '../coverage/action-coverage.ts';
import { actionCoverage } from '../coverage/action-coverage.ts';
import type { IamCatalog } from '../iam/catalog.ts';
import { evaluate, type PolicySet } from '../iam/evaluate.ts';
import {
  asList,
  formatStatementRef,
  type NamedPolicy,
  type PolicyKind,
  type Statement,
  type StatementRef,
  statements,
} from '../iam/policy.ts';
import { parseSubject } from '../observation.ts';
import type { ActionAssessment, Finding } from '../reconcile/findings.ts';
import { toApiCall } from '../reconcile/iam-rules.ts';
import type { AgentRole, ObservedBehavior } from '../reconcile/types.ts';
import type { KeyEvidence, RuleProvenance } from './types.ts';

export const MANAGED_POLICY_MAX = 6144;
export const INLINE_POLICIES_MAX = 10240;

export interface IamTighteningInput {
  subject: string;
  baselineVersion: number;
  /** Observed behaviors over the window (api keys with their CloudTrail attrs). */
  observed: ObservedBehavior[];
  /** The agent's current role and policies (declared scope). */
  role?: AgentRole;
  /** Reconciliation findings for the subject, used to explain every removed grant. */
  findings: Finding[];
  /** Per-action judgement from reconciliation: not-assessed grants are kept. */
  assessments?: ActionAssessment[];
  /** What the sources cover: a granted resource no source would show is kept beside the observed ones. */
  coverage?: CoverageContext;
  catalog: IamCatalog;
  /** Class baseline expects read-only IAM (retrieval, code-execution): write-level actions are not granted. */
  readOnly?: boolean;
}

export interface GeneratedStatement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Action?: string[];
  NotAction?: string[];
  Resource?: string[];
  NotResource?: string[];
  Condition?: Record<string, Record<string, unknown>>;
}

export interface PolicyRef {
  id: string;
  name: string;
  kind: PolicyKind;
}

export interface TightenedPolicy {
  name: string;
  /** The current policy this document replaces; undefined for a new customer managed policy. */
  replaces?: PolicyRef;
  document: { Version: '2012-10-17'; Statement: GeneratedStatement[] };
}

export interface DiffEntry {
  statement: string;
  ref: StatementRef;
  change: 'kept-narrowed' | 'kept' | 'removed';
  /** Grants of this statement that the tightened policy no longer gives, from the findings. */
  removedGrants: string[];
  /** Grants kept because no source could show their use (not assessed). */
  keptNotAssessed: string[];
  /** Grants kept because traces or invocation logs show them used, where CloudTrail does not: `action (source)`. */
  keptSeenOutsideCloudTrail: string[];
  findings: string[];
  summary: string;
}

export interface IamTightening {
  policies: TightenedPolicy[];
  /** Current policies the change removes: an inline/managed policy with nothing left, an AWS managed one to detach. */
  removals: { policy: PolicyRef; change: 'delete' | 'detach'; reason: string }[];
  provenance: RuleProvenance[];
  diff: DiffEntry[];
  warnings: string[];
  /** Calls observed but not granted (failed calls, calls the role did not allow), with why. */
  notGranted: { key: string; reason: string }[];
}

const sidPart = (s: string) => s.replace(/[^A-Za-z0-9]/g, '');
const compactLength = (doc: unknown) => JSON.stringify(doc).length;
const NEW = '\u0000new';

const unconditioned = new WeakMap<AgentRole, NamedPolicy[]>();

/**
 * Statements of the current policies that allowed a call. The call succeeded, so the conditions held when it was
 * made: attribution ignores Condition blocks (the request context of a past call is not fully known), and the
 * tightened statement then carries the original block over.
 */
export function allowingStatements(role: AgentRole | undefined, action: string, resource: string): StatementRef[] {
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

const editable = (kind: string) => kind === 'inline' || kind === 'managed';

interface Group {
  target: string;
  actions: Set<string>;
  resources: Set<string>;
  condition?: Statement['Condition'];
  evidence: KeyEvidence[];
  sources: Set<string>;
  notes: string[];
}

/** Builds the tightened policies, their provenance and the diff against the current policies. */
export function generateIamTightening(input: IamTighteningInput): IamTightening {
  const { catalog, role } = input;
  const warnings: string[] = [];
  const notGranted: IamTightening['notGranted'] = [];
  const groups = new Map<string, Group>();
  const groupFor = (target: string, resource: string, condition?: Statement['Condition']) => {
    const k = `${target}\u0001${resource}\u0001${condition ? JSON.stringify(condition) : ''}`;
    let g = groups.get(k);
    if (!g) {
      g = { target, actions: new Set(), resources: new Set([resource]), evidence: [], sources: new Set(), notes: [] };
      if (condition) g.condition = condition;
      groups.set(k, g);
    }
    return g;
  };

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
      if (role && allowedBy.length === 0) {
        notGranted.push({
          key: b.key,
          reason: `${action} was allowed by a scope outside the role's policies (resource policy, another role): not added`,
        });
        continue;
      }
      const first = allowedBy.find((r) => editable(r.policyKind)) ?? allowedBy[0];
      const target = first && editable(first.policyKind) ? first.policyId : NEW;
      const condition = first && role ? statementOf(role, first)?.Condition : undefined;
      const g = groupFor(target, resource, condition);
      g.actions.add(info?.action ?? action);
      if (!g.evidence.some((e) => e.key === b.key))
        g.evidence.push({ key: b.key, count: b.count, firstSeen: b.firstSeen, lastSeen: b.lastSeen });
      for (const r of allowedBy) g.sources.add(formatStatementRef(r));
      // Granted resources of the allowing statement that no source would show: kept, since unseen proves nothing.
      const st = first && role ? statementOf(role, first) : undefined;
      if (st && input.coverage && st.Resource !== undefined && !info?.wildcardOnly) {
        for (const granted of asList(st.Resource)) {
          if (granted === resource) continue;
          const cov = actionCoverage(action, level, [granted], input.coverage);
          if (cov.covered) continue;
          const k = groupFor(target, granted, condition);
          k.actions.add(info?.action ?? action);
          k.sources.add(formatStatementRef(first!));
          k.notes.push(`${info?.action ?? action} on ${granted} kept: not assessed (${cov.missing})`);
        }
      }
    }
  }

  // Not-assessed grants (and uses seen only outside CloudTrail): kept as granted, with their missing source.
  const keptByStatement = new Map<string, ActionAssessment[]>();
  for (const a of input.assessments ?? []) {
    if (a.status !== 'not-assessed' && !(a.status === 'exercised' && !a.seenIn.includes('cloudtrail'))) continue;
    const k = `${a.ref.policyId}#${a.ref.index}`;
    keptByStatement.set(k, [...(keptByStatement.get(k) ?? []), a]);
  }
  const kept: { target: string; st: GeneratedStatement; prov: RuleProvenance }[] = [];
  for (const list of keptByStatement.values()) {
    const ref = list[0]!.ref;
    const orig = role ? statementOf(role, ref) : undefined;
    if (!orig) continue;
    const target = editable(ref.policyKind) ? ref.policyId : NEW;
    const notAction = list.find((a) => a.action.startsWith('NotAction:'));
    const st: GeneratedStatement = {
      Sid: `${sidPart(ref.sid ?? `Stmt${ref.index}`)}Kept`,
      Effect: 'Allow',
      ...(notAction
        ? { NotAction: asList(orig.NotAction) }
        : { Action: [...new Set(list.map((a) => a.action))].sort() }),
      ...(orig.Resource !== undefined
        ? { Resource: asList(orig.Resource) }
        : { NotResource: asList(orig.NotResource) }),
      ...(orig.Condition ? { Condition: orig.Condition as GeneratedStatement['Condition'] } : {}),
    };
    kept.push({
      target,
      st,
      prov: {
        rule: `Statement[${st.Sid}]`,
        allows: `${(st.Action ?? st.NotAction ?? []).join(', ')} on ${(st.Resource ?? st.NotResource ?? []).join(', ')} (kept as granted)`,
        subject: input.subject,
        baselineVersion: input.baselineVersion,
        derivedFrom: [],
        fixedReason: `kept from ${formatStatementRef(ref)}: not assessed`,
        notes: list.map((a) =>
          a.missing
            ? `${a.action}: not assessed; missing source: ${a.missing}${a.count ? ` (seen ${a.count}× in ${a.seenIn.join(', ')})` : ''}`
            : `${a.action}: seen ${a.count}× in ${a.seenIn.join(', ')}`,
        ),
      },
    });
  }

  const generated = buildStatements(input, groups);
  const all = [...generated, ...kept];
  const policies = assemble(input, all, warnings);
  const removals: IamTightening['removals'] = [];
  for (const p of role?.policies ?? []) {
    if (p.kind === 'boundary') continue;
    const ref = { id: p.id, name: p.name, kind: p.kind };
    if (!editable(p.kind)) {
      removals.push({
        policy: ref,
        change: 'detach',
        reason: 'AWS managed: what the agent used moves to a policy of its own',
      });
      continue;
    }
    if (!policies.some((x) => x.replaces?.id === p.id))
      removals.push({ policy: ref, change: 'delete', reason: 'nothing it grants was used or left unassessed' });
  }
  return {
    policies,
    removals,
    provenance: all.map((s) => s.prov),
    diff: diffAgainst(input),
    warnings,
    notGranted,
  };
}

function buildStatements(
  input: IamTighteningInput,
  groups: Map<string, Group>,
): { target: string; st: GeneratedStatement; prov: RuleProvenance }[] {
  // Resources with the same action set, target and condition share a statement.
  const merged = new Map<string, Group>();
  for (const g of groups.values()) {
    if (g.actions.size === 0) continue;
    const k = `${g.target}\u0001${[...g.actions].sort().join(',')}\u0001${g.condition ? JSON.stringify(g.condition) : ''}`;
    const cur = merged.get(k);
    if (!cur) {
      merged.set(k, {
        ...g,
        resources: new Set(g.resources),
        evidence: [...g.evidence],
        sources: new Set(g.sources),
        notes: [...g.notes],
      });
      continue;
    }
    for (const r of g.resources) cur.resources.add(r);
    cur.evidence.push(...g.evidence);
    for (const s of g.sources) cur.sources.add(s);
    cur.notes.push(...g.notes);
  }
  const used = new Map<string, number>();
  const sorted = [...merged.values()].sort((a, b) =>
    [...a.actions]
      .sort()
      .join()
      .localeCompare([...b.actions].sort().join()),
  );
  return sorted.map((g) => {
    const actions = [...g.actions].sort();
    const services = [...new Set(actions.map((a) => a.split(':')[0]!))];
    const level = actions.map((a) => input.catalog.accessLevel(a) ?? 'write').includes('write') ? 'Write' : 'Read';
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
    const notes = [
      ...(g.sources.size > 0 ? [`currently allowed by ${[...g.sources].sort().join(', ')}`] : []),
      ...new Set(g.notes),
    ];
    return {
      target: g.target,
      st,
      prov: {
        rule: `Statement[${Sid}]`,
        allows: `${actions.join(', ')} on ${st.Resource!.join(', ')}`,
        subject: input.subject,
        baselineVersion: input.baselineVersion,
        derivedFrom: g.evidence.sort((a, b) => a.key.localeCompare(b.key)),
        ...(notes.length > 0 ? { notes } : {}),
      },
    };
  });
}

/** Groups statements into documents: one replacement per editable policy, new managed policies for the rest. */
function assemble(
  input: IamTighteningInput,
  all: { target: string; st: GeneratedStatement }[],
  warnings: string[],
): TightenedPolicy[] {
  const out: TightenedPolicy[] = [];
  const sids = new Set<string>();
  const unique = (st: GeneratedStatement): GeneratedStatement => {
    let sid = st.Sid;
    for (let i = 2; sids.has(sid); i++) sid = `${st.Sid}${i}`;
    sids.add(sid);
    return sid === st.Sid ? st : { ...st, Sid: sid };
  };
  for (const p of input.role?.policies ?? []) {
    if (!editable(p.kind)) continue;
    const mine = all.filter((s) => s.target === p.id).map((s) => s.st);
    if (mine.length === 0) continue;
    // A Deny in the replaced policy keeps guarding what is left.
    const denies = statements(p.document as NamedPolicy['document'])
      .map((st, i) => ({ st, i }))
      .filter(({ st }) => st.Effect === 'Deny')
      .map(
        ({ st, i }): GeneratedStatement => ({
          Sid: sidPart(st.Sid ?? `Deny${i}`) || `Deny${i}`,
          Effect: 'Deny',
          ...(st.Action !== undefined ? { Action: asList(st.Action) } : { NotAction: asList(st.NotAction) }),
          ...(st.Resource !== undefined ? { Resource: asList(st.Resource) } : { NotResource: asList(st.NotResource) }),
          ...(st.Condition ? { Condition: st.Condition as GeneratedStatement['Condition'] } : {}),
        }),
      );
    const doc = { Version: '2012-10-17' as const, Statement: [...mine, ...denies].map(unique) };
    const max = p.kind === 'inline' ? INLINE_POLICIES_MAX : MANAGED_POLICY_MAX;
    if (compactLength(doc) > max) warnings.push(`replacement of ${p.name} exceeds ${max} characters; split it by hand`);
    out.push({ name: p.name, replaces: { id: p.id, name: p.name, kind: p.kind }, document: doc });
  }
  const subj = parseSubject(input.subject);
  const baseName = `warden-${subj?.name ?? 'agent'}-tightened`;
  const fresh: TightenedPolicy[] = [];
  let current: GeneratedStatement[] = [];
  const flush = () => {
    if (current.length === 0) return;
    fresh.push({ name: '', document: { Version: '2012-10-17', Statement: current } });
    current = [];
  };
  for (const { st: raw } of all.filter((s) => s.target === NEW)) {
    const st = unique(raw);
    if (compactLength({ Version: '2012-10-17', Statement: [st] }) > MANAGED_POLICY_MAX) {
      warnings.push(`statement ${st.Sid} alone exceeds ${MANAGED_POLICY_MAX} characters; it is emitted as is`);
    }
    if (compactLength({ Version: '2012-10-17', Statement: [...current, st] }) > MANAGED_POLICY_MAX) flush();
    current.push(st);
  }
  flush();
  fresh.forEach((p, i) => {
    p.name = fresh.length === 1 ? baseName : `${baseName}-${i + 1}`;
  });
  return [...out, ...fresh];
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
      const mine = (input.assessments ?? []).filter((a) => a.ref.policyId === p.id && a.ref.index === index);
      const keptNotAssessed = mine.filter((a) => a.status === 'not-assessed').map((a) => a.action);
      const keptSeenOutsideCloudTrail = mine
        .filter((a) => a.status === 'exercised' && !a.seenIn.includes('cloudtrail'))
        .map((a) => `${a.action} (${a.seenIn.join('+')})`);
      const stillUsed =
        exercisedRefs.has(`${p.id}#${index}`) || keptNotAssessed.length > 0 || keptSeenOutsideCloudTrail.length > 0;
      const change: DiffEntry['change'] = !stillUsed ? 'removed' : removedGrants.length > 0 ? 'kept-narrowed' : 'kept';
      out.push({
        statement: name,
        ref,
        change,
        removedGrants: [...new Set(removedGrants)].sort(),
        keptNotAssessed: [...new Set(keptNotAssessed)].sort(),
        keptSeenOutsideCloudTrail: [...new Set(keptSeenOutsideCloudTrail)].sort(),
        findings: findings.map((f) => f.id),
        summary:
          change === 'removed'
            ? `${name}: nothing it grants was exercised; removed`
            : change === 'kept-narrowed'
              ? `${name}: narrowed to what was exercised; ${removedGrants.length} unused grant(s) removed`
              : keptNotAssessed.length > 0
                ? `${name}: kept; ${keptNotAssessed.length} grant(s) not assessed`
                : `${name}: everything it grants was exercised`,
      });
    });
  }
  return out;
}
