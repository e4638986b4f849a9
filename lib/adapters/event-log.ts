/**
 * A local EventSink: appends each event as one NDJSON line, shaped as EventBridge delivers it to targets
 * (`source`, `detail-type`, `time`, `detail`), under `.warden/events.ndjson` by default, and optionally echoes it to
 * stdout. The EventBridge sink for AWS is lib/adapters/eventbridge.ts.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { EventSink, WardenEvent } from '../ports.ts';

export const DEFAULT_EVENT_LOG = join('.warden', 'events.ndjson');

export interface EventLogOptions {
  path?: string;
  /** Also write each line to this stream (stdout in the demo). */
  echo?: NodeJS.WritableStream;
}

/** The event as an EventBridge target receives it. */
export function toEventBridgeShape(e: WardenEvent): Record<string, unknown> {
  return { version: '0', source: e.source, 'detail-type': e.detailType, time: e.time, detail: e.detail };
}

export class EventLogSink implements EventSink {
  readonly path: string;
  constructor(private readonly opts: EventLogOptions = {}) {
    this.path = opts.path ?? DEFAULT_EVENT_LOG;
  }
  async publish(events: WardenEvent[]): Promise<void> {
    if (events.length === 0) return;
    const text = events.map((e) => `${JSON.stringify(toEventBridgeShape(e))}\n`).join('');
    await mkdir(dirname(this.path), { recursive: true });
    await appendFile(this.path, text);
    this.opts.echo?.write(text);
  }
}
