/**
 * NetworkPolicy (networking.k8s.io/v1) per Deployment from the observed egress envelope, plus a
 * CiliumNetworkPolicy with toFQDNs for destinations known by DNS name.
 *
 * Rules:
 * - a destination that was a pod of the cluster at the time (pod IP leases) becomes a namespace + pod selector peer,
 *   never the pod's IP;
 * - a destination inside a published range (AWS ip-ranges service prefixes, a VPC endpoint, a SaaS provider's list
 *   given by the caller) is allowed to the whole range; for S3 every published prefix of the region, not only the
 *   one that matched;
 * - anything else is pinned as observed (minimal exact CIDRs): each pinned block is listed in the
 *   `warden.dev/pinned-ips` annotation, in provenance and as a warning, since it breaks when the provider moves;
 * - AWS endpoints the agent needs without a matched IP (STS for IRSA, Bedrock runtime/agent runtime, ECR by DNS
 *   name) are allowed through their VPC endpoint when one is known, else reported: never silently missing;
 * - DNS to kube-dns (UDP and TCP 53) is always allowed when the envelope has any `dns:` key or any egress;
 * - IMDS (169.254.169.254) is never allowed unless the baseline itself used it;
 * - the class posture applies to both files: deny-all egress leaves only DNS, in the NetworkPolicy and in Cilium;
 * - EKS VPC CNI network policy limits: no FQDN rules (those go to the Cilium file, each with its ports), at most
 *   {@link MAX_PORTS_PER_RULE} ports per protocol per rule (rules are split beyond that).
 */
import { stringify } from 'yaml';
import type { ParsedSubject } from '../observation.ts';
import { parseSubject } from '../observation.ts';
import { awsServiceFromDns, BUNDLED_SERVICE_PREFIXES, type ServicePrefix } from './aws-prefixes.ts';
import { aggregateCidrs, type Cidr4, cidrContains, formatCidr4, parseCidr4 } from './cidr.ts';
import { ciliumPolicy } from './cilium-policy.ts';
import {
  awsServicesNeeded,
  classifyDestination,
  type PeerSelector,
  type PodLeaseSpan,
  selectorOf,
} from './network-peers.ts';
import { sortPorts } from './port-order.ts';
import type { ArtifactBaseline, ArtifactFile, KeyEvidence, RuleProvenance } from './types.ts';
import { evidenceOf } from './types.ts';

export const MAX_PORTS_PER_RULE = 24;
const IMDS = parseCidr4('169.254.169.254/32')!;

export interface NetworkPolicyOptions {
  /** Pod selector labels of the Deployment (spec.selector.matchLabels); default `app: <deployment name>`. */
  podSelector?: Record<string, string>;
  /** Fresher service prefixes (ip-ranges.json, VPC endpoints); they take precedence over the bundled snapshot. */
  servicePrefixes?: ServicePrefix[];
  /** Extra notes from the class baseline (e.g. "retrieval class: egress limited to observed AWS endpoints"). */
  classNotes?: string[];
  /** When false, IMDS is dropped even if observed (class baseline forbids it). Default: allowed only if observed. */
  allowImds?: boolean;
  /** Class posture `deny-all` (code-execution): observed egress is reported, not allowed; only DNS stays open. */
  denyEgress?: boolean;
  /** Pod IP leases of the cluster: egress to a pod becomes a selector peer. */
  podLeases?: PodLeaseSpan[];
  /** Namespace and pod labels of Deployments, by subject (declared scopes); default `app: <name>`, assumed. */
  peerSelectors?: Record<string, Omit<PeerSelector, 'assumed'>>;
  /** The agent's role is reached through IRSA: STS must stay reachable. */
  irsa?: boolean;
  /** Region of the cluster (for endpoint names). */
  region?: string;
  /** Interface VPC endpoints of the cluster's VPC: service (`sts`, `bedrock-runtime` ...) -> endpoint CIDRs. */
  vpcEndpoints?: { service: string; id: string; cidrs: string[] }[];
}

interface Dest {
  cidr: Cidr4;
  port: string;
  evidence: KeyEvidence;
  via?: ServicePrefix;
  /** Allowed only as observed: not a pod, not in a published range. */
  pinned?: boolean;
  private?: boolean;
}

export interface NetworkPolicyResult {
  files: ArtifactFile[];
  warnings: string[];
  /** Selector peers written, by destination subject (what blast-radius replay matches pods against). */
  peerSelectors: Record<string, { namespace: string; labels: Record<string, string> }>;
  /** Blocks allowed only as observed (not a pod, not in a published range): they break when the address moves. */
  pinned: string[];
}

/** `net:egress:<cidr>:<port>` -> parts (the CIDR may be IPv6 and contain colons). */
export function parseEgressKey(key: string): { cidr: string; port: string } | undefined {
  if (!key.startsWith('net:egress:')) return undefined;
  const rest = key.slice('net:egress:'.length);
  const i = rest.lastIndexOf(':');
  if (i <= 0) return undefined;
  const port = rest.slice(i + 1);
  if (port !== '*' && !/^\d+$/.test(port)) return undefined;
  return { cidr: rest.slice(0, i), port };
}

function subjectParts(subject: string): ParsedSubject {
  const p = parseSubject(subject);
  if (p?.kind !== 'k8s') throw new TypeError(`network policies need a k8s subject, got ${subject}`);
  return p;
}

/** Generates the NetworkPolicy and (when DNS names were observed) the CiliumNetworkPolicy for one Deployment. */
export function generateNetworkPolicies(
  baseline: ArtifactBaseline,
  opts: NetworkPolicyOptions = {},
): NetworkPolicyResult {
  const subj = subjectParts(baseline.subject);
  const name = `warden-${subj.name}`;
  const selector = opts.podSelector ?? { app: subj.name };
  const prefixes = [...(opts.servicePrefixes ?? []), ...BUNDLED_SERVICE_PREFIXES]
    .map((p) => ({ p, c: parseCidr4(p.cidr) }))
    .filter((x): x is { p: ServicePrefix; c: Cidr4 } => x.c !== undefined);
  const warnings: string[] = [];
  const active = baseline.entries.filter((e) => e.active);

  const dests: Dest[] = [];
  const podPeers = new Map<string, { ports: Set<string>; evidence: KeyEvidence[] }>();
  const leases = opts.podLeases ?? [];
  let imdsEvidence: KeyEvidence | undefined;
  for (const e of active) {
    const parsed = parseEgressKey(e.key);
    if (!parsed) continue;
    const cidr = parseCidr4(parsed.cidr);
    if (!cidr) {
      warnings.push(
        `${e.key}: IPv6 destinations are not written to the NetworkPolicy yet (IPv4 only); allow it by hand if needed`,
      );
      continue;
    }
    if (cidrContains(IMDS, cidr) || cidrContains(cidr, IMDS)) {
      imdsEvidence = evidenceOf(e);
      if (opts.allowImds === false) {
        warnings.push(`${e.key}: IMDS was used but the class baseline forbids it; not allowed`);
        continue;
      }
    }
    if (opts.denyEgress) {
      warnings.push(`${e.key}: observed, but the class posture is deny-all egress; not allowed`);
      continue;
    }
    const dest = classifyDestination(cidr, evidenceOf(e), leases, prefixes);
    if (dest.kind === 'pod') {
      for (const s of dest.subjects) {
        const cur = podPeers.get(s) ?? { ports: new Set<string>(), evidence: [] };
        cur.ports.add(parsed.port);
        cur.evidence.push(evidenceOf(e));
        podPeers.set(s, cur);
      }
      continue;
    }
    if (dest.kind === 'pod-unresolved') {
      warnings.push(
        `${e.key}: a pod IP (held by ${dest.heldBy.join(', ')} at other times) with no lease at the time of the traffic: not allowed by IP; add a selector rule by hand if the traffic is needed`,
      );
      continue;
    }
    if (dest.kind === 'published') {
      // S3 moves between its published prefixes: allow every prefix of the region, not only the one seen.
      const siblings =
        dest.prefix.service === 's3'
          ? prefixes.filter((x) => x.p.service === 's3' && x.p.region === dest.prefix.region)
          : [{ p: dest.prefix, c: dest.cidr }];
      for (const x of siblings) dests.push({ cidr: x.c, port: parsed.port, evidence: evidenceOf(e), via: x.p });
      continue;
    }
    dests.push({ cidr, port: parsed.port, evidence: evidenceOf(e), pinned: true, private: dest.private });
  }
  const dnsEntries = active.filter((e) => e.key.startsWith('dns:'));
  const fqdnNames = [
    ...new Set(dnsEntries.map((e) => e.key.slice('dns:'.length)).filter((n) => !n.endsWith('.cluster.local'))),
  ].sort();

  // AWS endpoints needed without an IP tied to them: through a VPC endpoint when known, else reported.
  const needed = awsServicesNeeded(
    fqdnNames.flatMap((n) => {
      const a = awsServiceFromDns(n);
      return a && a.service !== 's3' ? [{ ...a, name: n }] : [];
    }),
    opts.irsa === true,
    opts.region,
  );
  const endpointNotes = new Map<string, string>();
  if (!opts.denyEgress) {
    for (const n of needed) {
      const vpce = opts.vpcEndpoints?.find((v) => v.service === n.service);
      if (vpce) {
        for (const c of vpce.cidrs) {
          const parsed = parseCidr4(c);
          if (!parsed) continue;
          const origin = `vpc-endpoint ${vpce.id}`;
          dests.push({
            cidr: parsed,
            port: '443',
            evidence: { key: `dns:${n.name}`, count: 0, firstSeen: '', lastSeen: '' },
            via: { service: n.service, region: n.region ?? '', cidr: c, origin },
          });
          endpointNotes.set(formatCidr4(parsed), `${n.service} (${n.why}) through ${origin}`);
        }
        continue;
      }
      warnings.push(
        `${n.service} is needed (${n.why}) but has no published ranges of its own (ip-ranges.json lists it under AMAZON, shared with EC2) and no VPC endpoint is known: the NetworkPolicy cannot allow it by IP; create an interface VPC endpoint com.amazonaws.${n.region ?? opts.region ?? '<region>'}.${n.service} or enforce with the Cilium FQDN policy`,
      );
    }
  }

  // Group destinations by their port set, so one rule lists the CIDRs that share exactly the same ports.
  const portsByCidr = new Map<
    string,
    { cidr: Cidr4; ports: Set<string>; evidence: KeyEvidence[]; via?: ServicePrefix; pinned?: boolean }
  >();
  for (const d of dests) {
    const k = formatCidr4(d.cidr);
    const cur = portsByCidr.get(k) ?? {
      cidr: d.cidr,
      ports: new Set<string>(),
      evidence: [],
      ...(d.via ? { via: d.via } : {}),
      ...(d.pinned ? { pinned: true } : {}),
    };
    cur.ports.add(d.port);
    if (d.evidence.count > 0 && !cur.evidence.some((x) => x.key === d.evidence.key)) cur.evidence.push(d.evidence);
    portsByCidr.set(k, cur);
  }
  const byPortSet = new Map<string, { cidrs: Cidr4[]; ports: string[]; evidence: KeyEvidence[] }>();
  for (const v of portsByCidr.values()) {
    const ports = sortPorts([...v.ports]);
    const k = ports.join(',');
    const cur = byPortSet.get(k) ?? { cidrs: [], ports, evidence: [] };
    cur.cidrs.push(v.cidr);
    for (const e of v.evidence) if (!cur.evidence.some((x) => x.key === e.key)) cur.evidence.push(e);
    byPortSet.set(k, cur);
  }

  const egress: Record<string, unknown>[] = [];
  const rules: RuleProvenance[] = [];
  const prov = (rule: string, p: Omit<RuleProvenance, 'rule' | 'subject' | 'baselineVersion'>): RuleProvenance => ({
    rule,
    subject: baseline.subject,
    baselineVersion: baseline.version,
    ...p,
  });

  if (dnsEntries.length > 0 || dests.length > 0 || podPeers.size > 0) {
    rules.push(
      prov(`egress[${egress.length}]`, {
        allows: 'DNS to kube-dns',
        derivedFrom: dnsEntries.map(evidenceOf),
        fixedReason: 'name resolution through the cluster DNS service',
      }),
    );
    egress.push({
      to: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
          podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
        },
      ],
      ports: [
        { protocol: 'UDP', port: 53 },
        { protocol: 'TCP', port: 53 },
      ],
    });
  }

  // In-cluster peers: one rule per destination Deployment, by namespace and pod labels.
  const peerSelectors: NetworkPolicyResult['peerSelectors'] = {};
  for (const [dest, v] of [...podPeers].sort(([a], [b]) => a.localeCompare(b))) {
    const sel = selectorOf(dest, opts.peerSelectors ?? {});
    peerSelectors[dest] = { namespace: sel.namespace, labels: sel.labels };
    if (sel.assumed)
      warnings.push(
        `${dest}: pod labels unknown (no declared scope read for it): the selector assumes app=${sel.labels.app}; check it`,
      );
    const ports = sortPorts([...v.ports]);
    const numeric = ports.filter((x) => x !== '*').map(Number);
    rules.push(
      prov(`egress[${egress.length}]`, {
        allows: `egress to pods of ${dest} on ${ports.includes('*') ? 'any port' : `TCP ${numeric.join(',')}`}`,
        derivedFrom: v.evidence,
        notes: [
          `pod IPs resolved through their leases to ${dest}: a selector, since pod IPs change on every restart`,
          ...(sel.assumed ? ['selector labels assumed (app=<name>)'] : []),
        ],
      }),
    );
    egress.push({
      to: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': sel.namespace } },
          podSelector: { matchLabels: sel.labels },
        },
      ],
      ...(ports.includes('*') ? {} : { ports: numeric.map((port) => ({ protocol: 'TCP', port })) }),
    });
  }

  const pinned: string[] = [];
  for (const group of [...byPortSet.values()].sort((a, b) => a.ports.join().localeCompare(b.ports.join()))) {
    const aggregated = aggregateCidrs(group.cidrs);
    const cidrs = aggregated.map(formatCidr4);
    const anyPort = group.ports.includes('*');
    const numeric = group.ports.filter((p) => p !== '*').map(Number);
    const chunks: number[][] = [];
    for (let i = 0; i < numeric.length; i += MAX_PORTS_PER_RULE) chunks.push(numeric.slice(i, i + MAX_PORTS_PER_RULE));
    if (anyPort) {
      warnings.push(
        `${cidrs.join(', ')}: traffic on ephemeral/unknown ports was observed; the rule allows all ports to these CIDRs`,
      );
    }
    const portLists = anyPort ? [undefined] : chunks;
    for (const ports of portLists) {
      const to = cidrs.map((cidr) => ({ ipBlock: { cidr } }));
      const rule: Record<string, unknown> = { to };
      if (ports) rule.ports = ports.map((port) => ({ protocol: 'TCP', port }));
      const portText = ports ? `TCP ${ports.join(',')}` : 'any port';
      const ruleIndex = egress.length;
      egress.push(rule);
      // One provenance entry per destination block, so "why is this CIDR allowed" names only its own keys.
      aggregated.forEach((block, j) => {
        const inBlock = (k: KeyEvidence) => {
          const parsed = parseEgressKey(k.key);
          const c = parsed && parseCidr4(parsed.cidr);
          return c !== undefined && cidrContains(block, c);
        };
        const inside = [...portsByCidr.values()].filter((v) => cidrContains(block, v.cidr));
        const via = inside.filter((v) => v.via).map((v) => v.via!);
        const isPinned = inside.some((v) => v.pinned);
        const text = formatCidr4(block);
        if (isPinned && !pinned.includes(text)) pinned.push(text);
        const endpoint = endpointNotes.get(text);
        rules.push(
          prov(`egress[${ruleIndex}].to[${j}]`, {
            allows: `egress to ${text} on ${portText}`,
            derivedFrom: group.evidence.filter(inBlock),
            ...(endpoint
              ? { fixedReason: endpoint }
              : via.length > 0
                ? {
                    notes: [
                      ...new Set(
                        via.map(
                          (v) =>
                            `widened to the published service prefix: ${v.service} ${v.region} ${v.cidr} (${v.origin})`,
                        ),
                      ),
                    ],
                  }
                : isPinned
                  ? {
                      notes: [
                        `PINNED: ${text} is the address observed, in no published range: it breaks when the destination moves; prefer the Cilium FQDN policy`,
                      ],
                    }
                  : {}),
          }),
        );
      });
    }
  }
  for (const b of pinned)
    warnings.push(
      `${b}: pinned as observed (no published range and not a pod): the rule breaks when the destination's address changes; enforce it by name with the Cilium FQDN policy where possible`,
    );

  if (imdsEvidence && opts.allowImds !== false) {
    warnings.push(
      'IMDS (169.254.169.254) is allowed because the baseline used it; review whether the agent needs node credentials',
    );
  }

  const np = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name,
      namespace: subj.namespace,
      labels: { 'app.kubernetes.io/managed-by': 'warden' },
      annotations: {
        'warden.dev/subject': baseline.subject,
        'warden.dev/baseline-version': String(baseline.version),
        'warden.dev/enforcement-point': 'Kubernetes NetworkPolicy (EKS VPC CNI network policy agent, Calico, Cilium)',
        ...(pinned.length > 0 ? { 'warden.dev/pinned-ips': pinned.join(',') } : {}),
      },
    },
    spec: { podSelector: { matchLabels: selector }, policyTypes: ['Egress'], egress },
  };

  const files: ArtifactFile[] = [
    {
      path: `${name}.networkpolicy.yaml`,
      kind: 'network-policy',
      enforcementPoint: 'Kubernetes NetworkPolicy: EKS VPC CNI network policy agent (IP-based), Calico or Cilium',
      content: stringify(np),
      rules,
    },
  ];

  const names = [...new Set([...fqdnNames, ...needed.map((n) => n.name)])].sort();
  if (names.length > 0) {
    const observedPorts = [...new Set(dests.filter((d) => d.port !== '*' && d.evidence.count > 0).map((d) => d.port))];
    files.push(
      ciliumPolicy(
        {
          baseline,
          name,
          namespace: subj.namespace ?? 'default',
          selector,
          names,
          dnsEntries,
          observedPorts,
          denyEgress: opts.denyEgress === true,
        },
        warnings,
      ),
    );
  }
  if (opts.classNotes) for (const r of rules) r.notes = [...(r.notes ?? []), ...opts.classNotes];
  return { files, warnings, peerSelectors, pinned };
}
