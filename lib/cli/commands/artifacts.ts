import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { loadIamCatalog } from '../../adapters/iam-scope.ts';
import { openStore } from '../../adapters/open-store.ts';
import { explain, generateArtifacts, NoBaselineError, writeArtifacts } from '../../app/artifacts/service.ts';
import { parseSubject } from '../../core/observation.ts';
import { inputError } from '../errors.ts';
import { hint } from '../hints.ts';
import { CliError, emit, globalOpts } from '../output.ts';

export function register(program: Command): void {
  const cmd = program.command('artifacts').description('enforcement artifacts derived from the observed baseline');
  cmd
    .argument('[subject]', 'subject id, e.g. k8s:prod/support/support-agent')
    .option('--out <dir>', 'directory to write the files and provenance.json', 'warden-artifacts')
    .option('--scope <file>', 'declared scope JSON (otherwise the stored one; without any, no IAM tightening)')
    .option('--staging <subject>', 'build from this (staging) subject baseline: pre-enforced track')
    .action(async function (this: Command, subject: string | undefined) {
      if (!subject) throw new CliError('artifacts needs a SUBJECT (or `artifacts explain FILE RULE`)');
      if (!parseSubject(subject)) throw new CliError(`not a subject id: ${subject}`);
      const o = this.opts<{ out: string; scope?: string; staging?: string }>();
      let scope: unknown;
      if (o.scope) {
        if (!existsSync(o.scope)) throw inputError(`scope file not found: ${o.scope}`);
        try {
          scope = JSON.parse(readFileSync(o.scope, 'utf8'));
        } catch (err) {
          throw inputError(`scope file is not JSON: ${o.scope}`, err);
        }
      }
      const store = await openStore(globalOpts(this).store);
      try {
        const set = await generateArtifacts(subject, {
          store,
          loadCatalog: loadIamCatalog,
          now: new Date().toISOString(),
          ...(scope !== undefined ? { scope } : {}),
          ...(o.staging ? { baselineSubject: o.staging } : {}),
        });
        const written = writeArtifacts(o.out, set);
        emit(
          this,
          {
            subject,
            class: set.class,
            baselineVersion: set.baselineVersion,
            files: set.files.map((f) => ({
              path: join(o.out, f.path),
              kind: f.kind,
              enforcementPoint: f.enforcementPoint,
              rules: f.rules.length,
            })),
            provenance: join(o.out, 'provenance.json'),
            warnings: set.warnings,
          },
          () =>
            [
              `${subject} (class ${set.class}, baseline v${set.baselineVersion}):`,
              ...set.files.map((f) => `  ${join(o.out, f.path)}  [${f.kind}] -> ${f.enforcementPoint}`),
              `  ${written.at(-1)}  [provenance index]`,
              ...set.warnings.map((w) => `  warning: ${w}`),
            ].join('\n'),
        );
      } catch (err) {
        // The hint as this user runs Warden (npx warden / warden, their --store), not the service's generic text.
        if (err instanceof NoBaselineError)
          throw inputError(
            `no baseline for ${err.subject}: run ${hint(['baseline', err.subject], { store: globalOpts(this).store })} (or ingest observations) first`,
            err,
          );
        throw err;
      } finally {
        await store.close();
      }
    });

  cmd
    .command('explain')
    .description('why is this allowed: the observations and baseline version behind a rule')
    .argument('<file>', 'an artifact file written by `warden artifacts`')
    .argument('<rule>', 'rule id (egress[1].to[0], family:network, Statement[S3Write]) or text it allows')
    .action(function (this: Command, file: string, rule: string) {
      const index = join(dirname(file), 'provenance.json');
      if (!existsSync(index)) throw inputError(`no provenance.json next to ${file}`);
      const found = explain(index, file, rule);
      if (found.length === 0) throw inputError(`no rule matching "${rule}" in ${file}`);
      emit(this, found, () =>
        found
          .map((r) =>
            [
              `${r.rule}: allows ${r.allows}`,
              `  subject ${r.subject}, baseline v${r.baselineVersion}`,
              ...(r.fixedReason ? [`  fixed: ${r.fixedReason}`] : []),
              ...r.derivedFrom.map((k) => `  observed ${k.key}  x${k.count}  ${k.firstSeen} .. ${k.lastSeen}`),
              ...(r.notes ?? []).map((n) => `  note: ${n}`),
            ].join('\n'),
          )
          .join('\n'),
      );
    });
}
