/**
 * The Lambdas' door into the ingest pipeline (lib/ingest): the same `ingestStream` the CLI uses, with the
 * function's configuration applied.
 */
import { Readable } from 'node:stream';
import { type IngestOptions, type IngestReport, ingestStream as pipelineIngest } from '../../lib/ingest/pipeline.ts';
import type { Store } from '../../lib/ports.ts';

export type { IngestReport };

/** Ingests a byte stream (an S3 object body, a request body) named for quarantine locations. */
export function ingestStream(
  store: Store,
  name: string,
  stream: AsyncIterable<Uint8Array> | NodeJS.ReadableStream,
  opts: IngestOptions,
): Promise<IngestReport> {
  const s = Symbol.asyncIterator in stream ? (stream as AsyncIterable<Uint8Array>) : Readable.from(stream as never);
  return pipelineIngest(store, { name, stream: s }, { source: 'auto', ...opts, defaultRegion: process.env.AWS_REGION });
}

/** Ingests a text held in memory (an SQS message body, a LookupEvents page). */
export function ingestText(store: Store, name: string, text: string, opts: IngestOptions): Promise<IngestReport> {
  return ingestStream(store, name, Readable.from([Buffer.from(text, 'utf8')]), opts);
}
