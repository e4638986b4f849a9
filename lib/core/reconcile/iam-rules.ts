/**
 * IAM reconciliation: attributes each observed API call to the statements that allowed it, layer by layer (own
 * declaration first, then each inherited source), then reports own statements wider than their use (Unused Excess)
 * and inherited statements the agent used or can reach (Inherited Overreach).
 */

import {
  type CloudTrailSeen,
  type CoverageContext,
  emptySeen,
  noteCloudTrailEvent,
} from '../coverage/action-coverage.ts';
import type { AccessLevel, IamCatalog } from '../iam/catalog.ts';
import { mapCloudTrailEvent } from '../iam/cloudtrail-action.ts';
import { type EvalRequest, evaluate, type PolicySet } from '../iam/evaluate.ts';
import {
  asList,
  formatStatementRef,
  type NamedPolicy,
  type StatementRef,
  statementRef,
  statements,
} from '../iam/policy.ts';
import { wildcardMatch } from '../iam/wildcard.ts';
import type {
  ActionAssessment,
  Evidence,
  InheritedOverreachFinding,
  InheritedSource,
  UnusedExcessFinding,
} from './findings.ts';
import { assessStatement } from './iam-assess.ts';
import { actionsFromOtherSources } from './source-actions.ts';
import type { DeclaredScope, ObservedBehavior, RoleScope } from './types.ts';

/** A layer of policies the agent can act through, in attribution order. */
interface Layer {
  source: 'own' | InheritedSource;
  sourceName: string;
  set: PolicySet;
  /** Principal ARN the layer's calls run as (a role): used to attribute calls whose principal is known. */
  roleArn?: string;
  reachable: boolean;
  reason: string;
  sharedWith?: string[];
  /** Policies whose statements are this layer's grants (resource policies or identity policies). */
  grantPolicies: NamedPolicy[];
}

export interface ApiCall {
  behavior: ObservedBehavior;
  actions: string[];
  resource: string;
  principalArn?: string;
  roleArn?: string;
  failed: boolean;
}

/** `api:<service>:<Action>:<resource>` (resource may contain `:`). */
export function parseApiKey(key: string): { service: string; action: string; resource: string } | undefined {
  const m = /^api:([^:]+):([^:]+):(.+)$/.exec(key);
  if (!m) return undefined;
  return { service: m[1]!, action: m[2]!, resource: m[3]! };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Role ARN behind an assumed-role session ARN. */
export function roleOfSession(arn: string): string | undefined {
  const m = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(arn);
  return m ? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` : undefined;
}

export function toApiCall(b: ObservedBehavior): ApiCall | undefined {
  const k = parseApiKey(b.key);
  if (!k) return undefined;
  const src = str(b.attrs.eventSource);
  const name = str(b.attrs.eventName);
  let actions = [`${k.service}:${k.action}`];
  if (src && name) {
    const m = mapCloudTrailEvent(src, name, str(b.attrs.statement));
    if (!m.requiresPermission) return undefined;
    actions = m.actions;
  }
  const principalArn = str(b.attrs.principalArn) ?? str(b.attrs.userIdentityArn);
  const roleArn =
    str(b.attrs.roleArn) ?? str(b.attrs.sessionIssuerArn) ?? (principalArn ? roleOfSession(principalArn) : undefined);
  // A behavior's attrs are a successful call's whenever one of its calls succeeded (stored aggregates and
  // behaviorsFromAggregates prefer them: fold.ts isFailedCall), so `failed` means no call of the key succeeded in the
  // window; the CloudTrail parser keeps principals in correlation, so roleArn is often absent and the call is then
  // attributed to the first layer (own, then inherited) that allows it.
  const failed = Boolean(str(b.attrs.errorCode));
  return {
    behavior: b,
    actions,
    resource: k.resource,
    ...(principalArn ? { principalArn } : {}),
    ...(roleArn ? { roleArn } : {}),
    failed,
  };
}

/** A managed policy granting a whole service or everything (`*`, `s3:*`, NotAction) is not a declaration for one agent. */
export function isWildcardManaged(p: NamedPolicy): boolean {
  if (p.kind !== 'managed' && p.kind !== 'aws-managed') return false;
  return statements(p.document).some(
    (s) =>
      s.Effect === 'Allow' &&
      (s.NotAction !== undefined || asList(s.Action).some((a) => a === '*' || /^[^:]+:\*$/.test(a))),
  );
}

function boundaryOf(role: RoleScope): NamedPolicy[] | undefined {
  return role.boundary ? [role.boundary] : undefined;
}

function buildLayers(scope: DeclaredScope): Layer[] {
  const layers: Layer[] = [];
  const role = scope.role;
  const namedResource = scope.resourcePolicies.filter((r) => !r.accountWide).map((r) => r.policy);
  if (role) {
    const wildcard = role.policies.filter(isWildcardManaged);
    const own = role.policies.filter((p) => !isWildcardManaged(p));
    if (role.sharing) {
      layers.push({
        source: role.sharing.kind,
        sourceName: role.arn,
        set: { identity: own, boundary: boundaryOf(role), resource: namedResource },
        roleArn: role.arn,
        reachable: true,
        reason:
          role.sharing.kind === 'shared-role'
            ? `role ${role.name} is also used by ${role.sharing.with.join(', ')}`
            : `role ${role.name} is bound to the namespace default service account`,
        sharedWith: role.sharing.with,
        grantPolicies: own,
      });
    } else {
      layers.push({
        source: 'own',
        sourceName: role.arn,
        set: { identity: own, boundary: boundaryOf(role), resource: namedResource },
        roleArn: role.arn,
        reachable: true,
        reason: `the agent's own role ${role.name}`,
        grantPolicies: own,
      });
    }
    for (const p of wildcard) {
      layers.push({
        source: 'wildcard-managed-policy',
        sourceName: p.id,
        set: { identity: [p], boundary: boundaryOf(role) },
        roleArn: role.arn,
        reachable: true,
        reason: `managed policy ${p.name} attached to ${role.name} grants whole services`,
        ...(role.sharing ? { sharedWith: role.sharing.with } : {}),
        grantPolicies: [p],
      });
    }
  }
  for (const r of scope.resourcePolicies.filter((x) => x.accountWide)) {
    layers.push({
      source: 'account-resource-policy',
      sourceName: r.resourceArn,
      set: { identity: [], boundary: role ? boundaryOf(role) : undefined, resource: [r.policy] },
      reachable: true,
      reason: `resource policy on ${r.resourceArn} grants every principal of the account`,
      grantPolicies: [r.policy],
    });
  }
  for (const ir of scope.inheritedRoles) {
    layers.push({
      source: ir.source,
      sourceName: ir.role.arn,
      set: { identity: ir.role.policies, boundary: boundaryOf(ir.role) },
      roleArn: ir.role.arn,
      reachable: ir.reachable,
      reason: ir.reachReason,
      grantPolicies: ir.role.policies,
    });
  }
  return layers;
}

export interface Attribution {
  call: ApiCall;
  layer?: Layer;
  statements: StatementRef[];
}

function requestFor(call: ApiCall, action: string, layer: Layer, account?: string): EvalRequest {
  const roleArn = layer.roleArn ?? call.roleArn;
  return {
    action,
    resource: call.resource,
    principal: {
      ...(call.principalArn ? { arn: call.principalArn } : {}),
      ...(roleArn ? { roleArn } : {}),
      ...(account ? { account } : {}),
    },
  };
}

function attribute(call: ApiCall, layers: Layer[], account?: string): Attribution {
  // A call whose principal is known runs as that role: only layers of that role (and resource policies) can explain it.
  const candidates = layers.filter(
    (l) =>
      !call.roleArn || l.roleArn === undefined || l.roleArn === call.roleArn || l.source === 'account-resource-policy',
  );
  for (const layer of candidates) {
    const refs: StatementRef[] = [];
    let all = true;
    for (const action of call.actions) {
      const d = evaluate(layer.set, requestFor(call, action, layer, account));
      if (d.decision !== 'allow') {
        all = false;
        break;
      }
      refs.push(...d.allowedBy);
    }
    if (all) return { call, layer, statements: dedupeRefs(refs) };
  }
  return { call, statements: [] };
}

function dedupeRefs(refs: StatementRef[]): StatementRef[] {
  const seen = new Map<string, StatementRef>();
  for (const r of refs) seen.set(`${r.policyId}#${r.index}`, r);
  return [...seen.values()];
}

const refKey = (r: StatementRef) => `${r.policyId}#${r.index}`;

function evidenceOf(a: Attribution): Evidence {
  const b = a.call.behavior;
  return { key: b.key, count: b.count, firstSeen: b.firstSeen, lastSeen: b.lastSeen, actions: a.call.actions };
}

function levelOf(catalog: IamCatalog, action: string): AccessLevel | undefined {
  return catalog.accessLevel(action);
}

/** Granted actions of an Allow statement, expanded through the catalog; patterns it cannot fully expand are kept. */
function grantedActions(catalog: IamCatalog, patterns: string[]): { actions: string[]; unexpanded: string[] } {
  const actions = new Set<string>();
  const unexpanded: string[] = [];
  for (const p of patterns) {
    const found = catalog.expand(p);
    for (const a of found) actions.add(a.action);
    if (found.length === 0 || catalog.coverage(p) === 'partial') unexpanded.push(p);
  }
  return { actions: [...actions].sort(), unexpanded };
}

function summarizeGrants(catalog: IamCatalog, policy: NamedPolicy, index: number) {
  const st = statements(policy.document)[index]!;
  const patterns = st.NotAction !== undefined ? asList(st.NotAction).map((a) => `NotAction:${a}`) : asList(st.Action);
  const { actions } = st.NotAction !== undefined ? { actions: [] as string[] } : grantedActions(catalog, patterns);
  const levels = new Set<AccessLevel>();
  for (const a of actions) {
    const l = levelOf(catalog, a);
    if (l) levels.add(l);
  }
  const resources =
    st.Resource !== undefined ? asList(st.Resource) : asList(st.NotResource).map((r) => `NotResource:${r}`);
  return { actions: patterns, resources, accessLevels: [...levels].sort() };
}

export interface IamReconcileOutput {
  unused: UnusedExcessFinding[];
  overreach: InheritedOverreachFinding[];
  unexplained: (Evidence & { reason: string })[];
  notAssessed: string[];
  assessments: ActionAssessment[];
}

/** Calls recorded by CloudTrail (the behavior carries its eventSource, or its sources say so). */
export function isCloudTrail(b: ObservedBehavior): boolean {
  return b.key.startsWith('api:') && (b.sources ? b.sources.includes('cloudtrail') : true);
}

/** What a set of CloudTrail behaviors (any subject) shows the trail logs. */
export function cloudTrailSeen(behaviors: ObservedBehavior[], into: CloudTrailSeen = emptySeen()): CloudTrailSeen {
  for (const b of behaviors) {
    if (!isCloudTrail(b)) continue;
    const k = parseApiKey(b.key);
    if (!k) continue;
    noteCloudTrailEvent(into, {
      eventCategory: b.attrs.eventCategory,
      managementEvent: b.attrs.managementEvent,
      readOnly: b.attrs.readOnly,
      action: `${k.service}:${k.action}`,
      resource: k.resource,
    });
  }
  return into;
}

/** Coverage from the subject's own observations only (no account-wide evidence, no trail configuration). */
export function ownCoverage(scope: DeclaredScope, observed: ObservedBehavior[]): CoverageContext {
  return {
    seen: cloudTrailSeen(observed),
    ownCloudTrailEvents: observed.filter(isCloudTrail).reduce((n, b) => n + b.count, 0),
    ...(scope.role ? { roleArn: scope.role.arn } : {}),
  };
}

/** Runs the IAM part of the reconciliation. */
export function reconcileIam(
  scope: DeclaredScope,
  observed: ObservedBehavior[],
  catalog: IamCatalog,
  coverage: CoverageContext = ownCoverage(scope, observed),
): IamReconcileOutput {
  const layers = buildLayers(scope);
  const other = actionsFromOtherSources(scope.subject, observed, scope.role?.via);
  const out: IamReconcileOutput = { unused: [], overreach: [], unexplained: [], notAssessed: [], assessments: [] };
  const attributions: Attribution[] = [];
  for (const b of observed) {
    const call = toApiCall(b);
    if (!call) continue;
    if (call.failed) {
      out.unexplained.push({
        key: b.key,
        count: b.count,
        firstSeen: b.firstSeen,
        lastSeen: b.lastSeen,
        actions: call.actions,
        reason: `call failed (${String(b.attrs.errorCode)}): an attempt, not exercised scope`,
      });
      continue;
    }
    const a = attribute(call, layers, scope.account);
    if (!a.layer) {
      out.unexplained.push({ ...evidenceOf(a), reason: 'no declared or inherited scope allows this call' });
      continue;
    }
    attributions.push(a);
  }

  const byStatement = new Map<string, Attribution[]>();
  for (const a of attributions) {
    for (const r of a.statements) {
      const k = refKey(r);
      byStatement.set(k, [...(byStatement.get(k) ?? []), a]);
    }
  }

  for (const layer of layers) {
    for (const policy of layer.grantPolicies) {
      statements(policy.document).forEach((st, index) => {
        if (st.Effect !== 'Allow') return;
        const ref = statementRef(policy, index);
        const used = (byStatement.get(refKey(ref)) ?? []).filter((a) => a.layer === layer);
        const name = formatStatementRef(ref);
        if (layer.source === 'own') {
          const judged = assessStatement({
            catalog,
            statement: st,
            ref,
            uses: used.map((a) => ({
              actions: a.call.actions.map((x) => catalog.action(x)?.action ?? x),
              count: a.call.behavior.count,
              lastSeen: a.call.behavior.lastSeen,
            })),
            other,
            coverage,
          });
          out.assessments.push(...judged);
          out.unused.push(...unusedFor(catalog, policy, index, ref, used, name, judged));
          return;
        }
        if (!layer.reachable && used.length === 0) return;
        const grants = summarizeGrants(catalog, policy, index);
        const status = used.length > 0 ? 'exercised' : 'reachable';
        out.overreach.push({
          id: `inherited-overreach:${layer.source}:${refKey(ref)}`,
          category: 'inherited-overreach',
          source: layer.source,
          sourceName: layer.sourceName,
          statement: ref,
          status,
          evidence: used.map(evidenceOf),
          grants,
          ...(layer.sharedWith ? { sharedWith: layer.sharedWith } : {}),
          reason: layer.reason,
          summary:
            status === 'exercised'
              ? `${used.length} observed call(s) allowed only through ${name} (${layer.source}: ${layer.sourceName})`
              : `${name} (${layer.source}: ${layer.sourceName}) grants ${grants.actions.join(', ')} on ${grants.resources.join(', ')}; not used in the window`,
        });
      });
    }
  }
  if (!scope.role) out.notAssessed.push('no IAM role is declared for this subject: IAM scope not reconciled');
  return out;
}

function unusedFor(
  catalog: IamCatalog,
  policy: NamedPolicy,
  index: number,
  ref: StatementRef,
  used: Attribution[],
  name: string,
  judged: ActionAssessment[],
): UnusedExcessFinding[] {
  const st = statements(policy.document)[index]!;
  const findings: UnusedExcessFinding[] = [];
  const exercisedActions = new Set(used.flatMap((a) => a.call.actions.map((x) => catalog.action(x)?.action ?? x)));
  const evidence = used.map(evidenceOf);
  // The finding of this statement's actions (one, whichever way the statement grants them).
  const actionFinding = {
    id: `unused-excess:iam-action:${refKey(ref)}`,
    category: 'unused-excess',
    kind: 'iam-action',
    source: name,
    statement: ref,
  } as const;
  if (st.NotAction !== undefined) {
    findings.push({
      ...actionFinding,
      unused: [],
      byAccessLevel: {},
      exercised: evidence,
      unexpanded: asList(st.NotAction).map((a) => `NotAction:${a}`),
      summary: `${name} allows every action except ${asList(st.NotAction).join(', ')}; ${exercisedActions.size} action(s) used`,
    });
  } else {
    const { unexpanded } = grantedActions(catalog, asList(st.Action));
    // Only actions a covering source would have shown: a grant no source can see is not assessed, never excess.
    const unusedActions = judged.filter((j) => j.status === 'unused').map((j) => j.action);
    if (unusedActions.length > 0) {
      const byAccessLevel: Partial<Record<AccessLevel, number>> = {};
      const unused = unusedActions.map((a) => {
        const level = levelOf(catalog, a);
        if (level) byAccessLevel[level] = (byAccessLevel[level] ?? 0) + 1;
        return { item: a, ...(level ? { accessLevel: level } : {}) };
      });
      const levels = Object.entries(byAccessLevel)
        .map(([l, n]) => `${n} ${l}`)
        .join(', ');
      findings.push({
        ...actionFinding,
        unused,
        byAccessLevel,
        exercised: evidence,
        unexpanded,
        summary: `${name} grants ${unused.length} action(s) never used in the window although their events are logged${levels ? ` (${levels})` : ''}${
          unexpanded.length ? `; unexpanded: ${unexpanded.join(', ')}` : ''
        }`,
      });
    }
  }
  // Resources named by the statement that no allowed call touched.
  // Only when some of the statement is used: an entirely unused statement is already one action finding.
  if (st.Resource !== undefined && used.length > 0) {
    const unusedResources = asList(st.Resource).filter((r) => !used.some((a) => wildcardMatch(r, a.call.resource)));
    if (unusedResources.length > 0) {
      findings.push({
        id: `unused-excess:iam-resource:${refKey(ref)}`,
        category: 'unused-excess',
        kind: 'iam-resource',
        source: name,
        statement: ref,
        unused: unusedResources.map((r) => ({ item: r })),
        byAccessLevel: {},
        exercised: evidence,
        unexpanded: [],
        summary: `${name} names ${unusedResources.length} resource(s) no call touched: ${unusedResources.join(', ')}`,
      });
    }
  }
  return findings;
}
