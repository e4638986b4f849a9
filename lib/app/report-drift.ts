/**
 * Drift -> audit chain -> event, as one use case: what `warden drift` and the drift Lambda both call, with the same
 * ports. Classifies the period (lib/app/drift runDrift: stores the drift docs), chains the audit entry of every risky
 * item's triggering input right away (so it exists before anyone asks, and months later), then publishes each item
 * as "Warden Drift Detected" through the EventSink with the anchored chain head (seq and hash) in its detail: every
 * event consumer holds a copy of the head, outside the table, to check a later `audit verify` against.
 *
 * @example
 *   const r = await reportDrift({ store, events: new EventLogSink() }, { sinceMs: 30 * 86_400_000 });
 */
import { inputOfAuditId } from '../core/audit/ids.ts';
import type { ChainHead } from '../core/audit/types.ts';
import type { DriftObject } from '../core/drift/types.ts';
import type { EventSink, Store, WardenEvent } from '../ports.ts';
import { AuditIntegrityError, auditHead, auditInput } from './audit/service.ts';
import { type IncrementalOptions, type IncrementalRun, runDriftIncremental } from './drift/incremental.ts';
import { type DriftRun, type DriftRunOptions, driftEvent, runDrift } from './drift/service.ts';

export interface DriftPorts {
  store: Store;
  /** Where drift events go (EventBridge in AWS, the local event log in the CLI); none: not published. */
  events?: EventSink;
}

export type ReportDriftOptions = Omit<DriftRunOptions, 'sink'>;

/** The audit entry a risky item's input was chained as, or why it could not be. */
export interface ChainedInput {
  driftId: string;
  auditId: string;
  seq?: number;
  /** True when this run built the entry. */
  created?: boolean;
  /** No observation in the search window mentions the input: nothing to chain. */
  notFound?: boolean;
  error?: string;
}

/** A drift object as the event carries it: the audit chain head as anchored when the event was published. */
export type DriftEventDetail = DriftObject & { auditHead?: ChainHead };

export interface DriftReport extends DriftRun {
  chained: ChainedInput[];
  /** The anchored head after chaining (undefined: the chain is empty). */
  auditHead?: ChainHead;
}

/** The event of one drift object, carrying the chain head. */
export function driftEventWithHead(d: DriftObject, head: ChainHead | undefined): WardenEvent<DriftEventDetail> {
  const e = driftEvent(d);
  return { ...e, detail: head ? { ...d, auditHead: head } : d };
}

/** Classifies drift, chains the risky items' audit entries, publishes the events with the chain head. */
export async function reportDrift(ports: DriftPorts, opts: ReportDriftOptions = {}): Promise<DriftReport> {
  const run = await runDrift(ports.store, opts);
  const { chained, head, published } = await chainAndPublish(ports, run.items, run.to);
  return { ...run, published, chained, ...(head ? { auditHead: head } : {}) };
}

export interface IncrementalDriftReport extends IncrementalRun {
  chained: ChainedInput[];
  auditHead?: ChainHead;
  published: number;
}

/**
 * The same use case on the subjects with new data only (lib/app/drift/incremental.ts): what the drift Lambda runs
 * every `warden:driftMinutes` (or, with 0, on every ingest and hourly). Only items new or changed by the new data are
 * chained and published.
 */
export async function reportDriftIncremental(
  ports: DriftPorts,
  opts: IncrementalOptions = {},
): Promise<IncrementalDriftReport> {
  const run = await runDriftIncremental(ports.store, opts);
  // A rerun that changes nothing (most runs between the hours) publishes nothing: no audit head to read for its events.
  if (run.items.length === 0) return { ...run, published: 0, chained: [] };
  // The run indexed what it judged: its inputs are found through the key index, never by scanning every subject.
  const { chained, head, published } = await chainAndPublish(ports, run.items, run.to, false);
  return { ...run, published, chained, ...(head ? { auditHead: head } : {}) };
}

/** Chains the risky items' inputs, then publishes every item with the anchored chain head. */
async function chainAndPublish(
  ports: DriftPorts,
  items: DriftObject[],
  to: string,
  scan = true,
): Promise<{ chained: ChainedInput[]; head: ChainHead | undefined; published: number }> {
  const chained: ChainedInput[] = [];
  for (const d of items) {
    if (d.classification !== 'risky' || !d.auditId) continue;
    const input = inputOfAuditId(d.auditId);
    if (!input) continue;
    try {
      // The evidence search ends where the drift period ends (the default 90 days back from there).
      const r = await auditInput(ports.store, input, { now: to, scan });
      chained.push(
        r.record
          ? { driftId: d.id, auditId: d.auditId, seq: r.record.seq, created: r.created }
          : { driftId: d.id, auditId: d.auditId, notFound: true },
      );
    } catch (err) {
      // A chain changed outside Warden refuses appends; the drift still goes out, saying why it is not chained.
      if (!(err instanceof AuditIntegrityError)) throw err;
      chained.push({ driftId: d.id, auditId: d.auditId, error: err.message });
    }
  }
  const head = await auditHead(ports.store);
  let published = 0;
  if (ports.events && items.length > 0) {
    await ports.events.publish(items.map((d) => driftEventWithHead(d, head)));
    published = items.length;
  }
  return { chained, head, published };
}
