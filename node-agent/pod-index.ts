/**
 * The node's current pods, indexed by container id and pod UID, and the pod IP leases derived from successive pod
 * lists: a lease opens when a pod is first seen with an IP (from its start time) and closes when the pod is gone, has
 * finished, or its IP changed (at the time the change was observed).
 */
import type { NodeAgentRecordInput } from '../lib/core/sources/node-agent.ts';
import type { PodSummary } from './kube.ts';

interface OpenLease {
  ip: string;
  pod: PodSummary;
  from: string;
}

export interface PodIndexUpdate {
  /** Containers seen for the first time (for the startup inventory). */
  newContainers: Array<{ pod: PodSummary; containerId: string }>;
  /** Leases that opened or closed in this update. */
  changedLeases: NodeAgentRecordInput[];
}

export class PodIndex {
  #byContainer = new Map<string, PodSummary>();
  #byUid = new Map<string, PodSummary>();
  #open = new Map<string, OpenLease>(); // key uid|ip
  #seenContainers = new Set<string>();

  /** Replaces the pod set with a fresh list observed at `now` (ISO). */
  update(pods: PodSummary[], now: string): PodIndexUpdate {
    const changed: NodeAgentRecordInput[] = [];
    const newContainers: PodIndexUpdate['newContainers'] = [];
    this.#byContainer = new Map();
    this.#byUid = new Map();
    const live = new Set<string>();
    for (const p of pods) {
      this.#byUid.set(p.uid, p);
      for (const c of p.containers) {
        this.#byContainer.set(c.containerId, p);
        if (!this.#seenContainers.has(c.containerId)) {
          this.#seenContainers.add(c.containerId);
          newContainers.push({ pod: p, containerId: c.containerId });
        }
      }
      const running = p.phase !== 'Succeeded' && p.phase !== 'Failed';
      if (!running) continue;
      for (const ip of p.ips) {
        const k = `${p.uid}|${ip}`;
        live.add(k);
        if (!this.#open.has(k)) {
          const lease = { ip, pod: p, from: p.startTime ?? now };
          this.#open.set(k, lease);
          changed.push(this.#record(lease, null));
        } else this.#open.get(k)!.pod = p; // keep the freshest owner info
      }
    }
    for (const [k, lease] of this.#open) {
      if (live.has(k)) continue;
      this.#open.delete(k);
      changed.push(this.#record(lease, now));
    }
    // Forget container ids of pods that are gone, so the set does not grow forever.
    for (const id of this.#seenContainers) if (!this.#byContainer.has(id)) this.#seenContainers.delete(id);
    return { newContainers, changedLeases: changed };
  }

  #record(l: OpenLease, to: string | null): NodeAgentRecordInput {
    return {
      type: 'lease',
      ip: l.ip,
      pod: l.pod.name,
      namespace: l.pod.namespace,
      ...(l.pod.deployment ? { deployment: l.pod.deployment } : {}),
      podUid: l.pod.uid,
      from: l.from,
      to,
    };
  }

  /** Every open lease, re-shipped each window so a receiver that missed one still learns it. */
  openLeases(): NodeAgentRecordInput[] {
    return [...this.#open.values()].map((l) => this.#record(l, null));
  }

  byContainerId(id: string): PodSummary | undefined {
    return this.#byContainer.get(id);
  }

  byUid(uid: string): PodSummary | undefined {
    return this.#byUid.get(uid);
  }

  get size(): number {
    return this.#byUid.size;
  }
}
