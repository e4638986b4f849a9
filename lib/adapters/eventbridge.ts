/**
 * EventSink over Amazon EventBridge: publishes Warden events ("Warden Drift Detected" ...) to the Warden bus.
 * PutEvents takes at most 10 entries and 256 KiB per call; entries are sent in chunks that respect both, and any
 * entry EventBridge refuses fails the publish with the refused entries named (a lost drift alert is not an expected
 * outcome).
 */
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { EventSink, WardenEvent } from '../ports.ts';

export const MAX_ENTRIES_PER_CALL = 10;
/** EventBridge's limit per PutEvents request, counted as AWS does (source + detail-type + detail + resources). */
export const MAX_REQUEST_BYTES = 256 * 1024;

export class EventPublishError extends Error {
  constructor(
    message: string,
    readonly failed: { detailType: string; errorCode?: string; errorMessage?: string }[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EventPublishError';
  }
}

export interface EventBridgeSinkOptions {
  /** Bus name or ARN. */
  busName: string;
  client?: EventBridgeClient;
}

/** Size of an entry as EventBridge counts it. */
export function entrySize(e: PutEventsRequestEntry): number {
  let n = 14; // the timestamp
  for (const s of [e.Source, e.DetailType, e.Detail, ...(e.Resources ?? [])]) if (s) n += Buffer.byteLength(s, 'utf8');
  return n;
}

/** Groups entries into PutEvents calls of at most 10 entries and 256 KiB. */
export function chunkEntries(entries: PutEventsRequestEntry[]): PutEventsRequestEntry[][] {
  const chunks: PutEventsRequestEntry[][] = [];
  let cur: PutEventsRequestEntry[] = [];
  let bytes = 0;
  for (const e of entries) {
    const size = entrySize(e);
    if (size > MAX_REQUEST_BYTES) {
      throw new EventPublishError(`event ${e.DetailType} is ${size} bytes, over the 256 KiB EventBridge limit`, [
        { detailType: e.DetailType ?? '' },
      ]);
    }
    if (cur.length === MAX_ENTRIES_PER_CALL || bytes + size > MAX_REQUEST_BYTES) {
      chunks.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(e);
    bytes += size;
  }
  if (cur.length > 0) chunks.push(cur);
  return chunks;
}

export class EventBridgeSink implements EventSink {
  private readonly client: EventBridgeClient;

  constructor(private readonly opts: EventBridgeSinkOptions) {
    this.client = opts.client ?? new EventBridgeClient({});
  }

  async publish(events: WardenEvent[]): Promise<void> {
    const entries: PutEventsRequestEntry[] = events.map((e) => ({
      EventBusName: this.opts.busName,
      Source: e.source,
      DetailType: e.detailType,
      Detail: JSON.stringify(e.detail),
      Time: new Date(e.time),
    }));
    for (const chunk of chunkEntries(entries)) {
      const out = await this.client.send(new PutEventsCommand({ Entries: chunk }));
      if ((out.FailedEntryCount ?? 0) > 0) {
        const failed = (out.Entries ?? [])
          .map((r, i) => ({ r, e: chunk[i]! }))
          .filter(({ r }) => r.ErrorCode)
          .map(({ r, e }) => ({
            detailType: e.DetailType ?? '',
            errorCode: r.ErrorCode,
            errorMessage: r.ErrorMessage,
          }));
        throw new EventPublishError(
          `EventBridge refused ${failed.length} of ${chunk.length} events: ${failed[0]?.errorCode ?? 'unknown'}`,
          failed,
        );
      }
    }
  }
}
