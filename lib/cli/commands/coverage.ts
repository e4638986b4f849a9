/**
 * `warden coverage [--region R] [--cluster NAME ...] [--endpoint URL] [--json]`: which of Warden's inputs exist in
 * the account and what each gap hides. Gaps are findings, not failures: the exit code is 0 unless the check itself
 * could not run.
 */
import type { Command } from 'commander';
import { coverageClients, readCoverageInput } from '../../adapters/coverage-readers.ts';
import { openStore } from '../../adapters/open-store.ts';
import { type CoverageReport, checkCoverage } from '../../core/coverage/index.ts';
import type { Store } from '../../ports.ts';
import { CliError, emit, globalOpts } from '../output.ts';

export function regionOf(opt?: string): string {
  const region = opt ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) throw new CliError('no region: pass --region or set AWS_REGION');
  return region;
}

function human(r: CoverageReport): string {
  const lines = [`coverage in ${r.region} at ${r.time}: ${r.checks.length - r.gaps.length} ok, ${r.gaps.length} gaps`];
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
    .action(async function (this: Command) {
      const o = this.opts() as { region?: string; cluster?: string[]; endpoint?: string };
      const region = regionOf(o.region);
      const clusterNames = o.cluster ?? (process.env.WARDEN_CLUSTERS ?? '').split(',').filter(Boolean);
      // Node-agent activity lives in the store; only opened when there are clusters to check.
      let store: Store | undefined;
      if (clusterNames.length > 0) store = await openStore(globalOpts(this).store);
      try {
        const input = await readCoverageInput({
          region,
          clusterNames,
          store,
          clients: coverageClients({ region, ...(o.endpoint ? { endpoint: o.endpoint } : {}) }),
        });
        const report = checkCoverage(input);
        emit(this, report, () => human(report));
      } finally {
        await store?.close();
      }
    });
}
