/**
 * Backfill: pages of CloudTrail management events from LookupEvents (the last 90 days CloudTrail keeps per region,
 * no trail needed), handed to the ingest pipeline as trail-file text, so backfilled events take exactly the path of
 * live ones. LookupEvents allows 2 requests per second per account and region: the SDK's retry with backoff absorbs
 * throttling, and one backfill runs at a time (the Lambda has reserved concurrency 1).
 *
 * Replays: a page is ingested under a name derived from its window and token, and the store is idempotent per
 * contribution, so re-running the same window stores nothing new as long as CloudTrail returns the same pages.
 */
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';

/** CloudTrail keeps management event history for 90 days. */
export const MAX_BACKFILL_DAYS = 90;
/** LookupEvents returns at most 50 events per call. */
export const PAGE_SIZE = 50;

export interface BackfillWindow {
  start: Date;
  end: Date;
}

/** The window of the last `days` days before `now`, clamped to 1..90 days. */
export function backfillWindow(now: Date, days: number): BackfillWindow {
  const d = Math.min(MAX_BACKFILL_DAYS, Math.max(1, Math.floor(days)));
  return { start: new Date(now.getTime() - d * 86_400_000), end: now };
}

export interface BackfillPage {
  /** CloudTrail records as JSON text (LookupEvents' `CloudTrailEvent`). */
  records: string[];
  /** Token of this page (undefined for the first). */
  token?: string;
  nextToken?: string;
}

/** Pages of LookupEvents for the window, starting at `nextToken` when resuming. */
export async function* lookupEventPages(
  client: CloudTrailClient,
  window: BackfillWindow,
  nextToken?: string,
): AsyncGenerator<BackfillPage> {
  let token = nextToken;
  do {
    const out = await client.send(
      new LookupEventsCommand({
        StartTime: window.start,
        EndTime: window.end,
        MaxResults: PAGE_SIZE,
        NextToken: token,
      }),
    );
    const records = (out.Events ?? []).map((e) => e.CloudTrailEvent).filter((s): s is string => typeof s === 'string');
    yield { records, token, nextToken: out.NextToken };
    token = out.NextToken;
  } while (token);
}

/** A page as a trail file, the format the pipeline reads from S3. */
export function pageAsTrailFile(records: string[]): string {
  return `{"Records":[${records.join(',')}]}`;
}

export interface BackfillReport {
  pages: number;
  events: number;
  /** Set when stopped before the end: pass it back to resume. */
  nextToken?: string;
  done: boolean;
}

export interface RunBackfillOptions {
  client: CloudTrailClient;
  window: BackfillWindow;
  nextToken?: string;
  /** Ingests one page; `name` identifies it (for quarantine locations). */
  ingest: (name: string, text: string) => Promise<unknown>;
  /** Asked before each page; true stops with a resume token (e.g. the Lambda is running out of time). */
  shouldStop?: () => boolean;
}

export async function runBackfill(opts: RunBackfillOptions): Promise<BackfillReport> {
  const report: BackfillReport = { pages: 0, events: 0, done: false };
  const span = `${opts.window.start.toISOString()}/${opts.window.end.toISOString()}`;
  let resume = opts.nextToken;
  for await (const page of lookupEventPages(opts.client, opts.window, opts.nextToken)) {
    if (page.records.length > 0) {
      await opts.ingest(`cloudtrail-lookup:${span}#${report.pages}`, pageAsTrailFile(page.records));
    }
    report.pages++;
    report.events += page.records.length;
    resume = page.nextToken;
    if (resume && opts.shouldStop?.()) {
      report.nextToken = resume;
      return report;
    }
  }
  report.done = true;
  return report;
}

export { CloudTrailClient };
