/** The CiliumNetworkPolicy beside the NetworkPolicy: destinations by DNS name (toFQDNs), each with its ports. */
import { stringify } from 'yaml';
import { awsServiceFromDns } from './aws-prefixes.ts';
import { sortPorts } from './port-order.ts';
import type { ArtifactBaseline, ArtifactFile, RuleProvenance } from './types.ts';
import { evidenceOf } from './types.ts';

export interface CiliumInput {
  baseline: ArtifactBaseline;
  /** `warden-<deployment>`. */
  name: string;
  namespace: string;
  selector: Record<string, string>;
  /** Names to allow (resolved names and the AWS endpoints the agent needs). */
  names: string[];
  dnsEntries: ArtifactBaseline['entries'];
  /** TCP ports seen to addresses outside the cluster. */
  observedPorts: string[];
  /** Class posture deny-all: only DNS. */
  denyEgress: boolean;
}

/**
 * The CiliumNetworkPolicy: DNS through the proxy, and every name on the ports seen to addresses outside the cluster
 * (443 when none was seen). Under a deny-all posture only the DNS rule is written.
 */
export function ciliumPolicy(c: CiliumInput, warnings: string[]): ArtifactFile {
  const { baseline, name, namespace, selector, names, dnsEntries, observedPorts } = c;
  const cRules: RuleProvenance[] = [];
  const ports = observedPorts.length > 0 ? sortPorts(observedPorts) : ['443'];
  if (c.denyEgress) {
    for (const n of names) warnings.push(`${n}: resolved, but the class posture is deny-all egress; no FQDN rule`);
  } else {
    for (const n of names) {
      const aws = awsServiceFromDns(n);
      cRules.push({
        rule: `toFQDNs[${n}]`,
        allows: `egress to ${n} on TCP ${ports.join(',')}`,
        subject: baseline.subject,
        baselineVersion: baseline.version,
        derivedFrom: dnsEntries.filter((e) => e.key === `dns:${n}`).map(evidenceOf),
        notes: [
          ...(observedPorts.length === 0 ? ['port 443 assumed: no egress port was observed'] : []),
          ...(aws
            ? [
                `AWS endpoint (${aws.service}${aws.region ? ` ${aws.region}` : ''}): prefer an interface VPC endpoint com.amazonaws.${aws.region ?? '<region>'}.${aws.service}`,
              ]
            : []),
        ],
      });
    }
  }
  const cnp = {
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumNetworkPolicy',
    metadata: {
      name: `${name}-fqdn`,
      namespace,
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
        ...(c.denyEgress
          ? []
          : [
              {
                toFQDNs: names.map((matchName) => ({ matchName })),
                toPorts: [{ ports: ports.map((port) => ({ port, protocol: 'TCP' })) }],
              },
            ]),
      ],
    },
  };
  return {
    path: `${name}.cilium-fqdn.yaml`,
    kind: 'cilium-network-policy',
    enforcementPoint:
      'Cilium (DNS-aware proxy): needed for destinations behind changing IPs; the VPC CNI agent cannot enforce FQDN rules',
    content: stringify(cnp),
    rules: cRules,
  };
}
