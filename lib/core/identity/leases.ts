/**
 * Pod IP -> owner at time t. Pod IPs are reused: the same address belongs to different pods over time, so a lookup is
 * an interval search over that IP's leases, not a map lookup.
 */

export interface PodIpLease {
  ip: string;
  /** Subject the pod belonged to (`k8s:<cluster>/<ns>/<deployment>`), or undefined when the pod had no Deployment. */
  subject?: string;
  cluster?: string;
  namespace: string;
  pod: string;
  /** ISO start of the lease (pod got the IP). */
  from: string;
  /** ISO end (pod gone), or null/undefined while it runs. */
  to?: string | null;
}

interface Interval {
  from: number;
  to: number;
  lease: PodIpLease;
}

/** How a lookup ended, for the counters and for explaining an attribution. */
export type LeaseLookup =
  | { found: true; lease: PodIpLease }
  | { found: false; reason: 'no-lease-for-ip' | 'outside-leases' | 'invalid-time' };

/** An index of pod IP leases answering "who had this IP at t" in O(log n) per IP. */
export class LeaseIndex {
  readonly #byIp = new Map<string, Interval[]>();

  constructor(leases: Iterable<PodIpLease> = []) {
    for (const l of leases) this.add(l);
  }

  add(lease: PodIpLease): void {
    const from = Date.parse(lease.from);
    const to = lease.to ? Date.parse(lease.to) : Number.POSITIVE_INFINITY;
    if (Number.isNaN(from) || Number.isNaN(to) || to <= from) return;
    const ip = normalizeIp(lease.ip);
    const list = this.#byIp.get(ip) ?? [];
    // The same lease reported again (every batch re-ships running pods' leases) replaces the earlier copy, so a
    // lease that was open and is now closed gets its end.
    const same = list.findIndex(
      (i) => i.from === from && i.lease.pod === lease.pod && i.lease.namespace === lease.namespace,
    );
    if (same >= 0) {
      const prev = list[same]!;
      list[same] = { from, to: Math.min(prev.to, to), lease: to <= prev.to ? lease : prev.lease };
    } else {
      list.push({ from, to, lease });
      list.sort((a, b) => a.from - b.from);
    }
    this.#byIp.set(ip, list);
  }

  /**
   * The lease covering `time`. When leases overlap (an open lease whose pod's end was never reported, then the IP
   * was handed to a new pod), the most recently started lease wins: an IP is held by one pod at a time.
   */
  lookup(ip: string, time: string): LeaseLookup {
    const t = Date.parse(time);
    if (Number.isNaN(t)) return { found: false, reason: 'invalid-time' };
    const list = this.#byIp.get(normalizeIp(ip));
    if (!list?.length) return { found: false, reason: 'no-lease-for-ip' };
    let lo = 0;
    let hi = list.length - 1;
    let idx = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.from <= t) {
        idx = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (idx < 0) return { found: false, reason: 'outside-leases' };
    const hit = list[idx]!;
    return t < hit.to ? { found: true, lease: hit.lease } : { found: false, reason: 'outside-leases' };
  }

  get size(): number {
    let n = 0;
    for (const l of this.#byIp.values()) n += l.length;
    return n;
  }
}

/** Lower-cases IPv6 and strips an IPv4-mapped prefix so `::ffff:10.0.0.1` finds `10.0.0.1`. */
export function normalizeIp(ip: string): string {
  const s = ip.trim().toLowerCase();
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  return m ? m[1]! : s;
}

/** A pod IP lease as the node agent ships it (lib/core/sources/node-agent.ts `lease` records). */
export interface LeaseRecordLike {
  ip: string;
  pod: string;
  namespace: string;
  deployment?: string;
  from: string;
  to?: string | null;
  cluster?: string;
}

/**
 * Node-agent lease records -> leases for {@link LeaseIndex} / createIdentityResolver, with the Deployment subject when
 * the agent resolved one.
 * @example createIdentityResolver({ leases: podIpLeases(leasesFromBatch(batch)) })
 */
export function podIpLeases(records: Iterable<LeaseRecordLike>): PodIpLease[] {
  const out: PodIpLease[] = [];
  for (const r of records) {
    const lease: PodIpLease = { ip: r.ip, namespace: r.namespace, pod: r.pod, from: r.from, to: r.to ?? null };
    if (r.cluster) lease.cluster = r.cluster;
    if (r.cluster && r.deployment) lease.subject = `k8s:${r.cluster}/${r.namespace}/${r.deployment}`;
    out.push(lease);
  }
  return out;
}
