/**
 * The IAM tightening as reviewable files and as the pull request body: where each policy lives (the file the PR
 * changes, or exactly which policy to replace or detach), the observation window, each granted action with its
 * calls, last use and the source that backs the judgement, the grants kept because no source could see them,
 * would-be-denied events of the monitor window, the validation result and a line diff of every document.
 */
import type { NamedPolicy } from '../iam/policy.ts';
import { parseSubject } from '../observation.ts';
import type { ActionAssessment } from '../reconcile/findings.ts';
import type { AgentRole } from '../reconcile/types.ts';
import type { IamTightening, TightenedPolicy } from './iam-policy.ts';
import type { TighteningValidation } from './iam-validate.ts';
import type { ArtifactFile } from './types.ts';

const MAX_DIFF_LINES = 1500;

/** Line diff of two texts (longest common subsequence), `+`/`-`/` ` prefixed like a unified diff body. */
export function lineDiff(before: string, after: string): string[] {
  const a = before.split('\n');
  const b = after.split('\n');
  if (a.length > MAX_DIFF_LINES || b.length > MAX_DIFF_LINES) return ['(documents too large for an inline diff)'];
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--)
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      out.push(`  ${a[i]}`);
      i++;
      j++;
    } else if (j < b.length && (i === a.length || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) out.push(`+ ${b[j++]}`);
    else out.push(`- ${a[i++]}`);
  }
  return out;
}

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

/** File name of a tightened document. */
export function policyFileName(subject: string, p: TightenedPolicy): string {
  const name = parseSubject(subject)?.name ?? 'agent';
  return p.replaces ? `warden-${name}.${p.replaces.name}.iam-policy.json` : `${p.name}.iam-policy.json`;
}

export interface IamBodyContext {
  subject: string;
  role?: AgentRole;
  tightening: IamTightening;
  assessments: ActionAssessment[];
  window?: { from: string; to: string };
  validation?: TighteningValidation;
  /** Repository path of each replaced policy's file (policy id -> path), when found. */
  locations?: Record<string, string>;
  /** Would-be-denied IAM events from the monitor window (the rollout adds them). */
  monitor?: {
    measured: boolean;
    window?: { from: string; to: string };
    evaluatedEvents: number;
    wouldDenyEvents: number;
    examples: { key: string; count: number; reason: string }[];
  };
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const days = (w: { from: string; to: string }) => Math.round((Date.parse(w.to) - Date.parse(w.from)) / 86_400_000);

function whereLines(c: IamBodyContext): string[] {
  const role = c.role?.name ?? '<role>';
  const out: string[] = [];
  for (const p of c.tightening.policies) {
    const file = policyFileName(c.subject, p);
    if (!p.replaces) {
      out.push(
        `- new customer managed policy \`${p.name}\` (\`${file}\`): create it and attach it to role \`${role}\` ` +
          `(\`aws iam create-policy --policy-name ${p.name} --policy-document file://${file}\`, then ` +
          `\`aws iam attach-role-policy --role-name ${role} --policy-arn <its ARN>\`)`,
      );
      continue;
    }
    const at = c.locations?.[p.replaces.id];
    const what =
      p.replaces.kind === 'inline'
        ? `inline policy \`${p.replaces.name}\` of role \`${role}\``
        : `managed policy \`${p.replaces.id}\``;
    if (at) out.push(`- ${what}: this pull request rewrites \`${at}\`, the file that holds it`);
    else
      out.push(
        `- ${what}: Warden found no file holding it in this repository; replace its document with \`${file}\` ` +
          (p.replaces.kind === 'inline'
            ? `(\`aws iam put-role-policy --role-name ${role} --policy-name ${p.replaces.name} --policy-document file://${file}\`)`
            : `(\`aws iam create-policy-version --policy-arn ${p.replaces.id} --policy-document file://${file} --set-as-default\`)`),
      );
  }
  for (const r of c.tightening.removals) {
    const cmd =
      r.change === 'detach'
        ? `aws iam detach-role-policy --role-name ${role} --policy-arn ${r.policy.id}`
        : r.policy.kind === 'inline'
          ? `aws iam delete-role-policy --role-name ${role} --policy-name ${r.policy.name}`
          : `aws iam detach-role-policy --role-name ${role} --policy-arn ${r.policy.id}`;
    out.push(`- ${r.change} \`${r.policy.name}\` (${r.reason}): \`${cmd}\``);
  }
  return out;
}

/** The Markdown body (also written as the `iam-diff` artifact). */
export function iamPullRequestBody(c: IamBodyContext): string {
  const t = c.tightening;
  const lines = [`# IAM tightening for ${c.subject}`, ''];
  if (c.role) lines.push(`Role \`${c.role.arn}\`.`);
  if (c.window) lines.push(`Observation window ${c.window.from} – ${c.window.to} (${days(c.window)} days).`);
  lines.push('', '## What changes', '', ...whereLines(c), '');
  lines.push(
    '## Granted actions',
    '',
    '| action | statement | status | calls | last use | coverage |',
    '|---|---|---|---|---|---|',
  );
  for (const a of [...c.assessments].sort(
    (x, y) => x.statement.localeCompare(y.statement) || x.action.localeCompare(y.action),
  )) {
    const cov = a.status === 'not-assessed' ? `missing: ${a.missing ?? '?'}` : (a.coveredBy ?? '');
    lines.push(
      `| ${cell(a.action)} | ${cell(a.statement)} | ${a.status === 'unused' ? 'unused (removed)' : a.status === 'not-assessed' ? 'not assessed (kept)' : 'exercised (kept)'} | ${a.count} | ${a.lastUsed ?? '-'} | ${cell(cov)}${a.seenIn.length ? ` (seen in ${a.seenIn.join(', ')})` : ''} |`,
    );
  }
  const gaps = c.assessments.filter((a) => a.status === 'not-assessed');
  lines.push('', '## Not assessed (kept as granted)', '');
  if (gaps.length === 0) lines.push('None: every granted action is covered by a source.');
  for (const g of gaps)
    lines.push(
      `- \`${g.action}\` (${g.statement}): missing ${g.missing}${g.check ? ` [coverage check \`${g.check}\`]` : ''}`,
    );
  lines.push('', '## Would-be-denied events (monitor window)', '');
  const m = c.monitor;
  if (!m) lines.push("Not measured yet: the rollout adds the monitor window's figures.");
  else if (!m.measured)
    lines.push(
      `Not measured: no IAM-relevant event in the monitor window${m.window ? ` ${m.window.from} – ${m.window.to}` : ''}.`,
    );
  else {
    lines.push(
      `${m.wouldDenyEvents} of ${m.evaluatedEvents} events in ${m.window ? `${m.window.from} – ${m.window.to}` : 'the monitor window'} would be denied by the new documents.`,
    );
    for (const e of m.examples) lines.push(`- \`${e.key}\` ×${e.count}: ${e.reason}`);
  }
  if (c.validation) {
    lines.push('', '## Validation', '');
    lines.push(
      c.validation.ok
        ? `Passed: actions and ARNs checked against the IAM catalog; ${c.validation.checked} grant(s) checked as a subset of the current policies (no new access).`
        : 'FAILED: do not merge.',
    );
    for (const p of [...c.validation.problems, ...c.validation.newAccess]) lines.push(`- ${p}`);
  }
  if (t.warnings.length > 0) lines.push('', '## Warnings', '', ...t.warnings.map((w) => `- ${w}`));
  if (t.notGranted.length > 0)
    lines.push('', '## Observed but not granted', '', ...t.notGranted.map((n) => `- \`${n.key}\`: ${n.reason}`));
  lines.push('', '## Diff', '');
  for (const p of t.policies) {
    const old = p.replaces ? c.role?.policies.find((x) => x.id === p.replaces!.id) : undefined;
    lines.push(`### ${p.replaces ? p.replaces.name : `${p.name} (new)`}`, '', '```diff');
    lines.push(...lineDiff(old ? json((old as NamedPolicy).document).trimEnd() : '', json(p.document).trimEnd()));
    lines.push('```', '');
  }
  for (const r of t.removals) {
    const old = c.role?.policies.find((x) => x.id === r.policy.id);
    if (!old) continue;
    lines.push(
      `### ${r.policy.name} (${r.change})`,
      '',
      '```diff',
      ...lineDiff(json(old.document).trimEnd(), ''),
      '```',
      '',
    );
  }
  lines.push(
    '## Statement changes',
    '',
    '| current statement | change | removed grants | kept, not assessed | kept, used outside CloudTrail | findings |',
    '|---|---|---|---|---|---|',
  );
  const items = (xs: string[]) => xs.join(', ') || '-';
  for (const d of t.diff)
    lines.push(
      `| ${d.statement} | ${d.change} | ${items(d.removedGrants)} | ${items(d.keptNotAssessed)} | ${items(d.keptSeenOutsideCloudTrail)} | ${items(d.findings)} |`,
    );
  return `${lines.join('\n')}\n`;
}

/** Renders the tightening as artifact files: the policy JSON(s) and the Markdown body for the pull request. */
export function iamArtifactFiles(c: IamBodyContext): ArtifactFile[] {
  const role = c.role?.name ?? 'the agent role';
  const files: ArtifactFile[] = c.tightening.policies.map((p) => ({
    path: policyFileName(c.subject, p),
    kind: 'iam-policy' as const,
    enforcementPoint: p.replaces
      ? `IAM: replaces ${p.replaces.kind} policy ${p.replaces.name} of ${role}, applied only through a reviewed pull request`
      : `IAM: new customer managed policy attached to ${role}, applied only through a reviewed pull request`,
    content: json(p.document),
    rules: c.tightening.provenance.filter((r) => p.document.Statement.some((s) => r.rule === `Statement[${s.Sid}]`)),
  }));
  files.push({
    path: `warden-${parseSubject(c.subject)?.name ?? 'agent'}.iam-diff.md`,
    kind: 'iam-diff',
    enforcementPoint: 'pull request body for the IAM change (review before merge)',
    content: iamPullRequestBody(c),
    rules: [],
  });
  return files;
}
