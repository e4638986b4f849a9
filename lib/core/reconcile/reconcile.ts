/**
 * Declared-vs-observed reconciliation (capability 4): `reconcile(declared, observed, catalog, window, now, coverage)`.
 * `coverage` says which sources would have recorded a use (see core/coverage/action-coverage.ts); without it only
 * the subject's own CloudTrail is evidence of what the trail logs.
 * Pure: the service in lib/app/reconcile loads the declared scope and the observations and saves the result.
 *
 * @example reconcile(scope, behaviorsFromAggregates(rows), catalog, { from, to }, now).findings
 */
import type { CoverageContext } from '../coverage/action-coverage.ts';
import type { IamCatalog } from '../iam/catalog.ts';
import type { AggregateRow } from '../store/aggregate-row.ts';
import { takesAttrs } from '../store/fold.ts';
import type { Finding, ReconcileResult } from './findings.ts';
import { gapLine } from './iam-assess.ts';
import { reconcileIam } from './iam-rules.ts';
import { reconcileNetwork } from './network-rules.ts';
import { reconcileTools } from './tool-rules.ts';
import type { DeclaredScope, ObservedBehavior } from './types.ts';

/**
 * Folds hourly aggregates into one behavior per key over the window (counts summed, first/last seen spanned; attrs
 * of the first hour, or of the first hour whose call succeeded when the first one's failed).
 */
export function behaviorsFromAggregates(
  rows: AggregateRow[],
  window?: { from: string; to: string },
): ObservedBehavior[] {
  const byKey = new Map<string, ObservedBehavior>();
  for (const r of rows) {
    if (window && (r.lastSeen < window.from || r.firstSeen > window.to)) continue;
    const cur = byKey.get(r.key);
    if (!cur) {
      byKey.set(r.key, {
        key: r.key,
        count: r.count,
        firstSeen: r.firstSeen,
        lastSeen: r.lastSeen,
        attrs: { ...r.attrs },
        sources: [...(r.sources ?? [])],
      });
      continue;
    }
    cur.count += r.count;
    // A key stands for its calls by one hour's attrs: a successful call's rather than a failed one's (see
    // isFailedCall), so a key whose first call in the window failed still counts as exercised once one succeeded.
    if (takesAttrs(cur.attrs, r.attrs)) cur.attrs = { ...r.attrs };
    for (const src of r.sources ?? []) if (!cur.sources!.includes(src)) cur.sources!.push(src);
    if (r.firstSeen < cur.firstSeen) cur.firstSeen = r.firstSeen;
    if (r.lastSeen > cur.lastSeen) cur.lastSeen = r.lastSeen;
  }
  return [...byKey.values()].sort((a, b) => a.key.localeCompare(b.key));
}

export function reconcile(
  scope: DeclaredScope,
  observed: ObservedBehavior[],
  catalog: IamCatalog,
  window: { from: string; to: string },
  now: string,
  coverage?: CoverageContext,
): ReconcileResult {
  const inWindow = observed.filter((b) => b.lastSeen >= window.from && b.firstSeen <= window.to);
  const iam = reconcileIam(scope, inWindow, catalog, coverage);
  const net = reconcileNetwork(scope, inWindow);
  const tools = reconcileTools(scope, inWindow);
  const findings: Finding[] = [...iam.unused, ...net.unused, ...tools.unused, ...iam.overreach, ...net.overreach];
  findings.sort((a, b) =>
    a.category === b.category ? a.id.localeCompare(b.id) : a.category.localeCompare(b.category),
  );
  const overreach = findings.filter((f) => f.category === 'inherited-overreach');
  return {
    subject: scope.subject,
    window,
    generatedAt: now,
    findings,
    counts: {
      unusedExcess: findings.length - overreach.length,
      inheritedOverreach: overreach.length,
      exercised: overreach.filter((f) => f.status === 'exercised').length,
      reachable: overreach.filter((f) => f.status === 'reachable').length,
    },
    unexplained: [...iam.unexplained, ...net.unexplained, ...tools.unexplained],
    notAssessed: [...iam.notAssessed, ...net.notAssessed],
    gaps: [...scope.gaps, ...iam.assessments.filter((a) => a.status === 'not-assessed').map(gapLine)],
    assessments: iam.assessments,
  };
}

/** Service prefixes a scope and its observations involve: what the catalog must hold for exact expansion. */
export function servicesInvolved(scope: DeclaredScope, observed: ObservedBehavior[]): string[] {
  const out = new Set<string>();
  const addPattern = (a: string) => {
    const s = a.split(':')[0];
    if (s && !s.includes('*') && !s.includes('?')) out.add(s.toLowerCase());
  };
  const policies = [
    ...(scope.role?.policies ?? []),
    ...scope.inheritedRoles.flatMap((r) => r.role.policies),
    ...scope.resourcePolicies.map((r) => r.policy),
  ];
  for (const p of policies) {
    const sts = Array.isArray(p.document.Statement) ? p.document.Statement : [p.document.Statement];
    for (const st of sts) for (const a of [st.Action ?? [], st.NotAction ?? []].flat()) addPattern(a);
  }
  for (const b of observed) if (b.key.startsWith('api:')) addPattern(b.key.slice(4));
  return [...out].sort();
}
