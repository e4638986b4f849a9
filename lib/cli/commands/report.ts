/** `warden report --out DIR [--at TIME] [--title T] [--json]`: the static HTML report of everything in the store. */
import type { Command } from 'commander';
import { loadIamCatalog } from '../../adapters/iam-scope.ts';
import { buildReport } from '../../app/report/build.ts';
import { hint } from '../hints.ts';
import { emit, globalOpts } from '../output.ts';
import { parseTime, withStore } from '../with-store.ts';

export function register(program: Command): void {
  program
    .command('report')
    .description('write a self-contained HTML report (index.html) of every agent in the store')
    .requiredOption('--out <dir>', 'directory to write index.html into')
    .option('--at <time>', 'report time: end of the windows shown (ISO-8601; default now)')
    .option('--title <text>', 'page title', 'Warden report')
    .action(async function (this: Command) {
      const opts = this.opts<{ out: string; at?: string; title: string }>();
      const now = parseTime(opts.at, '--at');
      const { store: spec } = globalOpts(this);
      // The page's hints are command lines as this user runs Warden, with the same --store.
      const command = (args: string[]) => hint(args, spec ? { store: spec } : {});
      const r = await withStore(spec, (store) =>
        buildReport(store, { now, outDir: opts.out, title: opts.title, command, loadCatalog: loadIamCatalog }),
      );
      emit(this, r, () =>
        [
          `wrote ${r.indexPath}`,
          `${r.sections.length} sections (${r.withData.length} with data), ${r.charts} charts`,
        ].join('\n'),
      );
    });
}
