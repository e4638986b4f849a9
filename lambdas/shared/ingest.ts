/**
 * The Lambdas' door into the ingest pipeline (lib/app/ingest): the same `ingestStream` the CLI uses, with the
 * function's configuration applied, every observation admitted against the scope of the principal that delivered
 * it (lib/app/ingest/admission, lib/core/trust), and stored data announced through the EventSink port when the
 * function has the Warden bus (drift on ingest, `warden:driftMinutes` 0; on a drift schedule it has none).
 */
import { Readable } from 'node:stream';
import { type AdmissionStats, createAdmission } from '../../lib/app/ingest/admission.ts';
import {
  type IngestOptions,
  type IngestReport,
  ingestStreams as pipelineIngest,
} from '../../lib/app/ingest/pipeline.ts';
import type { IngestScope } from '../../lib/core/trust/ingest-scope.ts';
import type { EventSink, Store } from '../../lib/ports.ts';

export type { IngestReport };

/** Detail type of the event that makes drift run on ingest (a rule on the Warden bus; `warden:driftMinutes` 0). */
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
 * Announces stored observations so drift classification runs on ingest; nothing without the bus (a drift schedule
 * finds the stored data by its dirty marks). Best effort: the data is already stored, and the hourly schedule
 * catches up on anything an announcement missed.
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
  const r = await ingestDeliveries(ports, [{ ...delivery, stream }], opts, delivery.name);
  return { report: r.report, admission: r.admission.get(delivery.name) as AdmissionStats };
}

/**
 * Ingests several deliveries in one pipeline run: their observations share store writes (one write per aggregate,
 * evidence chunk and registry item for all of them instead of one per delivery), while each stays its own input, cut
 * into its own idempotency units, and is admitted against its own principal's scopes. `name` names the run in the
 * announcement. All are stored or, when the run throws, none is known to be (each is then retried on its own terms).
 */
export async function ingestDeliveries(
  ports: { store: Store; events?: EventSink },
  deliveries: readonly (Delivery & { stream: AsyncIterable<Uint8Array> | NodeJS.ReadableStream })[],
  opts: IngestOptions,
  name: string,
): Promise<{ report: IngestReport; admission: Map<string, AdmissionStats> }> {
  const admissions = new Map(
    deliveries.map((d) => [
      d.name,
      createAdmission({
        principal: d.principal,
        scopes: d.scopes,
        ...(d.quota !== undefined ? { quota: d.quota } : {}),
      }),
    ]),
  );
  const report = await pipelineIngest(
    ports.store,
    deliveries.map((d) => ({
      name: d.name,
      stream:
        Symbol.asyncIterator in d.stream ? (d.stream as AsyncIterable<Uint8Array>) : Readable.from(d.stream as never),
    })),
    {
      source: 'auto',
      ...opts,
      defaultRegion: process.env.AWS_REGION,
      // Every input has its admission; an observation of an unknown input is refused by an empty scope list.
      admit: (o, input) => (admissions.get(input) ?? createAdmission({ principal: input, scopes: [] })).admit(o),
    },
  );
  await announce(ports.events, name, report);
  return { report, admission: new Map([...admissions].map(([k, a]) => [k, a.stats()])) };
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
