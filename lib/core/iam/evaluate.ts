/**
 * The IAM policy evaluator Warden needs: same-account requests against identity policies, a permissions boundary
 * and resource-based policies. It answers which statements allow or deny, so findings and generated tightenings
 * can name their source statement.
 *
 * Logic (IAM User Guide, "Policy evaluation logic", same account):
 * 1. A matching Deny in any policy (identity, boundary, resource) -> `explicit-deny`; it always wins.
 * 2. Allowed when an identity policy allows AND the boundary (if any) allows; or when a resource policy allows a
 *    principal named in it. A resource policy naming the role ARN (or `*`) is still limited by the boundary; one
 *    naming the exact session ARN is not. A resource policy naming only the account (`arn:aws:iam::A:root`) delegates
 *    to the account's identity policies and grants nothing by itself.
 * 3. Otherwise `implicit-deny` (this includes a request whose resource no statement names).
 *
 * Not modelled: SCPs/RCPs, session policies, cross-account requests, and condition keys the caller does not put in
 * the request context (they are absent, as IAM would see them absent).
 *
 * @example evaluate({ identity: [policy] }, { action: 's3:GetObject', resource: 'arn:aws:s3:::b/k' }).decision
 */
import {
  type ConditionBlock,
  evaluateConditions,
  likeMatch,
  type RequestContext,
  substituteVariables,
} from './conditions.ts';
import {
  asList,
  type NamedPolicy,
  type Principal,
  type Statement,
  type StatementRef,
  statementRef,
  statements,
} from './policy.ts';
import { actionMatches, wildcardMatch } from './wildcard.ts';

export interface RequestPrincipal {
  /** Session or user ARN as it calls (`arn:aws:sts::A:assumed-role/R/s`). */
  arn?: string;
  /** The role ARN behind a session. */
  roleArn?: string;
  account?: string;
  /** For AWS service principals (`bedrock.amazonaws.com`). */
  service?: string;
}

export interface EvalRequest {
  /** `service:Action`. */
  action: string;
  /** Resource ARN, or `*` for actions that take no resource. */
  resource: string;
  principal?: RequestPrincipal;
  context?: RequestContext;
}

export interface PolicySet {
  identity: NamedPolicy[];
  /** The permissions boundary; undefined = none set. An empty array is a boundary that allows nothing. */
  boundary?: NamedPolicy[];
  resource?: NamedPolicy[];
}

export type DecisionKind = 'allow' | 'explicit-deny' | 'implicit-deny';

export interface Decision {
  decision: DecisionKind;
  /** Allow statements that matched (identity and resource). */
  allowedBy: StatementRef[];
  /** Deny statements that matched. */
  deniedBy: StatementRef[];
  /** True when an identity policy allowed but the boundary did not. */
  boundaryBlocked: boolean;
  /** One-line explanation. */
  reason: string;
  /** Condition operators the evaluator does not know, seen on statements that otherwise matched. */
  unsupportedConditions: string[];
}

function principalMatches(p: Principal, req: EvalRequest): { match: boolean; direct: boolean; session: boolean } {
  if (p === '*') return { match: true, direct: true, session: false };
  const pr = req.principal ?? {};
  for (const [type, raw] of Object.entries(p)) {
    for (const v of asList(raw)) {
      if (type === 'AWS') {
        if (v === '*') return { match: true, direct: true, session: false };
        if (pr.arn && v === pr.arn) return { match: true, direct: true, session: true };
        if (pr.roleArn && v === pr.roleArn) return { match: true, direct: true, session: false };
        const acct = /^(?:arn:[^:]+:iam::)?(\d{12})(?::root)?$/.exec(v)?.[1];
        if (acct && pr.account === acct) return { match: true, direct: false, session: false };
      } else if (type === 'Service' && pr.service && v === pr.service) {
        return { match: true, direct: true, session: false };
      } else if (type === 'Federated' && pr.arn && v === pr.arn) {
        return { match: true, direct: true, session: true };
      }
    }
  }
  return { match: false, direct: false, session: false };
}

function resourceMatches(patterns: string[], resource: string, ctx: RequestContext): boolean {
  return patterns.some((raw) => {
    const pattern = raw.includes('${') ? substituteVariables(raw, ctx) : raw;
    if (pattern === undefined) return false;
    // `${*}`/`${?}` leave escaped literals that only likeMatch understands.
    return pattern.includes('\uE000') ? likeMatch(pattern, resource, false) : wildcardMatch(pattern, resource);
  });
}

export interface StatementMatch {
  matched: boolean;
  /** Why not, when not. */
  miss?: 'action' | 'resource' | 'principal' | 'condition' | 'no-resource-element';
  unsupported?: string[];
  principalDirect?: boolean;
  principalSession?: boolean;
}

/** Whether one statement applies to the request (effect aside). `withPrincipal` for resource-based policies. */
export function statementMatches(st: Statement, req: EvalRequest, withPrincipal = false): StatementMatch {
  const ctx = req.context ?? {};
  if (st.Action !== undefined) {
    if (!asList(st.Action).some((a) => actionMatches(a, req.action))) return { matched: false, miss: 'action' };
  } else if (st.NotAction !== undefined) {
    if (asList(st.NotAction).some((a) => actionMatches(a, req.action))) return { matched: false, miss: 'action' };
  } else return { matched: false, miss: 'action' };

  if (st.Resource !== undefined) {
    if (!resourceMatches(asList(st.Resource), req.resource, ctx)) return { matched: false, miss: 'resource' };
  } else if (st.NotResource !== undefined) {
    if (resourceMatches(asList(st.NotResource), req.resource, ctx)) return { matched: false, miss: 'resource' };
  } else if (!withPrincipal) {
    // An identity statement without Resource/NotResource is invalid: IAM rejects it, so it grants nothing.
    return { matched: false, miss: 'no-resource-element' };
  }

  let direct = false;
  let session = false;
  if (withPrincipal) {
    if (st.Principal !== undefined) {
      const m = principalMatches(st.Principal, req);
      if (!m.match) return { matched: false, miss: 'principal' };
      direct = m.direct;
      session = m.session;
    } else if (st.NotPrincipal !== undefined) {
      if (principalMatches(st.NotPrincipal, req).match) return { matched: false, miss: 'principal' };
      direct = true;
    } else return { matched: false, miss: 'principal' };
  }

  const c = evaluateConditions(st.Condition as ConditionBlock | undefined, ctx);
  if (c.unsupported) {
    // Unknown operator: a Deny is assumed to apply and an Allow not to (fail closed both ways).
    return st.Effect === 'Deny'
      ? { matched: true, unsupported: c.unsupported, principalDirect: direct, principalSession: session }
      : { matched: false, miss: 'condition', unsupported: c.unsupported };
  }
  if (!c.matched) return { matched: false, miss: 'condition' };
  return { matched: true, principalDirect: direct, principalSession: session };
}

interface Scan {
  allows: StatementRef[];
  denies: StatementRef[];
  directAllow: boolean;
  sessionAllow: boolean;
  unsupported: string[];
}

function scan(policies: NamedPolicy[], req: EvalRequest, withPrincipal: boolean): Scan {
  const out: Scan = { allows: [], denies: [], directAllow: false, sessionAllow: false, unsupported: [] };
  for (const policy of policies) {
    statements(policy.document).forEach((st, i) => {
      const m = statementMatches(st, req, withPrincipal);
      if (m.unsupported) out.unsupported.push(...m.unsupported);
      if (!m.matched) return;
      const ref = statementRef(policy, i);
      if (st.Effect === 'Deny') out.denies.push(ref);
      else if (!withPrincipal || m.principalDirect) {
        out.allows.push(ref);
        if (m.principalDirect) out.directAllow = true;
        if (m.principalSession) out.sessionAllow = true;
      }
    });
  }
  return out;
}

/**
 * Global keys IAM always puts in the request context, derived from the principal when the caller did not set them:
 * `aws:PrincipalAccount`, and `aws:PrincipalArn` (the role ARN for a role session, as IAM does).
 */
function withPrincipalKeys(req: EvalRequest): EvalRequest {
  const p = req.principal;
  if (!p) return req;
  const ctx: RequestContext = {};
  if (p.account) ctx['aws:PrincipalAccount'] = p.account;
  const arn = p.roleArn ?? p.arn;
  if (arn) ctx['aws:PrincipalArn'] = arn;
  const given = new Set(Object.keys(req.context ?? {}).map((k) => k.toLowerCase()));
  for (const k of Object.keys(ctx)) if (given.has(k.toLowerCase())) delete ctx[k];
  return Object.keys(ctx).length ? { ...req, context: { ...ctx, ...(req.context ?? {}) } } : req;
}

/** Evaluates one request against a policy set. */
export function evaluate(set: PolicySet, request: EvalRequest): Decision {
  const req = withPrincipalKeys(request);
  const id = scan(set.identity, req, false);
  const bd = set.boundary ? scan(set.boundary, req, false) : undefined;
  const rs = scan(set.resource ?? [], req, true);
  const unsupported = [...new Set([...id.unsupported, ...(bd?.unsupported ?? []), ...rs.unsupported])];
  const deniedBy = [...id.denies, ...(bd?.denies ?? []), ...rs.denies];
  if (deniedBy.length > 0) {
    return {
      decision: 'explicit-deny',
      allowedBy: [],
      deniedBy,
      boundaryBlocked: false,
      reason: `explicitly denied by ${deniedBy.map((d) => `${d.policyName}#${d.index}`).join(', ')}`,
      unsupportedConditions: unsupported,
    };
  }
  const boundaryAllows = !bd || bd.allows.length > 0;
  const identityAllow = id.allows.length > 0 && boundaryAllows;
  const resourceAllow = rs.allows.length > 0 && (boundaryAllows || rs.sessionAllow);
  if (identityAllow || resourceAllow) {
    const allowedBy = [...(identityAllow ? id.allows : []), ...(resourceAllow ? rs.allows : [])];
    return {
      decision: 'allow',
      allowedBy,
      deniedBy: [],
      boundaryBlocked: false,
      reason: `allowed by ${allowedBy.map((a) => `${a.policyName}#${a.index}`).join(', ')}`,
      unsupportedConditions: unsupported,
    };
  }
  const boundaryBlocked = id.allows.length > 0 && !boundaryAllows;
  return {
    decision: 'implicit-deny',
    allowedBy: [],
    deniedBy: [],
    boundaryBlocked,
    reason: boundaryBlocked
      ? 'allowed by an identity policy but not by the permissions boundary'
      : 'no statement allows this action on this resource',
    unsupportedConditions: unsupported,
  };
}
