/**
 * The node agent: all wiring in one place. Loader records -> attribution (cgroup -> container -> pod -> Deployment)
 * -> per-window aggregation -> bounded, counted shipping. Every `windowMs` (the collection tick) it refreshes the pod
 * list (leases, new containers and their startup inventory, which cgroups to watch and where syscall counting is on)
 * and asks the loader for its counts; the subjects' windows the ship clock closes become one batch (./ship-clock.ts:
 * each subject every `ship.shipMs`, at each UTC hour boundary, or early for its news), and the queue is drained.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerStartRecord, NodeAgentBatch, NodeAgentRecordInput } from '../lib/core/sources/node-agent.ts';
import { recordSubject, WindowAggregator } from './aggregate.ts';
import { Attributor } from './attribution.ts';
import { CgroupIdMap } from './cgroup.ts';
import { type Inventory, type InventoryOptions, scanInventory } from './inventory.ts';
import type { PodSource, PodSummary } from './kube.ts';
import type { StreamRecord } from './loader-protocol.ts';
import { PodIndex } from './pod-index.ts';
import { DEFAULT_SHIP_POLICY, ShipClock, type ShipPolicy } from './ship-clock.ts';
import type { BatchShipper, ShipperStats } from './shipper.ts';
import { isWindowed } from './tracers/index.ts';
import { closeWindows } from './window-close.ts';

/** What the agent needs from the loader supervisor (node-agent/loader.ts); a fake in tests. */
export interface LoaderLike extends AsyncIterable<StreamRecord> {
  watch(cgroupId: string, opts?: { countSyscalls?: boolean }): Promise<unknown>;
  unwatch(cgroupId: string): Promise<unknown>;
  setCounting(cgroupId: string, on: boolean): Promise<unknown>;
  flush(): Promise<unknown>;
  close(graceMs?: number): Promise<void>;
}

/**
 * Whether the (expensive) syscall counting runs for a pod: the pod label `warden.dev/count-syscalls: "true"|"false"`
 * wins, else the selectors (`<namespace>/<deployment>`, `*` wildcards), else the default.
 */
export function countingPolicy(selectors: string[], dflt: boolean): (pod: PodSummary) => boolean {
  const res = selectors.map((s) => new RegExp(`^${s.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`));
  return (pod) => {
    const label = pod.labels['warden.dev/count-syscalls'];
    if (label === 'true') return true;
    if (label === 'false') return false;
    const id = `${pod.namespace}/${pod.deployment ?? pod.name}`;
    return res.length ? res.some((re) => re.test(id)) : dflt;
  };
}

export interface NodeAgentOptions {
  node: string;
  cluster?: string;
  version: string;
  loader: LoaderLike;
  shipper: BatchShipper;
  podSource?: PodSource;
  /** cgroup2 mount to map cgroup ids (default /sys/fs/cgroup). */
  cgroupRoot?: string;
  procRoot?: string;
  /** The collection tick (default 60 s): pods re-read, the loader's counts pulled, the window's news checked. */
  windowMs?: number;
  /** When subjects' windows close and ship (default: every 30 minutes, at hour boundaries, early for news). */
  ship?: Partial<ShipPolicy>;
  /**
   * How often pods and cgroups are re-read between windows (default 5 s). A new container is watched from the next
   * refresh on: what it does before that is not observed (the loader watches cgroup ids, not subtrees).
   */
  refreshMs?: number;
  countSyscalls?: (pod: PodSummary) => boolean;
  /** Startup inventory settings, or false to skip it. */
  inventory?: InventoryOptions | false;
  redactArgv?: boolean;
  now?: () => number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export interface AgentStats {
  events: number;
  batches: number;
  watched: number;
  pods: number;
  podErrors: number;
  shipper: ShipperStats;
}

export class NodeAgent {
  readonly aggregator: WindowAggregator;
  readonly cgroups: CgroupIdMap;
  readonly pods = new PodIndex();
  readonly attributor: Attributor;
  #watched = new Map<string, { containerId: string; count: boolean }>();
  #lastDigest = new Map<string, string>();
  readonly clock: ShipClock;
  #events = 0;
  #batches = 0;
  #podErrors = 0;
  #pump: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;
  #stopped = false;
  #refreshTimer: NodeJS.Timeout | undefined;
  #refreshing: Promise<void> | undefined;

  constructor(readonly opts: NodeAgentOptions) {
    this.aggregator = new WindowAggregator({
      node: opts.node,
      ...(opts.cluster ? { cluster: opts.cluster } : {}),
      version: opts.version,
      redactArgv: opts.redactArgv ?? true,
    });
    this.cgroups = new CgroupIdMap(opts.cgroupRoot ?? '/sys/fs/cgroup');
    this.attributor = new Attributor(this.cgroups, this.pods);
    this.clock = new ShipClock({ ...DEFAULT_SHIP_POLICY, ...opts.ship }, this.#now());
  }

  #now(): number {
    return (this.opts.now ?? Date.now)();
  }

  #log(msg: string, fields?: Record<string, unknown>): void {
    this.opts.log?.(msg, fields);
  }

  /** Consumes the loader stream until it ends. */
  #consume(): Promise<void> {
    return (async () => {
      for await (const r of this.opts.loader) await this.handle(r);
    })();
  }

  /** Folds one stream record into the current window. */
  async handle(r: StreamRecord): Promise<void> {
    if (isWindowed(r)) {
      this.#events++;
      const a = await this.attributor.attribute(r.cgroupId);
      // A seccomp record is read against the profile its container runs under.
      const id = r.type === 'seccomp' ? a.containerId : undefined;
      const container = id ? this.pods.byContainerId(id)?.containers.find((c) => c.containerId === id) : undefined;
      this.aggregator.add(r, a, container?.seccompProfile);
      return;
    }
    switch (r.type) {
      case 'drops':
        this.aggregator.loaderDrops(r);
        return;
      case 'loader-exit':
        this.aggregator.loaderRestarted();
        this.#log('loader exited', {
          code: r.code,
          signal: r.signal,
          restartInMs: r.restartInMs,
          stderr: r.stderrTail.slice(-500),
        });
        return;
      case 'protocol-error':
        this.aggregator.drop('protocol_error');
        return;
      case 'warn':
        this.#log(`loader: ${r.message}`);
        return;
      default:
        return;
    }
  }

  /** Refreshes pods and cgroups: leases, new containers (inventory), watch/unwatch and counting switches. */
  refresh(): Promise<void> {
    // One refresh at a time: the periodic refresh and the window tick share it.
    this.#refreshing ??= this.#refresh().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #refresh(): Promise<void> {
    const nowIso = new Date(this.#now()).toISOString();
    if (this.opts.podSource) {
      try {
        const { pods, skipped } = await this.opts.podSource.listPods();
        if (skipped) this.aggregator.drop('pod_malformed', skipped);
        const upd = this.pods.update(pods, nowIso);
        // A lease that opened or closed is news of its subject (attribution of flows and API calls by pod IP depends
        // on it); open leases are re-stated in every batch their subject is in (./window-close.ts).
        for (const l of upd.changedLeases) {
          if (l.type !== 'lease') continue;
          if (l.to) this.aggregator.addRecord(l, true);
          else this.aggregator.noteIdentity(recordSubject(l, this.opts.cluster));
        }
        await this.cgroups.scan();
        for (const c of upd.newContainers) await this.#containerStart(c.pod, c.containerId, nowIso);
      } catch (e) {
        this.#podErrors++;
        this.#log('pod list failed', { error: e instanceof Error ? e.message : String(e) });
      }
    } else await this.cgroups.scan();

    const wanted = new Map<string, { containerId: string; count: boolean }>();
    for (const { cgroupId, info } of this.cgroups.containers()) {
      const pod = info.containerId ? this.pods.byContainerId(info.containerId) : undefined;
      if (!pod) continue; // not a pod's container (or not yet listed): nothing to attribute it to
      wanted.set(cgroupId, { containerId: info.containerId!, count: this.opts.countSyscalls?.(pod) ?? false });
    }
    for (const [id, w] of wanted) {
      const had = this.#watched.get(id);
      if (!had) await this.opts.loader.watch(id, { countSyscalls: w.count });
      else if (had.count !== w.count) await this.opts.loader.setCounting(id, w.count);
    }
    for (const id of this.#watched.keys()) {
      if (wanted.has(id)) continue;
      await this.opts.loader.unwatch(id);
      this.attributor.forget(id);
    }
    this.#watched = wanted;
  }

  async #containerStart(pod: PodSummary, containerId: string, nowIso: string): Promise<void> {
    const c = pod.containers.find((x) => x.containerId === containerId);
    const subject = pod.deployment ? `${pod.namespace}/${pod.deployment}` : `${pod.namespace}/${pod.name}`;
    let inv: Inventory | undefined;
    if (this.opts.inventory !== false) {
      const pid = this.#pidOf(containerId);
      if (pid) inv = await scanInventory(join(this.opts.procRoot ?? '/proc', String(pid), 'root'), this.opts.inventory);
      if (inv?.truncated) this.aggregator.drop('inventory_truncated');
    }
    const prev = this.#lastDigest.get(subject);
    if (c?.digest) this.#lastDigest.set(subject, c.digest);
    const rec: NodeAgentRecordInput = {
      type: 'container-start',
      time: pod.startTime ?? nowIso,
      attribution: {
        containerId,
        pod: pod.name,
        podUid: pod.uid,
        namespace: pod.namespace,
        ...(pod.deployment ? { deployment: pod.deployment } : {}),
        ...(c ? { runtime: c.runtime } : {}),
      },
      ...(c?.image ? { image: c.image } : {}),
      ...(c?.digest ? { digest: c.digest } : {}),
      ...(prev && c?.digest ? { previousDigest: prev } : {}),
      packages: inv?.packages ?? [],
      models: inv?.models ?? [],
      prompts: inv?.prompts ?? [],
      // MCP servers are reported as `mcp-spawn` records when their exec is seen (at startup or later).
      mcpServers: [],
    } satisfies ContainerStartRecord | NodeAgentRecordInput;
    this.aggregator.addRecord(rec, true);
  }

  /** A process of the container, read from its cgroup's cgroup.procs. */
  #pidOf(containerId: string): number | undefined {
    for (const { info } of this.cgroups.containers()) {
      if (info.containerId !== containerId) continue;
      try {
        const first = readFileSync(join(this.cgroups.root, info.path, 'cgroup.procs'), 'utf8').split('\n')[0];
        if (first) return Number(first);
      } catch {
        // container already gone
      }
    }
    return undefined;
  }

  /**
   * Closes the subjects' windows the ship clock closes now (every open one when `all`) into one batch, with their open
   * leases re-stated, and queues it; undefined when none closes.
   */
  flushWindow(all = false): NodeAgentBatch | undefined {
    const closed = closeWindows(this.aggregator, this.clock, this.#now(), { all, openLeases: this.pods.openLeases() });
    if (!closed) return undefined;
    this.#batches++;
    this.opts.shipper.enqueue(closed.batch);
    return closed.batch;
  }

  /** One collection tick: refresh, ask the loader for counts, close the window when the clock says so, ship. */
  async tick(): Promise<void> {
    await this.refresh();
    await this.opts.loader.flush().catch(() => undefined);
    this.flushWindow();
    // Also when no window closed: batches a failed send left queued are retried every tick.
    await this.opts.shipper.drain();
  }

  /** Starts consuming the loader and ticking every window. */
  start(): void {
    this.#pump = this.#consume();
    const every = this.opts.windowMs ?? 60_000;
    const loop = () => {
      this.#ticking = this.tick()
        .catch((e) => this.#log('tick failed', { error: e instanceof Error ? e.message : String(e) }))
        .finally(() => {
          if (!this.#stopped) this.#timer = setTimeout(loop, ShipClock.nextTick(this.#now(), every));
        });
    };
    this.#timer = setTimeout(loop, 0);
    this.#refreshTimer = setInterval(() => {
      this.refresh().catch((e) => this.#log('refresh failed', { error: e instanceof Error ? e.message : String(e) }));
    }, this.opts.refreshMs ?? 5000);
  }

  /** Stops: closes the loader (it flushes), ships the last window. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#refreshTimer) clearInterval(this.#refreshTimer);
    await this.#refreshing;
    await this.#ticking;
    await this.opts.loader.close();
    await this.#pump;
    this.flushWindow(true);
    await this.opts.shipper.drain();
  }

  stats(): AgentStats {
    return {
      events: this.#events,
      batches: this.#batches,
      watched: this.#watched.size,
      pods: this.pods.size,
      podErrors: this.#podErrors,
      shipper: this.opts.shipper.stats(),
    };
  }
}
