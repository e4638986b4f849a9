/**
 * Checks a tightened policy before anyone is asked to merge it:
 *
 * - structure, against the IAM catalog: every action exists, a wildcard-only action uses `Resource: "*"`, every ARN
 *   is an instance of a resource type the action acts on, Sids are unique and alphanumeric, documents fit IAM's size
 *   limits;
 * - no new access (like IAM Access Analyzer's CheckNoNewAccess), by Warden's own evaluator: every (action, resource)
 *   an Allow statement of the new documents names is allowed by the current policies (conditions aside), by a
 *   statement whose resource pattern contains it and whose Condition block the new statement carries whole.
 *
 * @example validateTightening(t, role, catalog).ok // false names each problem in `problems`
 */
import type { IamCatalog } from '../iam/catalog.ts';
import { type NamedPolicy, type Statement, statements } from '../iam/policy.ts';
import type { AgentRole } from '../reconcile/types.ts';
import { allowingStatements, type IamTightening, INLINE_POLICIES_MAX, MANAGED_POLICY_MAX } from './iam-policy.ts';

export interface TighteningValidation {
  ok: boolean;
  /** Structural problems (catalog, size, Sids). */
  problems: string[];
  /** Grants of the new documents that the current policies do not give. */
  newAccess: string[];
  /** Grants checked against the current policies. */
  checked: number;
}

/**
 * Whether every string the IAM wildcard `inner` matches is matched by `outer` (`*` any run, `?` one character).
 *
 * @example patternSubset('arn:aws:s3:::b/x*', 'arn:aws:s3:::b/*') // true
 */
export function patternSubset(inner: string, outer: string): boolean {
  const memo = new Map<number, boolean>();
  const go = (i: number, j: number): boolean => {
    const k = i * (outer.length + 1) + j;
    const hit = memo.get(k);
    if (hit !== undefined) return hit;
    let r: boolean;
    if (j === outer.length) r = i === inner.length;
    else if (outer[j] === '*') r = go(i, j + 1) || (i < inner.length && go(i + 1, j));
    else if (i === inner.length || inner[i] === '*') r = false;
    else if (outer[j] === '?') r = go(i + 1, j + 1);
    else r = inner[i] !== '?' && inner[i] === outer[j] && go(i + 1, j + 1);
    memo.set(k, r);
    return r;
  };
  return go(0, 0);
}

function conditionCarried(
  oldCond: Statement['Condition'],
  newCond: Record<string, Record<string, unknown>> | undefined,
): boolean {
  for (const [op, keys] of Object.entries(oldCond ?? {})) {
    for (const [key, value] of Object.entries(keys as Record<string, unknown>)) {
      const mine = newCond?.[op]?.[key];
      if (JSON.stringify(mine) !== JSON.stringify(value)) return false;
    }
  }
  return true;
}

const asArr = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function structural(t: IamTightening, catalog: IamCatalog): string[] {
  const problems: string[] = [];
  for (const p of t.policies) {
    const sids = new Set<string>();
    const max = p.replaces?.kind === 'inline' ? INLINE_POLICIES_MAX : MANAGED_POLICY_MAX;
    if (JSON.stringify(p.document).length > max) problems.push(`${p.name}: larger than ${max} characters`);
    for (const st of p.document.Statement) {
      if (!/^[A-Za-z0-9]*$/.test(st.Sid)) problems.push(`${p.name}/${st.Sid}: Sid must be alphanumeric`);
      if (sids.has(st.Sid)) problems.push(`${p.name}/${st.Sid}: duplicate Sid`);
      sids.add(st.Sid);
      if (st.Effect !== 'Allow' || st.Action === undefined) continue;
      for (const a of st.Action) {
        if (a.includes('*') || a.includes('?')) {
          if (catalog.expand(a).length === 0 && catalog.coverage(a) === 'complete')
            problems.push(`${p.name}/${st.Sid}: ${a} names no action in the catalog`);
          continue;
        }
        const info = catalog.action(a);
        if (!info) {
          if (catalog.hasService(a.split(':')[0]!)) problems.push(`${p.name}/${st.Sid}: ${a} is not an IAM action`);
          continue;
        }
        for (const r of st.Resource ?? []) {
          if (r === '*') continue;
          if (info.wildcardOnly) {
            problems.push(`${p.name}/${st.Sid}: ${a} supports only Resource "*", not ${r}`);
            continue;
          }
          if (r.includes('*') || r.includes('?')) continue;
          const rt = catalog.resourceTypeOf(info.service, r);
          if (rt && !info.resourceTypes.some((x) => x.key === rt.key))
            problems.push(`${p.name}/${st.Sid}: ${a} does not act on ${rt.key} resources (${r})`);
        }
      }
    }
  }
  return problems;
}

/** Validates the tightening against the catalog and against the role's current policies. */
export function validateTightening(
  t: IamTightening,
  role: AgentRole | undefined,
  catalog: IamCatalog,
): TighteningValidation {
  const problems = structural(t, catalog);
  const newAccess: string[] = [];
  let checked = 0;
  if (role) {
    const current = (ref: { policyId: string; index: number }) => {
      const p = role.policies.find((x) => x.id === ref.policyId);
      return p ? statements(p.document as NamedPolicy['document'])[ref.index] : undefined;
    };
    for (const p of t.policies) {
      for (const st of p.document.Statement) {
        if (st.Effect !== 'Allow') continue;
        const actions = st.Action
          ? st.Action.flatMap((a) =>
              a.includes('*') || a.includes('?') ? catalog.expand(a).map((x) => x.action) : [a],
            )
          : [];
        if (st.NotAction || st.NotResource) {
          // Kept verbatim: it must be a statement the role already has.
          const same = role.policies.some((rp) =>
            statements(rp.document as NamedPolicy['document']).some(
              (o) =>
                o.Effect === 'Allow' &&
                JSON.stringify(asArr(o.NotAction)) === JSON.stringify(st.NotAction ?? asArr(o.NotAction)) &&
                JSON.stringify(asArr(o.NotResource)) === JSON.stringify(st.NotResource ?? asArr(o.NotResource)),
            ),
          );
          checked += 1;
          if (!same) newAccess.push(`${p.name}/${st.Sid}: a NotAction/NotResource statement the role does not have`);
          continue;
        }
        for (const a of actions) {
          for (const r of st.Resource ?? []) {
            checked += 1;
            const by = allowingStatements(role, a, r);
            const contained = by.some((ref) => {
              const old = current(ref);
              if (!old) return false;
              const res = old.Resource !== undefined ? asArr(old.Resource) : ['*'];
              return res.some((o) => patternSubset(r, o)) && conditionCarried(old.Condition, st.Condition);
            });
            if (!contained) newAccess.push(`${p.name}/${st.Sid}: ${a} on ${r} is not granted by the current policies`);
          }
        }
      }
    }
  }
  return { ok: problems.length === 0 && newAccess.length === 0, problems, newAccess, checked };
}
