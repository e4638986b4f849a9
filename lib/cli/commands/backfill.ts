/**
 * `warden backfill [--days N] [--region R] [--endpoint URL] [--json]`: pulls up to 90 days of CloudTrail management
 * events (LookupEvents) into the store through the ingest pipeline, the CLI twin of the Backfill Lambda.
 */
import { Readable } from 'node:stream';
import type { Command } from 'commander';
import {
  backfillWindow,
  CloudTrailClient,
  MAX_BACKFILL_DAYS,
  runBackfill,
} from '../../adapters/cloudtrail-backfill.ts';
import { openStore } from '../../adapters/open-store.ts';
import { ingestStream } from '../../app/ingest/pipeline.ts';
import { CliError, emit, globalOpts } from '../output.ts';
import { regionOf } from './coverage.ts';

export function register(program: Command): void {
  program
    .command('backfill')
    .description(`ingest up to ${MAX_BACKFILL_DAYS} days of CloudTrail management events (LookupEvents)`)
    .option('--days <n>', `days to pull, 1-${MAX_BACKFILL_DAYS}`, String(MAX_BACKFILL_DAYS))
    .option('--region <region>', 'AWS region (default AWS_REGION)')
    .option('--endpoint <url>', 'AWS endpoint override (emulators)')
    .action(async function (this: Command) {
      const o = this.opts() as { days: string; region?: string; endpoint?: string };
      const days = Number(o.days);
      if (!Number.isInteger(days) || days < 1 || days > MAX_BACKFILL_DAYS) {
        throw new CliError(`--days must be an integer from 1 to ${MAX_BACKFILL_DAYS}`);
      }
      const region = regionOf(o.region);
      const client = new CloudTrailClient({ region, ...(o.endpoint ? { endpoint: o.endpoint } : {}) });
      const store = await openStore(globalOpts(this).store);
      try {
        let observations = 0;
        let stored = 0;
        const report = await runBackfill({
          client,
          window: backfillWindow(new Date(), days),
          ingest: async (name, text) => {
            const r = await ingestStream(
              store,
              { name, stream: Readable.from([Buffer.from(text, 'utf8')]) },
              { source: 'cloudtrail' },
            );
            observations += r.observations;
            stored += r.stored;
          },
        });
        const out = { ...report, observations, stored, store: store.description };
        emit(
          this,
          out,
          () =>
            `backfilled ${report.events} events in ${report.pages} pages: ${observations} observations, ${stored} stored`,
        );
      } finally {
        await store.close();
      }
    });
}
