/**
 * `warden reconcile SUBJECT [--scope FILE | --aws] [--window DAYS] [--format markdown|html] [--json]`: declared vs
 * observed scope, as Unused Excess and Inherited Overreach findings naming their source statements.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { loadIamCatalog } from '../../adapters/iam-scope.ts';
import { runReconcile } from '../../app/reconcile/service.ts';
import { parseSubject } from '../../core/observation.ts';
import { renderReconcileHtml, renderReconcileMarkdown } from '../../core/reconcile/render.ts';
import type { DeclaredScopeReader } from '../../ports.ts';
import { inputError } from '../errors.ts';
import { CliError, emit, globalOpts } from '../output.ts';
import { parseTime, withStore } from '../with-store.ts';

export interface ScopeOptions {
  scope?: string;
  aws?: boolean;
  kubeContext?: string;
  window: string;
  at?: string;
}

/** Reads `--scope FILE` (JSON) or builds the live AWS reader for `--aws`. */
export async function scopeSource(
  subject: string,
  opts: ScopeOptions,
): Promise<{ scope?: unknown; reader?: DeclaredScopeReader }> {
  if (opts.scope && opts.aws) throw new CliError('--scope and --aws are exclusive');
  if (opts.scope) {
    let text: string;
    try {
      text = await readFile(opts.scope, 'utf8');
    } catch (err) {
      throw new CliError(`--scope: cannot read ${opts.scope}: ${(err as Error).message}`, 2, { cause: err });
    }
    try {
      return { scope: JSON.parse(text) };
    } catch (err) {
      throw new CliError(`--scope: ${opts.scope} is not JSON`, 2, { cause: err });
    }
  }
  if (!opts.aws) return {};
  const { awsDeclaredScopeReaders } = await import('../../adapters/aws-scope-reader.ts');
  return { reader: await awsDeclaredScopeReaders()(subject, opts.kubeContext) };
}

export function windowDays(text: string, option = '--window'): number {
  const m = /^(\d+)d?$/.exec(text);
  if (!m || Number(m[1]) < 1) throw new CliError(`${option}: expected days like 90d, got ${text}`);
  return Number(m[1]);
}

export function register(program: Command): void {
  program
    .command('reconcile')
    .description('declared vs observed scope: Unused Excess and Inherited Overreach, each naming its source')
    .argument('<subject>', 'subject id, e.g. k8s:prod/support/support-agent or bedrock:us-east-1/AGENTID')
    .option('--scope <file>', 'declared scope as JSON (see lib/core/reconcile/types.ts); stored for later runs')
    .option('--aws', 'read the declared scope live from IAM/EKS/S3/Bedrock (and Kubernetes for k8s subjects)')
    .option('--kube-context <ctx>', 'kubeconfig context for --aws on k8s subjects')
    .option('--window <days>', 'observation window (IAM Access Analyzer uses 90 days for unused access)', '90d')
    .option('--at <time>', 'end of the window (ISO-8601; default now)')
    .option('--min-history <days>', 'least span of ingested CloudTrail before a grant is called unused', '30d')
    .option('--format <fmt>', 'human output: markdown or html', 'markdown')
    .action(async function (
      this: Command,
      subject: string,
      opts: ScopeOptions & { format: string; minHistory: string },
    ) {
      if (!parseSubject(subject)) throw new CliError(`not a subject id: ${subject}`);
      if (opts.format !== 'markdown' && opts.format !== 'html')
        throw new CliError(`--format: markdown or html, got ${opts.format}`);
      const days = windowDays(opts.window);
      const minHistoryDays = windowDays(opts.minHistory, '--min-history');
      const now = parseTime(opts.at, '--at');
      const source = await scopeSource(subject, opts);
      const result = await withStore(globalOpts(this).store, (store) =>
        runReconcile(
          { store, loadCatalog: loadIamCatalog, ...source, now, windowDays: days, minHistoryDays },
          subject,
        ).catch((err: unknown) => {
          if (err instanceof Error && /^(invalid declared scope|declared scope is for)/.test(err.message)) {
            throw inputError(err.message, err);
          }
          throw err;
        }),
      );
      emit(this, result, () =>
        opts.format === 'html' ? renderReconcileHtml(result) : renderReconcileMarkdown(result),
      );
    });
}
