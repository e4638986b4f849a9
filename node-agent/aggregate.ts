/**
 * Aggregates loader records per subject and window into one node-agent batch (lib/core/sources/node-agent.ts).
 * Each distinct behavior (exec path, opened path, destination, DNS name, MCP server) of a subject appears once per
 * window with a count; syscall counts are summed; loader drop counters (cumulative) become per-window deltas.
 */
import {
  type Attribution,
  NODE_AGENT_SCHEMA,
  type NodeAgentBatch,
  type NodeAgentRecordInput,
  subjectOf,
} from '../lib/core/sources/node-agent.ts';
import type { DropsRecord, LoaderRecord } from './loader-protocol.ts';
import { aggregateTraced, isTraced } from './tracers/index.ts';
import type { WindowContext } from './tracers/tracer.ts';

export interface AggregatorOptions {
  node: string;
  cluster?: string;
  version: string;
  /** Redact secrets in argv before shipping (default true). */
  redactArgv?: boolean;
  /** Upper bound on distinct records per window; beyond it records are dropped and counted (`aggregate_full`). */
  maxRecords?: number;
}

type Entry = { rec: NodeAgentRecordInput & { count?: number } };

/** One window's aggregation. Not thread-safe; the agent owns one and flushes it every window. */
export class WindowAggregator {
  #records = new Map<string, Entry>();
  #syscalls = new Map<string, { attribution: Attribution; time: string; counts: Record<string, number> }>();
  #extra: NodeAgentRecordInput[] = [];
  #drops: Record<string, number> = {};
  /** Last cumulative value per loader drop reason, to turn cumulative counters into deltas. */
  #lastLoaderDrops: Record<string, number> = {};
  #events = 0;

  constructor(readonly opts: AggregatorOptions) {}

  /** Number of loader events folded in since the last flush. */
  get events(): number {
    return this.#events;
  }

  drop(reason: string, n = 1): void {
    if (n > 0) this.#drops[reason] = (this.#drops[reason] ?? 0) + n;
  }

  #upsert(key: string, make: () => NodeAgentRecordInput, n = 1): void {
    const e = this.#records.get(key);
    if (e) {
      e.rec.count = (e.rec.count ?? 1) + n;
      return;
    }
    if (this.#records.size >= (this.opts.maxRecords ?? 50_000)) {
      this.drop('aggregate_full', n);
      return;
    }
    const rec = make() as NodeAgentRecordInput & { count?: number };
    rec.count = n;
    this.#records.set(key, { rec });
  }

  /**
   * Adds one loader record attributed to `attribution` through its tracer (./tracers/). Records without behavior
   * (ready, ack ...) are ignored. `seccompProfile` names the profile the record's container runs under, when known.
   */
  add(r: LoaderRecord, attribution: Attribution, seccompProfile?: string): void {
    if (!isTraced(r)) return;
    const context: WindowContext = {
      subject: subjectOf(attribution, this.opts.cluster),
      attribution,
      time: () => new Date(r.ts).toISOString(),
      redactArgv: this.opts.redactArgv !== false,
      seccompProfile,
      upsert: (key, make, n) => this.#upsert(key, make, n),
      drop: (reason, n) => this.drop(reason, n),
      addSyscalls: (counts) => {
        const s = this.#syscalls.get(context.subject) ?? { attribution, time: context.time(), counts: {} };
        for (const [name, n] of Object.entries(counts)) s.counts[name] = (s.counts[name] ?? 0) + n;
        this.#syscalls.set(context.subject, s);
      },
    };
    if (aggregateTraced(r, context)) this.#events++;
  }

  /** Folds a cumulative `drops` record from the loader into this window as deltas. */
  loaderDrops(r: DropsRecord): void {
    for (const [reason, total] of Object.entries(r.counts)) {
      const prev = this.#lastLoaderDrops[reason] ?? 0;
      // A counter lower than before means the loader restarted: the new value is all new.
      this.drop(reason, total >= prev ? total - prev : total);
      this.#lastLoaderDrops[reason] = total;
    }
  }

  /** The loader restarted: its cumulative counters start again at zero. */
  loaderRestarted(): void {
    this.#lastLoaderDrops = {};
  }

  /** Adds a ready-made record (pod IP lease, container start). */
  addRecord(rec: NodeAgentRecordInput): void {
    this.#extra.push(rec);
  }

  /** Builds the batch for [start, end) and resets the window (drop baselines are kept). */
  flush(start: string, end: string): NodeAgentBatch {
    const records: NodeAgentRecordInput[] = [...this.#extra, ...[...this.#records.values()].map((e) => e.rec)];
    for (const s of this.#syscalls.values()) {
      if (Object.keys(s.counts).length)
        records.push({ type: 'syscalls', time: s.time, counts: s.counts, attribution: s.attribution });
    }
    const batch: NodeAgentBatch = {
      schema: NODE_AGENT_SCHEMA,
      agent: {
        node: this.opts.node,
        ...(this.opts.cluster ? { cluster: this.opts.cluster } : {}),
        version: this.opts.version,
      },
      window: { start, end },
      drops: this.#drops,
      records,
    };
    this.#records = new Map();
    this.#syscalls = new Map();
    this.#extra = [];
    this.#drops = {};
    this.#events = 0;
    return batch;
  }
}
