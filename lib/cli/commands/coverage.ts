/**
 * `warden coverage [--region R] [--cluster NAME ...] [--endpoint URL] [--json]`: which of Warden's inputs exist in
 * the account and what each gap hides. Gaps are findings, not failures: the exit code is 0 when every input could be
 * read. When a reader failed, its checks say `unknown` (not assessed), the report is still printed, and the command
 * exits non-zero naming the failure (4 for credentials, permissions or an unreachable endpoint).
 */
import type { Command } from 'commander';
import { coverageClients, readCoverageInput } from '../../adapters/coverage-readers.ts';
import { openStore } from '../../adapters/open-store.ts';
import { saveTrailConfig } from '../../app/reconcile/service.ts';
import { type CoverageReport, checkCoverage } from '../../core/coverage/index.ts';
import type { Store } from '../../ports.ts';
import { classifyError, EXIT_CODES } from '../errors.ts';
import { CliError, emit, globalOpts } from '../output.ts';

export function regionOf(opt?: string): string {
  const region = opt ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) throw new CliError('no region: pass --region or set AWS_REGION');
  return region;
}

function human(r: CoverageReport): string {
  const unknown = r.gaps.filter((g) => g.status === 'unknown').length;
  const lines = [
    `coverage in ${r.region} at ${r.time}: ${r.checks.length - r.gaps.length} ok, ${r.gaps.length - unknown} gaps, ${unknown} not assessed (could not read)`,
  ];
  for (const c of r.checks) {
    lines.push(`  ${c.status.padEnd(8)} ${c.check.padEnd(28)} ${c.target.padEnd(20)} ${c.detail}`);
    if (c.hides) lines.push(`           hides: ${c.hides}`);
  }
  return lines.join('\n');
}

export function register(program: Command): void {
  program
    .command('coverage')
    .description('check which inputs (trails, data events, Bedrock logging, flow logs, node agents) are missing')
    .option('--region <region>', 'AWS region to check (default AWS_REGION)')
    .option(
      '--cluster <name...>',
      'EKS clusters whose VPC flow logs and node agents to check (default WARDEN_CLUSTERS)',
    )
    .option('--endpoint <url>', 'AWS endpoint override (emulators such as moto or LocalStack)')
    .option('--save', 'keep the trail selectors in the store: `warden reconcile` judges unused IAM access by them')
    .action(async function (this: Command) {
      const o = this.opts() as { region?: string; cluster?: string[]; endpoint?: string; save?: boolean };
      const region = regionOf(o.region);
      const clusterNames = o.cluster ?? (process.env.WARDEN_CLUSTERS ?? '').split(',').filter(Boolean);
      // Node-agent activity lives in the store; only opened when there are clusters to check.
      let store: Store | undefined;
      if (clusterNames.length > 0 || o.save) store = await openStore(globalOpts(this).store);
      try {
        const failures: { input: string; err: unknown }[] = [];
        const input = await readCoverageInput({
          region,
          clusterNames,
          store,
          clients: coverageClients({ region, ...(o.endpoint ? { endpoint: o.endpoint } : {}) }),
          onError: (name, err) => failures.push({ input: name, err }),
        });
        const report = checkCoverage(input);
        // Trails that could not be read are not saved: an empty list would read as "nothing is logged".
        if (o.save && store && !input.readErrors.some((e) => e.input === 'trails'))
          await saveTrailConfig(store, { region, readAt: input.now, trails: input.trails });
        emit(this, report, () => human(report));
        const first = failures[0];
        if (first) {
          const c = classifyError(first.err);
          const code = c.kind === 'internal' ? EXIT_CODES.environment : c.exitCode;
          const inputs = failures.map((f) => f.input).join(', ');
          throw new CliError(`could not read ${inputs}: ${c.message.replace(/^internal error: /, '')}`, code);
        }
      } finally {
        await store?.close();
      }
    });
}
