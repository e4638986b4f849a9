/**
 * The Lambdas' door into the ingest pipeline (lib/ingest): the same `ingestStream` the CLI uses, with the
 * function's configuration applied.
 */
import { Readable } from 'node:stream';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { recordCalls } from '../../lib/adapters/aws-calls.ts';
import { type IngestOptions, type IngestReport, ingestStream as pipelineIngest } from '../../lib/ingest/pipeline.ts';
import type { Store } from '../../lib/ports.ts';

export type { IngestReport };

/** Detail type of the event that makes drift classification run on ingest (a rule on the Warden bus). */
export const INGESTED_DETAIL_TYPE = 'Warden Observations Ingested';

const events = recordCalls(new EventBridgeClient({}));

/**
 * Announces stored observations on the Warden bus so drift classification runs on ingest. Best effort: the data is
 * already stored, and the hourly schedule catches up on anything an announcement missed.
 */
async function announce(name: string, report: IngestReport): Promise<void> {
  const bus = process.env.WARDEN_BUS_NAME;
  if (!bus || report.stored === 0) return;
  try {
    await events.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: bus,
            Source: 'warden',
            DetailType: INGESTED_DETAIL_TYPE,
            Detail: JSON.stringify({ name, stored: report.stored, observations: report.observations }),
          },
        ],
      }),
    );
  } catch (err) {
    console.warn(JSON.stringify({ message: 'could not announce the ingest', name, error: String(err) }));
  }
}

/** Ingests a byte stream (an S3 object body, a request body) named for quarantine locations. */
export function ingestStream(
  store: Store,
  name: string,
  stream: AsyncIterable<Uint8Array> | NodeJS.ReadableStream,
  opts: IngestOptions,
): Promise<IngestReport> {
  const s = Symbol.asyncIterator in stream ? (stream as AsyncIterable<Uint8Array>) : Readable.from(stream as never);
  return pipelineIngest(
    store,
    { name, stream: s },
    { source: 'auto', ...opts, defaultRegion: process.env.AWS_REGION },
  ).then(async (report) => {
    await announce(name, report);
    return report;
  });
}

/** Ingests a text held in memory (an SQS message body, a LookupEvents page). */
export function ingestText(store: Store, name: string, text: string, opts: IngestOptions): Promise<IngestReport> {
  return ingestStream(store, name, Readable.from([Buffer.from(text, 'utf8')]), opts);
}
