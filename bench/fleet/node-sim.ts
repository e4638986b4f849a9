/**
 * The node agent's side of the fleet benchmark: the workload's per-minute records of one node (what the agent's
 * tracers fold in one 60 s collection tick, bench/fleet/workload.ts) replayed as the loader events they stand for
 * through the agent's own window aggregator, ship clock and closing step (node-agent/aggregate.ts, ship-clock.ts,
 * window-close.ts), so the batches the benchmark sends are the ones the agent would send (each carrying the subjects
 * whose windows close at that tick), and the body is encoded as its HTTP sink does.
 */
import type { NodeAgentBatch } from '../../lib/core/sources/node-agent.ts';
import { WindowAggregator } from '../../node-agent/aggregate.ts';
import type { LoaderRecord } from '../../node-agent/loader-protocol.ts';
import { DEFAULT_SHIP_POLICY, ShipClock, type ShipPolicy } from '../../node-agent/ship-clock.ts';
import { encodeBody } from '../../node-agent/shipper.ts';
import { closeWindows } from '../../node-agent/window-close.ts';
import type { MinuteRecord } from './workload.ts';

/** The loader events one per-minute record stands for (a record's `count` is that many events), at `ts`. */
function loaderEvents(r: MinuteRecord, ts: number, cgroupId: string): LoaderRecord[] {
  const base = { v: 1 as const, ts, pid: 4242, cgroupId };
  const times = (n: number, make: () => LoaderRecord) => Array.from({ length: n }, make);
  switch (r.type) {
    case 'syscalls':
      return [
        {
          type: 'syscalls',
          v: 1,
          ts,
          cgroupId,
          counts: Object.entries(r.counts).map(([name, count], nr) => ({ nr, name, count })),
        },
      ];
    case 'connect':
      return times(r.count, () => ({
        ...base,
        type: 'connect',
        comm: 'python3',
        family: 'inet',
        protocol: 'tcp',
        daddr: r.daddr,
        dport: r.dport,
      }));
    case 'dns':
      return times(r.count, () => ({
        ...base,
        type: 'dns',
        family: 'inet',
        daddr: '172.20.0.10',
        dport: 53,
        qname: r.qname,
        qtype: 1,
        txid: 7,
      }));
    case 'open':
      return times(r.count, () => ({
        ...base,
        type: 'open',
        comm: 'python3',
        path: r.path,
        pathSource: 'absolute',
        dirfd: -100,
        flags: 0,
        ret: 3,
      }));
  }
}

export interface Shipped {
  batch: NodeAgentBatch;
  /** Subjects the batch carries (each one delivery to the store). */
  subjects: number;
  /** The request body as the agent's HTTP sink posts it (gzip), base64 as the function URL hands it over. */
  base64: string;
}

/** One node's agent: collects the per-minute records, closes and encodes windows when its ship clock says so. */
export class NodeSim {
  readonly aggregator: WindowAggregator;
  readonly clock: ShipClock;
  /** Subject windows closed, by reason. */
  readonly closes: Record<string, number> = {};

  constructor(node: string, start: number, policy: Partial<ShipPolicy> = {}) {
    this.aggregator = new WindowAggregator({ node, cluster: 'prod', version: '0.1.0' });
    this.clock = new ShipClock({ ...DEFAULT_SHIP_POLICY, ...policy }, start);
  }

  /** Folds one minute's records (each record's events spread over the minute). */
  collect(records: readonly MinuteRecord[], minute: number): void {
    records.forEach((r, i) => {
      // The pod's container cgroup: any stable id per pod (attribution is given, not looked up).
      const cgroupId = String([...r.attribution.pod].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7));
      for (const e of loaderEvents(r, minute + ((i * 997) % 60_000), cgroupId))
        this.aggregator.add(e, { ...r.attribution });
    });
  }

  /** The collection tick at `now`: the batch of the subjects' windows the clock closes, if any; `closes` counts why. */
  tick(now: number): Shipped | undefined {
    const closed = closeWindows(this.aggregator, this.clock, now);
    if (!closed) return undefined;
    for (const reason of closed.subjects.values()) this.closes[reason] = (this.closes[reason] ?? 0) + 1;
    const { batch } = closed;
    return {
      batch,
      subjects: closed.subjects.size,
      base64: Buffer.from(encodeBody(batch, true).body).toString('base64'),
    };
  }
}
