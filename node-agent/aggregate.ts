/**
 * Aggregates loader records per subject and window into node-agent batches (lib/core/sources/node-agent.ts). Each
 * subject's window closes on its own (./ship-clock.ts); a batch carries the subjects that close at one tick. Each
 * distinct behavior (exec path, opened path, destination, DNS name, MCP server) of a subject appears once per
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

type Entry = { subject: string; rec: NodeAgentRecordInput & { count?: number } };
type Syscalls = { attribution: Attribution; time: string; counts: Record<string, number> };

/** The subject a ready-made record belongs to: a lease is its Deployment's (or pod's), as the receiver maps it. */
export function recordSubject(rec: NodeAgentRecordInput, cluster: string | undefined): string {
  if (rec.type === 'lease')
    return subjectOf(
      { namespace: rec.namespace, pod: rec.pod, ...(rec.deployment ? { deployment: rec.deployment } : {}) },
      cluster,
    );
  return subjectOf('attribution' in rec && rec.attribution ? rec.attribution : {}, cluster);
}

/**
 * One node's open windows, kept per subject (./ship-clock.ts closes them one subject at a time). Not thread-safe; the
 * agent owns one and flushes the subjects its clock closes.
 */
export class WindowAggregator {
  /** Every subject's records, in the order first seen (a batch lists them in that order). */
  #records = new Map<string, Entry>();
  #syscalls = new Map<string, Syscalls>();
  #extra: Entry[] = [];
  /** Drop counters are the node's: they ship with the node's own subject (`nodeSubject`). */
  #drops: Record<string, number> = {};
  /** Last cumulative value per loader drop reason, to turn cumulative counters into deltas. */
  #lastLoaderDrops: Record<string, number> = {};
  #events = 0;
  /** Behavior keys of earlier windows (insertion order = last shipped), for novelty. */
  #known = new Set<string>();
  /** Per subject: distinct behaviors in its window that no earlier window shipped, and identity news. */
  #news = new Map<string, { novel: number; identity: boolean }>();
  /** The subject drop counters are shipped under (the receiver names it from the batch's node). */
  readonly nodeSubject: string;

  constructor(readonly opts: AggregatorOptions) {
    this.nodeSubject = `unattributed:node:${opts.cluster ? `${opts.cluster}/` : ''}${opts.node}`;
  }

  /** Number of loader events folded in since the last flush. */
  get events(): number {
    return this.#events;
  }

  /**
   * Whether some subject's window holds something drift or attribution needs soon: a behavior no earlier window
   * shipped, or an identity change (lease, container start). The agent ships such a subject early.
   */
  get urgent(): boolean {
    return this.urgentSubjects().size > 0;
  }

  /** The subjects whose windows hold news. */
  urgentSubjects(): Set<string> {
    return new Set([...this.#news].filter(([, n]) => n.novel > 0 || n.identity).map(([s]) => s));
  }

  /** Distinct behaviors in the open windows that no earlier window shipped. */
  get novel(): number {
    let n = 0;
    for (const v of this.#news.values()) n += v.novel;
    return n;
  }

  /** The subjects whose windows hold anything to ship (records, news, or the node's drop counters). */
  openSubjects(): Set<string> {
    const open = new Set<string>([...this.#news.keys(), ...this.#syscalls.keys()]);
    for (const e of this.#records.values()) open.add(e.subject);
    for (const e of this.#extra) open.add(e.subject);
    if (Object.keys(this.#drops).length) open.add(this.nodeSubject);
    return open;
  }

  #newsOf(subject: string): { novel: number; identity: boolean } {
    const n = this.#news.get(subject) ?? { novel: 0, identity: false };
    this.#news.set(subject, n);
    return n;
  }

  #see(subject: string, key: string): void {
    if (!this.#known.has(key)) this.#newsOf(subject).novel++;
  }

  drop(reason: string, n = 1): void {
    if (n > 0) this.#drops[reason] = (this.#drops[reason] ?? 0) + n;
  }

  #upsert(subject: string, key: string, make: () => NodeAgentRecordInput, n = 1): void {
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
    this.#records.set(key, { subject, rec });
    this.#see(subject, key);
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
      upsert: (key, make, n) => this.#upsert(context.subject, key, make, n),
      event: (key, attrs, kind = r.type) =>
        this.#upsert(context.subject, `${context.subject}\u0000${kind}\u0000${key}`, () => ({
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
          if (s.counts[name] === undefined) this.#see(context.subject, syscallKey(context.subject, name));
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
   * Adds a ready-made record (pod IP lease, container start) to its subject's window; `news` marks it as identity
   * news that should not wait for the window's end (a lease that opened or closed, a container start), as opposed to
   * a re-statement (the open leases every batch of their subject repeats).
   */
  addRecord(rec: NodeAgentRecordInput, news = false): void {
    const subject = recordSubject(rec, this.opts.cluster);
    this.#extra.push({ subject, rec });
    if (news) this.#newsOf(subject).identity = true;
  }

  /** Marks identity news of `subject` whose record is added when it ships (a lease opened: the batch re-states it). */
  noteIdentity(subject: string): void {
    this.#newsOf(subject).identity = true;
  }

  /**
   * Builds the batch for [start, end) of the windows of `subjects` (default: all) and resets those windows; the
   * others stay open. Drop counters ship with `nodeSubject`; drop baselines are kept.
   */
  flush(start: string, end: string, subjects?: ReadonlySet<string>): NodeAgentBatch {
    const ships = (s: string) => !subjects || subjects.has(s);
    const records: NodeAgentRecordInput[] = [];
    const shippedKeys: string[] = [];
    for (const e of this.#extra) if (ships(e.subject)) records.push(e.rec);
    this.#extra = this.#extra.filter((e) => !ships(e.subject));
    for (const [key, e] of this.#records) {
      if (!ships(e.subject)) continue;
      records.push(e.rec);
      shippedKeys.push(key);
      this.#records.delete(key);
    }
    for (const [subject, s] of this.#syscalls) {
      if (!ships(subject)) continue;
      if (Object.keys(s.counts).length)
        records.push({ type: 'syscalls', time: s.time, counts: s.counts, attribution: s.attribution });
      shippedKeys.push(...Object.keys(s.counts).map((n) => syscallKey(subject, n)));
      this.#syscalls.delete(subject);
    }
    for (const subject of [...this.#news.keys()]) if (ships(subject)) this.#news.delete(subject);
    const drops = ships(this.nodeSubject) ? this.#drops : {};
    if (ships(this.nodeSubject)) this.#drops = {};
    const batch: NodeAgentBatch = {
      schema: NODE_AGENT_SCHEMA,
      agent: {
        node: this.opts.node,
        ...(this.opts.cluster ? { cluster: this.opts.cluster } : {}),
        version: this.opts.version,
      },
      window: { start, end },
      drops,
      records,
    };
    this.#remember(shippedKeys);
    this.#events = 0;
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
