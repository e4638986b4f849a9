/**
 * What an observed egress destination is, for the NetworkPolicy generator: a pod of the cluster (named by the pod IP
 * lease that held the address at the time: a selector, never the pod's IP, which changes on every restart), an
 * address inside a published range (AWS service prefixes, a SaaS provider's list), or an address Warden can only
 * pin as observed (a /32 that will break when the provider moves it: always reported).
 */
import type { ServicePrefix } from './aws-prefixes.ts';
import { type Cidr4, cidrContains, formatIpv4, parseCidr4 } from './cidr.ts';
import type { KeyEvidence } from './types.ts';

/** A pod IP held by a Deployment from `from` until `to` (open while the pod runs). */
export interface PodLeaseSpan {
  ip: string;
  subject: string;
  from: string;
  to?: string | null;
}

/** The namespace and pod labels a selector peer names for a Deployment. */
export interface PeerSelector {
  namespace: string;
  labels: Record<string, string>;
  /** True when the labels are the `app: <name>` convention, not read from the Deployment. */
  assumed: boolean;
}

export type Destination =
  | { kind: 'pod'; subjects: string[] }
  | { kind: 'pod-unresolved'; heldBy: string[] }
  | { kind: 'published'; prefix: ServicePrefix; cidr: Cidr4 }
  | { kind: 'pinned'; private: boolean };

const PRIVATE = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'].map((c) => parseCidr4(c)!);

export const isPrivate = (c: Cidr4) => PRIVATE.some((p) => cidrContains(p, c));

/** Classifies one observed destination block against the leases (at the evidence's time) and published ranges. */
export function classifyDestination(
  cidr: Cidr4,
  evidence: KeyEvidence,
  leases: PodLeaseSpan[],
  prefixes: { p: ServicePrefix; c: Cidr4 }[],
): Destination {
  if (cidr.prefix === 32) {
    const ip = formatIpv4(cidr.base);
    const held = leases.filter((l) => l.ip === ip);
    if (held.length > 0) {
      const atTime = held.filter((l) => l.from <= evidence.lastSeen && (!l.to || l.to >= evidence.firstSeen));
      if (atTime.length === 0) return { kind: 'pod-unresolved', heldBy: [...new Set(held.map((l) => l.subject))] };
      return { kind: 'pod', subjects: [...new Set(atTime.map((l) => l.subject))].sort() };
    }
  }
  const via = prefixes.find((x) => cidrContains(x.c, cidr));
  if (via) return { kind: 'published', prefix: via.p, cidr: via.c };
  return { kind: 'pinned', private: isPrivate(cidr) };
}

/** The selector of a destination Deployment: the one read from its declared scope, else `app: <name>` (assumed). */
export function selectorOf(subject: string, known: Record<string, Omit<PeerSelector, 'assumed'>>): PeerSelector {
  const k = known[subject];
  if (k) return { ...k, assumed: false };
  const m = /^k8s:[^/]+\/([^/]+)\/(.+)$/.exec(subject);
  return { namespace: m?.[1] ?? 'default', labels: { app: m?.[2] ?? subject }, assumed: true };
}

/** AWS endpoints an agent needs although no IP of theirs was tied to them: from DNS names, and STS for IRSA. */
export function awsServicesNeeded(
  dnsServices: { service: string; region?: string; name: string }[],
  irsa: boolean,
  region: string | undefined,
): { service: string; region?: string; why: string; name: string }[] {
  const out = new Map<string, { service: string; region?: string; why: string; name: string }>();
  for (const d of dnsServices) {
    out.set(d.service, { ...d, why: `resolved ${d.name}` });
  }
  if (irsa && !out.has('sts')) {
    const name = region ? `sts.${region}.amazonaws.com` : 'sts.amazonaws.com';
    out.set('sts', { service: 'sts', ...(region ? { region } : {}), why: 'IRSA exchanges the pod token at STS', name });
  }
  return [...out.values()].sort((a, b) => a.service.localeCompare(b.service));
}
