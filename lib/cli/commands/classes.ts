/**
 * `warden classes [--json]`: the agent class templates and every subject's class (label or inferred), with the
 * template rules its observed envelope breaks.
 */
import type { Command } from 'commander';
import { classBaselines } from '../../app/baselines/classes.ts';
import { CLASS_TEMPLATES } from '../../core/baseline/classes/templates.ts';
import { emit, globalOpts } from '../output.ts';
import type { SubjectColumnProvider } from '../subject-columns.ts';
import { withStore } from '../with-store.ts';

export const subjectColumns: SubjectColumnProvider = async (store, subjects) => {
  const out = new Map<string, Record<string, unknown>>();
  const rows = await classBaselines(
    store,
    new Date().toISOString(),
    subjects.map((s) => s.subject),
  );
  for (const r of rows) out.set(r.subject, { class: r.assignment.class });
  return out;
};

export function register(program: Command): void {
  program
    .command('classes')
    .description('agent classes: templates, and each subject with its class and template violations')
    .action(async function (this: Command) {
      const subjects = await withStore(globalOpts(this).store, (store) =>
        classBaselines(store, new Date().toISOString()),
      );
      const templates = Object.values(CLASS_TEMPLATES);
      emit(this, { templates, subjects }, () => {
        const lines = ['CLASS             EGRESS              IMDS   READ-ONLY IAM  INTERPRETERS  TEMP EXEC  AGENTS'];
        for (const t of templates) {
          lines.push(
            `${t.class.padEnd(18)}${t.egress.padEnd(20)}${t.imds.padEnd(7)}${String(t.readOnlyIam).padEnd(15)}${t.interpreterAfterStartup.padEnd(14)}${t.tempExec.padEnd(11)}${t.invokeAgents}`,
          );
        }
        lines.push('');
        if (subjects.length === 0) lines.push('no subjects yet');
        for (const s of subjects) {
          const why = s.assignment.evidence.length ? ` (${s.assignment.evidence.slice(0, 2).join(', ')})` : '';
          lines.push(`${s.subject}: ${s.assignment.class} [${s.assignment.source}]${why}`);
          for (const v of s.violations) lines.push(`  ! ${v.rule}: ${v.key} — ${v.detail}`);
        }
        return lines.join('\n');
      });
    });
}
