/**
 * Aggregates loader records per subject and window into one node-agent batch (lib/core/sources/node-agent.ts).
 * Each distinct behavior (exec path, opened path, destination, DNS name, MCP server) of a subject appears once per
 * window with a count; syscall counts are summed; loader drop counters (cumulative) become per-window deltas.
 */
import { keys } from '../lib/core/observation.ts';
import {
  type Attribution,
  NODE_AGENT_SCHEMA,
  type NodeAgentBatch,
  type NodeAgentRecordInput,
  subjectOf,
} from '../lib/core/sources/node-agent.ts';
import type { DropsRecord, LoaderRecord } from './loader-protocol.ts';
import { mcpServerFromArgv } from './mcp.ts';
import { redactArgv } from './redact.ts';

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
   * Adds one loader record attributed to `attribution`. Records without behavior (ready, ack ...) are ignored.
   * `seccompProfile` names the profile the record's container runs under, when known (seccomp records).
   */
  add(r: LoaderRecord, attribution: Attribution, seccompProfile?: string): void {
    const subject = subjectOf(attribution, this.opts.cluster);
    const iso = () => new Date(r.ts).toISOString();
    switch (r.type) {
      case 'exec': {
        this.#events++;
        const path = r.filename;
        // Redaction runs once per distinct behavior in the window, not per event.
        this.#upsert(`${subject}\u0000exec\u0000${path}`, () => {
          const red = this.opts.redactArgv === false ? { argv: r.argv, redacted: false } : redactArgv(r.argv);
          return {
            type: 'exec',
            time: iso(),
            path,
            argv: red.argv,
            ...(red.redacted ? { argvRedacted: true } : {}),
            pid: r.pid,
            ppid: r.ppid,
            uid: r.uid,
            attribution,
          };
        });
        const mcp = mcpServerFromArgv(r.filename, r.argv);
        if (mcp) {
          this.#upsert(`${subject}\u0000mcp\u0000${mcp.name}`, () => ({
            type: 'mcp-spawn',
            time: iso(),
            transport: mcp.transport,
            name: mcp.name,
            command: this.opts.redactArgv === false ? r.argv : redactArgv(r.argv).argv,
            attribution,
          }));
        }
        return;
      }
      case 'open': {
        this.#events++;
        if (r.pathSource === 'unresolved' || !r.path.startsWith('/')) {
          // A relative path we could not anchor would become a wrong key; counted instead.
          this.drop('open_path_unresolved');
          return;
        }
        const errno = r.ret < 0 ? -r.ret : undefined;
        const path = keys.open(r.path).slice('open:'.length);
        this.#upsert(`${subject}\u0000open\u0000${path}\u0000${errno ?? ''}`, () => ({
          type: 'open',
          time: iso(),
          path: r.path,
          flags: r.flags,
          ...(errno ? { errno } : {}),
          pid: r.pid,
          attribution,
        }));
        return;
      }
      case 'connect': {
        this.#events++;
        const key = keys.egress(r.daddr, r.dport);
        this.#upsert(`${subject}\u0000${key}\u0000${r.protocol}`, () => ({
          type: 'connect',
          time: iso(),
          daddr: r.daddr,
          dport: r.dport,
          proto: r.protocol,
          pid: r.pid,
          attribution,
        }));
        return;
      }
      case 'dns': {
        this.#events++;
        if (r.qname === '<malformed>' || !/^[A-Za-z0-9_.*-]+\.?$/.test(r.qname)) {
          this.drop('dns_malformed');
          return;
        }
        this.#upsert(`${subject}\u0000dns\u0000${r.qname.toLowerCase()}\u0000${r.qtype}`, () => ({
          type: 'dns',
          time: iso(),
          qname: r.qname,
          qtype: r.qtype,
          attribution,
        }));
        return;
      }
      case 'syscalls': {
        this.#events++;
        const s = this.#syscalls.get(subject) ?? { attribution, time: iso(), counts: {} };
        for (const c of r.counts) {
          const name = /^[a-z0-9_]{1,64}$/.test(c.name) ? c.name : `nr:${c.nr}`;
          s.counts[name] = (s.counts[name] ?? 0) + c.count;
        }
        this.#syscalls.set(subject, s);
        return;
      }
      case 'seccomp': {
        this.#events++;
        const syscall = /^[a-z0-9_]{1,64}$/.test(r.name) ? r.name : `nr:${r.nr}`;
        this.#upsert(`${subject}\u0000seccomp\u0000${r.arch}\u0000${syscall}\u0000${r.action}\u0000${r.exe}`, () => ({
          type: 'seccomp',
          time: iso(),
          syscall,
          nr: r.nr,
          arch: r.arch,
          action: r.action,
          ...(r.exe ? { exe: r.exe.slice(0, 4096) } : {}),
          ...(r.comm ? { comm: r.comm.slice(0, 64) } : {}),
          ...(seccompProfile ? { profile: seccompProfile } : {}),
          pid: r.pid,
          attribution,
        }));
        return;
      }
      default:
        return;
    }
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
