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
  /**
   * Behaviors remembered as already shipped, to tell a new one (`novel`); default 100,000, the least recently
   * shipped forgotten first (a forgotten behavior seen again only ships its window early once more).
   */
  maxKnown?: number;
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
  /** Behavior keys of earlier windows (insertion order = last shipped), for novelty. */
  #known = new Set<string>();
  /** Distinct behaviors in this window that no earlier window shipped. */
  #novel = 0;
  /** Identity news in this window (a pod IP lease opened or closed, a container started). */
  #identity = false;

  constructor(readonly opts: AggregatorOptions) {}

  /** Number of loader events folded in since the last flush. */
  get events(): number {
    return this.#events;
  }

  /**
   * Whether this window holds something drift or attribution needs soon: a behavior no earlier window shipped, or an
   * identity change (lease, container start). The agent ships such a window early instead of at its full length.
   */
  get urgent(): boolean {
    return this.#novel > 0 || this.#identity;
  }

  /** Distinct behaviors in this window that no earlier window shipped. */
  get novel(): number {
    return this.#novel;
  }

  #see(key: string): void {
    if (!this.#known.has(key)) this.#novel++;
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
    this.#see(key);
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
      event: (key, attrs, kind = r.type) =>
        this.#upsert(`${context.subject}\u0000${kind}\u0000${key}`, () => ({
          type: 'kernel-event',
          kind,
          key,
          time: context.time(),
          attribution,
          ...(attrs ? { attrs } : {}),
        })),
      drop: (reason, n) => this.drop(reason, n),
      addSyscalls: (counts) => {
        const s = this.#syscalls.get(context.subject) ?? { attribution, time: context.time(), counts: {} };
        for (const [name, n] of Object.entries(counts)) {
          if (s.counts[name] === undefined) this.#see(syscallKey(context.subject, name));
          s.counts[name] = (s.counts[name] ?? 0) + n;
        }
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

  /**
   * Adds a ready-made record (pod IP lease, container start); `news` marks it as identity news that should not wait
   * for the window's end (a lease that opened or closed, a container start), as opposed to a re-statement (the open
   * leases every window repeats).
   */
  addRecord(rec: NodeAgentRecordInput, news = false): void {
    this.#extra.push(rec);
    if (news) this.#identity = true;
  }

  /** Marks identity news in this window whose record is added later (a lease opened: the batch re-states it). */
  noteIdentity(): void {
    this.#identity = true;
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
    this.#remember([
      ...this.#records.keys(),
      ...[...this.#syscalls].flatMap(([subject, s]) => Object.keys(s.counts).map((n) => syscallKey(subject, n))),
    ]);
    this.#records = new Map();
    this.#syscalls = new Map();
    this.#extra = [];
    this.#drops = {};
    this.#events = 0;
    this.#novel = 0;
    this.#identity = false;
    return batch;
  }

  /** Marks shipped behavior keys as known (most recent last), forgetting the oldest beyond `maxKnown`. */
  #remember(keys: readonly string[]): void {
    for (const k of keys) {
      this.#known.delete(k);
      this.#known.add(k);
    }
    const max = this.opts.maxKnown ?? 100_000;
    for (const k of this.#known) {
      if (this.#known.size <= max) break;
      this.#known.delete(k);
    }
  }
}

/** The novelty key of one syscall name of one subject (records keep syscalls as one counts map per subject). */
const syscallKey = (subject: string, name: string) => `${subject}\u0000syscall\u0000${name}`;
