/**
 * The Lambdas' door into the ingest pipeline (lib/ingest): the same `ingestStream` the CLI uses, with the
 * function's configuration applied, every observation admitted against the scope of the principal that delivered
 * it (lib/ingest/admission, lib/core/trust), and stored data announced through the EventSink port.
 */
import { Readable } from 'node:stream';
import type { IngestScope } from '../../lib/core/trust/ingest-scope.ts';
import { type AdmissionStats, createAdmission } from '../../lib/ingest/admission.ts';
import { type IngestOptions, type IngestReport, ingestStream as pipelineIngest } from '../../lib/ingest/pipeline.ts';
import type { EventSink, Store } from '../../lib/ports.ts';

export type { IngestReport };

/** Detail type of the event that makes drift classification run on ingest (a rule on the Warden bus). */
export const INGESTED_DETAIL_TYPE = 'Warden Observations Ingested';

/** Who delivered the input and what it may report. */
export interface Delivery {
  /** Names the input in quarantine locations (S3 URI, request id ...). */
  name: string;
  principal: string;
  scopes: readonly IngestScope[];
  /** Observations the principal may still deliver (HTTPS callers' hourly quota); unlimited when absent. */
  quota?: number;
}

export interface DeliveryResult {
  report: IngestReport;
  admission: AdmissionStats;
}

/**
 * Announces stored observations so drift classification runs on ingest. Best effort: the data is already stored,
 * and the hourly schedule catches up on anything an announcement missed.
 */
async function announce(events: EventSink | undefined, name: string, report: IngestReport): Promise<void> {
  if (!events || report.stored === 0) return;
  try {
    await events.publish([
      {
        source: 'warden',
        detailType: INGESTED_DETAIL_TYPE,
        detail: { name, stored: report.stored, observations: report.observations },
        time: new Date().toISOString(),
      },
    ]);
  } catch (err) {
    console.warn(JSON.stringify({ message: 'could not announce the ingest', name, error: String(err) }));
  }
}

/** Ingests a byte stream (an S3 object body, a request body) delivered by `delivery.principal`. */
export async function ingestDelivery(
  ports: { store: Store; events?: EventSink },
  delivery: Delivery,
  stream: AsyncIterable<Uint8Array> | NodeJS.ReadableStream,
  opts: IngestOptions,
): Promise<DeliveryResult> {
  const s = Symbol.asyncIterator in stream ? (stream as AsyncIterable<Uint8Array>) : Readable.from(stream as never);
  const admission = createAdmission({
    principal: delivery.principal,
    scopes: delivery.scopes,
    ...(delivery.quota !== undefined ? { quota: delivery.quota } : {}),
  });
  const report = await pipelineIngest(
    ports.store,
    { name: delivery.name, stream: s },
    { source: 'auto', ...opts, defaultRegion: process.env.AWS_REGION, admit: admission.admit },
  );
  await announce(ports.events, delivery.name, report);
  return { report, admission: admission.stats() };
}

/** Ingests a text held in memory (an SQS message body, a log subscription event). */
export function ingestTextDelivery(
  ports: { store: Store; events?: EventSink },
  delivery: Delivery,
  text: string,
  opts: IngestOptions,
): Promise<DeliveryResult> {
  return ingestDelivery(ports, delivery, Readable.from([Buffer.from(text, 'utf8')]), opts);
}

/** Scope of CloudTrail LookupEvents pages: the caller's own account's management events, nothing else. */
export const LOOKUP_EVENTS_SCOPE: IngestScope = { principal: 'cloudtrail:LookupEvents', sources: ['cloudtrail'] };

/** Ingests one LookupEvents page (backfill). */
export async function ingestLookupEvents(
  store: Store,
  name: string,
  text: string,
  opts: IngestOptions,
): Promise<IngestReport> {
  const delivery = { name, principal: LOOKUP_EVENTS_SCOPE.principal, scopes: [LOOKUP_EVENTS_SCOPE] };
  return (await ingestTextDelivery({ store }, delivery, text, opts)).report;
}
