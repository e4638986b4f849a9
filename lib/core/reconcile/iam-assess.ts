/**
 * Per-action judgement of one of the agent's own Allow statements: exercised (seen), unused (a covering source would
 * have shown a use and shows none: Unused Excess) or not assessed (no source would have shown it; the missing source
 * is named). Uses seen only in traces or invocation logs keep an action, but never prove the role needs it.
 */
import { type ActionCoverage, actionCoverage, type CoverageContext } from '../coverage/action-coverage.ts';
import type { IamCatalog } from '../iam/catalog.ts';
import { asList, formatStatementRef, type Statement, type StatementRef } from '../iam/policy.ts';
import { wildcardMatch } from '../iam/wildcard.ts';
import type { ActionAssessment } from './findings.ts';
import type { SourceAction } from './source-actions.ts';

/** A CloudTrail call the statement allowed, reduced to what the assessment needs. */
export interface StatementUse {
  actions: string[];
  count: number;
  lastSeen: string;
}

export interface AssessInput {
  catalog: IamCatalog;
  statement: Statement;
  ref: StatementRef;
  uses: StatementUse[];
  other: SourceAction[];
  coverage: CoverageContext;
}

function resourceMatches(st: Statement, resource: string): boolean {
  if (resource === '*' || st.Resource === undefined) return true;
  return asList(st.Resource).some((r) => wildcardMatch(r, resource) || wildcardMatch(resource, r));
}

function otherUses(input: AssessInput, action: string): SourceAction[] {
  return input.other.filter(
    (o) => o.action.toLowerCase() === action.toLowerCase() && resourceMatches(input.statement, o.resource),
  );
}

function judgeOther(
  base: Omit<ActionAssessment, 'status'>,
  other: SourceAction[],
  cov: ActionCoverage,
  role: string | undefined,
): ActionAssessment {
  const sources = [...new Set(other.map((o) => o.source))].join(', ');
  if (cov.covered && other.some((o) => o.principalIsRole))
    return { ...base, status: 'exercised', coveredBy: `${sources} (calls of the role itself)` };
  if (cov.covered) {
    return {
      ...base,
      status: 'not-assessed',
      missing: `the calling principal of the ${base.count} call(s) in ${sources} (not recorded there; CloudTrail shows none by ${role ?? 'the role'})`,
    };
  }
  return { ...base, status: 'not-assessed', missing: cov.missing, ...(cov.check ? { check: cov.check } : {}) };
}

/** Judges every action the statement grants. NotAction statements are judged as one not-assessed entry. */
export function assessStatement(input: AssessInput): ActionAssessment[] {
  const { catalog, statement: st, ref } = input;
  const name = formatStatementRef(ref);
  if (st.NotAction !== undefined) {
    return [
      {
        action: `NotAction:${asList(st.NotAction).join(',')}`,
        statement: name,
        ref,
        status: 'not-assessed',
        count: 0,
        seenIn: [],
        missing: 'a list of the actions a NotAction statement grants (it names what it does not grant)',
      },
    ];
  }
  const out: ActionAssessment[] = [];
  const resources = st.Resource !== undefined ? asList(st.Resource) : ['*'];
  const seen = new Set<string>();
  for (const pattern of asList(st.Action)) {
    const expanded = catalog.expand(pattern);
    if (expanded.length === 0 || catalog.coverage(pattern) === 'partial') {
      out.push({
        action: pattern,
        statement: name,
        ref,
        status: 'not-assessed',
        count: 0,
        seenIn: [],
        missing: `the IAM catalog's actions for ${pattern} (service not loaded): the grant cannot be enumerated`,
      });
    }
    for (const a of expanded) {
      if (seen.has(a.action)) continue;
      seen.add(a.action);
      const ct = input.uses.filter((u) => u.actions.some((x) => x.toLowerCase() === a.action.toLowerCase()));
      const oth = otherUses(input, a.action);
      const count = ct.reduce((n, u) => n + u.count, 0) + oth.reduce((n, o) => n + o.count, 0);
      const last = [...ct.map((u) => u.lastSeen), ...oth.map((o) => o.lastSeen)].sort().at(-1);
      const seenIn = [...(ct.length > 0 ? ['cloudtrail'] : []), ...new Set(oth.map((o) => o.source))];
      const base = {
        action: a.action,
        statement: name,
        ref,
        accessLevel: a.accessLevel,
        count,
        ...(last ? { lastUsed: last } : {}),
        seenIn,
      };
      if (ct.length > 0) {
        out.push({ ...base, status: 'exercised', coveredBy: 'CloudTrail' });
        continue;
      }
      const cov = actionCoverage(a.action, a.accessLevel, resources, input.coverage);
      if (oth.length > 0) {
        out.push(judgeOther(base, oth, cov, input.coverage.roleArn));
        continue;
      }
      out.push(
        cov.covered
          ? { ...base, status: 'unused', coveredBy: cov.by }
          : { ...base, status: 'not-assessed', missing: cov.missing, ...(cov.check ? { check: cov.check } : {}) },
      );
    }
  }
  return out;
}

/** One line per not-assessed grant, for `gaps`: what is kept and which source would let Warden judge it. */
export function gapLine(a: ActionAssessment): string {
  const seen = a.seenIn.length > 0 ? `; seen ${a.count}× in ${a.seenIn.join(', ')}` : '';
  return `not assessed: ${a.action} (${a.statement}) is kept; missing source: ${a.missing}${a.check ? ` [coverage check ${a.check}]` : ''}${seen}`;
}
