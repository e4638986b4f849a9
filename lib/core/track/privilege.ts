/** The IAM access levels an agent holds: own role grants plus inherited scope it can reach (the reconcile layers). */
import type { AccessLevel, IamCatalog } from '../iam/catalog.ts';
import { asList, type NamedPolicy, statements } from '../iam/policy.ts';
import type { DeclaredScope } from '../reconcile/types.ts';

export function grantedAccessLevels(scope: DeclaredScope, catalog: IamCatalog): AccessLevel[] {
  const policies: NamedPolicy[] = [
    ...(scope.role?.policies ?? []),
    ...scope.inheritedRoles.filter((r) => r.reachable).flatMap((r) => r.role.policies),
    ...scope.resourcePolicies.filter((r) => r.accountWide).map((r) => r.policy),
  ];
  const levels = new Set<AccessLevel>();
  for (const p of policies) {
    for (const st of statements(p.document)) {
      if (st.Effect !== 'Allow') continue;
      if (st.NotAction !== undefined) {
        // Everything but a few actions: treat as every level (the catalog may not hold every service).
        for (const l of ['list', 'read', 'write', 'tagging', 'permissions-management'] as const) levels.add(l);
        continue;
      }
      for (const a of asList(st.Action)) for (const x of catalog.expand(a)) levels.add(x.accessLevel);
    }
  }
  return [...levels].sort();
}
