/**
 * NetworkPolicy (networking.k8s.io/v1) per Deployment from the observed egress envelope, plus a
 * CiliumNetworkPolicy with toFQDNs for destinations known by DNS name.
 *
 * Rules:
 * - egress destinations (`net:egress:<cidr>:<port>`) are grouped by port set and aggregated into the minimal exact
 *   CIDRs; destinations inside a known AWS service prefix are replaced by that prefix (see aws-prefixes.ts);
 * - DNS to kube-dns (UDP and TCP 53) is always allowed when the envelope has any `dns:` key or any egress;
 * - IMDS (169.254.169.254) is never allowed unless the baseline itself used it;
 * - EKS VPC CNI network policy limits: no FQDN rules (those go to the Cilium file), at most
 *   {@link MAX_PORTS_PER_RULE} ports per protocol per rule (rules are split beyond that).
 */
import { stringify } from 'yaml';
import type { ParsedSubject } from '../observation.ts';
import { parseSubject } from '../observation.ts';
import { awsServiceFromDns, BUNDLED_SERVICE_PREFIXES, type ServicePrefix } from './aws-prefixes.ts';
import { aggregateCidrs, type Cidr4, cidrContains, formatCidr4, parseCidr4 } from './cidr.ts';
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
}

interface Dest {
  cidr: Cidr4;
  port: string;
  evidence: KeyEvidence;
  via?: ServicePrefix;
}

export interface NetworkPolicyResult {
  files: ArtifactFile[];
  warnings: string[];
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
    const via = prefixes.find((x) => cidrContains(x.c, cidr));
    dests.push({ cidr: via ? via.c : cidr, port: parsed.port, evidence: evidenceOf(e), via: via?.p });
  }
  const dnsEntries = active.filter((e) => e.key.startsWith('dns:'));

  // Group destinations by their port set, so one rule lists the CIDRs that share exactly the same ports.
  const portsByCidr = new Map<
    string,
    { cidr: Cidr4; ports: Set<string>; evidence: KeyEvidence[]; via?: ServicePrefix }
  >();
  for (const d of dests) {
    const k = formatCidr4(d.cidr);
    const cur = portsByCidr.get(k) ?? { cidr: d.cidr, ports: new Set<string>(), evidence: [], via: d.via };
    cur.ports.add(d.port);
    cur.evidence.push(d.evidence);
    portsByCidr.set(k, cur);
  }
  const byPortSet = new Map<string, { cidrs: Cidr4[]; ports: string[]; evidence: KeyEvidence[] }>();
  for (const v of portsByCidr.values()) {
    const ports = [...v.ports].sort((a, b) => (a === '*' ? 1 : b === '*' ? -1 : Number(a) - Number(b)));
    const k = ports.join(',');
    const cur = byPortSet.get(k) ?? { cidrs: [], ports, evidence: [] };
    cur.cidrs.push(v.cidr);
    cur.evidence.push(...v.evidence);
    byPortSet.set(k, cur);
  }

  const egress: Record<string, unknown>[] = [];
  const rules: RuleProvenance[] = [];
  const addRule = (
    rule: Record<string, unknown>,
    prov: Omit<RuleProvenance, 'rule' | 'subject' | 'baselineVersion'>,
  ) => {
    rules.push({
      rule: `egress[${egress.length}]`,
      subject: baseline.subject,
      baselineVersion: baseline.version,
      ...prov,
    });
    egress.push(rule);
  };

  if (dnsEntries.length > 0 || dests.length > 0) {
    addRule(
      {
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
      },
      {
        allows: 'DNS to kube-dns',
        derivedFrom: dnsEntries.map(evidenceOf),
        fixedReason: 'name resolution through the cluster DNS service',
      },
    );
  }

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
        const via = [...portsByCidr.values()].filter((v) => v.via && cidrContains(block, v.cidr)).map((v) => v.via!);
        rules.push({
          rule: `egress[${ruleIndex}].to[${j}]`,
          allows: `egress to ${formatCidr4(block)} on ${portText}`,
          subject: baseline.subject,
          baselineVersion: baseline.version,
          derivedFrom: group.evidence.filter(inBlock),
          notes:
            via.length > 0
              ? via.map(
                  (v) => `widened to the published service prefix: ${v.service} ${v.region} ${v.cidr} (${v.origin})`,
                )
              : undefined,
        });
      });
    }
  }

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

  const fqdnNames = dnsEntries.map((e) => e.key.slice('dns:'.length)).filter((n) => !n.endsWith('.cluster.local'));
  if (fqdnNames.length > 0) {
    const cRules: RuleProvenance[] = [];
    const names = [...new Set(fqdnNames)].sort();
    for (const n of names) {
      const aws = awsServiceFromDns(n);
      const ev = dnsEntries.filter((e) => e.key === `dns:${n}`).map(evidenceOf);
      cRules.push({
        rule: `toFQDNs[${n}]`,
        allows: `egress to ${n}`,
        subject: baseline.subject,
        baselineVersion: baseline.version,
        derivedFrom: ev,
        notes: aws
          ? [
              `AWS endpoint (${aws.service}${aws.region ? ` ${aws.region}` : ''}): prefer an interface VPC endpoint com.amazonaws.${aws.region ?? '<region>'}.${aws.service}`,
            ]
          : undefined,
      });
    }
    const tcpPorts = [...new Set(dests.filter((d) => d.port !== '*').map((d) => d.port))].sort(
      (a, b) => Number(a) - Number(b),
    );
    const cnp = {
      apiVersion: 'cilium.io/v2',
      kind: 'CiliumNetworkPolicy',
      metadata: {
        name: `${name}-fqdn`,
        namespace: subj.namespace,
        labels: { 'app.kubernetes.io/managed-by': 'warden' },
        annotations: {
          'warden.dev/subject': baseline.subject,
          'warden.dev/baseline-version': String(baseline.version),
        },
      },
      spec: {
        endpointSelector: { matchLabels: selector },
        egress: [
          {
            toEndpoints: [
              { matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'kube-system', 'k8s:k8s-app': 'kube-dns' } },
            ],
            toPorts: [{ ports: [{ port: '53', protocol: 'ANY' }], rules: { dns: [{ matchPattern: '*' }] } }],
          },
          {
            toFQDNs: names.map((matchName) => ({ matchName })),
            ...(tcpPorts.length > 0
              ? { toPorts: [{ ports: tcpPorts.map((port) => ({ port, protocol: 'TCP' })) }] }
              : {}),
          },
        ],
      },
    };
    files.push({
      path: `${name}.cilium-fqdn.yaml`,
      kind: 'cilium-network-policy',
      enforcementPoint:
        'Cilium (DNS-aware proxy): needed for destinations behind changing IPs; the VPC CNI agent cannot enforce FQDN rules',
      content: stringify(cnp),
      rules: cRules,
    });
  }
  if (opts.classNotes) for (const r of rules) r.notes = [...(r.notes ?? []), ...opts.classNotes];
  return { files, warnings };
}
