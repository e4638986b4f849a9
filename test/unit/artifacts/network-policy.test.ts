import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { generateNetworkPolicies, MAX_PORTS_PER_RULE } from '../../../lib/core/artifacts/network-policy.ts';
import { retrievalBaseline, supportBaseline } from './fixtures.ts';

const golden = (name: string) => readFileSync(join(import.meta.dirname, 'golden', name), 'utf8');

describe('generateNetworkPolicies', () => {
  const { files, warnings } = generateNetworkPolicies(supportBaseline);
  const np = parse(files[0]!.content);

  it('matches the golden file', () => {
    expect(files[0]!.content).toBe(golden('support-agent.networkpolicy.yaml'));
    expect(files[1]!.content).toBe(golden('support-agent.cilium-fqdn.yaml'));
  });

  it('validates against the Kubernetes schema', () => {
    expect(() => new NetworkPolicy(np).validate()).not.toThrow();
  });

  it('aggregates sibling /32s and widens S3 IPs to the published prefix', () => {
    const cidrs = np.spec.egress.flatMap((r: { to: { ipBlock?: { cidr: string } }[] }) =>
      r.to.map((t) => t.ipBlock?.cidr).filter(Boolean),
    );
    expect(cidrs).toContain('13.110.54.10/31');
    expect(cidrs).toContain('52.216.0.0/15');
    expect(cidrs).not.toContain('52.217.10.4/32');
    expect(cidrs).not.toContain('10.0.0.9/32'); // aged out of the active envelope
  });

  it('allows DNS to kube-dns and never IMDS unless observed', () => {
    expect(np.spec.egress[0].ports).toEqual([
      { protocol: 'UDP', port: 53 },
      { protocol: 'TCP', port: 53 },
    ]);
    expect(files[0]!.content).not.toContain('169.254.169.254');
  });

  it('carries provenance for every rule', () => {
    const rules = files[0]!.rules;
    // one entry for the DNS rule, then one per destination block
    const blocks = np.spec.egress.slice(1).reduce((n: number, r: { to: unknown[] }) => n + r.to.length, 0);
    expect(rules).toHaveLength(1 + blocks);
    expect(rules.find((r) => r.allows.includes('13.110.54.10/31'))!.derivedFrom.map((k) => k.key)).toEqual([
      'net:egress:13.110.54.10/32:443',
      'net:egress:13.110.54.11/32:443',
    ]);
    const s3 = rules.find((r) => r.allows.includes('52.216.0.0/15'))!;
    expect(s3.derivedFrom.map((k) => k.key).sort()).toEqual([
      'net:egress:52.217.10.4/32:443',
      'net:egress:52.217.99.7/32:443',
    ]);
    expect(s3.baselineVersion).toBe(7);
    expect(s3.notes?.[0]).toContain('published service prefix');
  });

  it('puts DNS-named destinations in a Cilium toFQDNs policy, without cluster-local names', () => {
    const cnp = parse(files[1]!.content);
    expect(cnp.spec.egress[1].toFQDNs.map((f: { matchName: string }) => f.matchName)).toEqual([
      'acme.my.salesforce.com',
      'acme.zendesk.com',
      'bedrock-runtime.us-east-1.amazonaws.com',
    ]);
    expect(files[1]!.rules.find((r) => r.rule.includes('bedrock'))!.notes!.join()).toContain('interface VPC endpoint');
    // every FQDN rule carries its ports
    expect(cnp.spec.egress[1].toPorts).toEqual([{ ports: [{ port: '443', protocol: 'TCP' }] }]);
    // Bedrock runtime has no published ranges of its own and no VPC endpoint was given: said, not silent
    expect(warnings.filter((w) => w.startsWith('bedrock-runtime is needed'))).toHaveLength(1);
  });

  it('lists every block pinned as observed, in the annotation, provenance and warnings', () => {
    expect(np.metadata.annotations['warden.dev/pinned-ips']).toBe('13.110.54.10/31,104.16.51.111/32');
    for (const b of ['13.110.54.10/31', '104.16.51.111/32']) {
      expect(
        warnings.some((w) => w.startsWith(`${b}: pinned as observed`)),
        b,
      ).toBe(true);
      expect(files[0]!.rules.find((r) => r.allows.includes(b))!.notes!.join()).toContain('PINNED');
    }
    // S3: the published prefixes, never pinned
    expect(np.metadata.annotations['warden.dev/pinned-ips']).not.toContain('52.2');
  });

  it('splits rules beyond the VPC CNI port limit', () => {
    const many = {
      subject: 'k8s:prod/ns/scanner',
      version: 1,
      entries: Array.from({ length: 30 }, (_, i) => ({
        key: `net:egress:10.1.0.1/32:${1000 + i}`,
        count: 1,
        firstSeen: '2026-01-01T00:00:00.000Z',
        lastSeen: '2026-01-01T00:00:00.000Z',
        active: true,
      })),
    };
    const out = parse(generateNetworkPolicies(many).files[0]!.content);
    const portRules = out.spec.egress.slice(1);
    expect(portRules).toHaveLength(2);
    expect(portRules[0].ports).toHaveLength(MAX_PORTS_PER_RULE);
    expect(portRules[1].ports).toHaveLength(30 - MAX_PORTS_PER_RULE);
    expect(() => new NetworkPolicy(out).validate()).not.toThrow();
  });

  it('allows IMDS only when observed, with a warning, and not when the class forbids it', () => {
    const b = {
      ...retrievalBaseline,
      entries: [
        ...retrievalBaseline.entries,
        { ...retrievalBaseline.entries[0]!, key: 'net:egress:169.254.169.254/32:80' },
      ],
    };
    const allowed = generateNetworkPolicies(b);
    expect(allowed.files[0]!.content).toContain('169.254.169.254/32');
    expect(allowed.warnings.join()).toContain('IMDS');
    const denied = generateNetworkPolicies(b, { allowImds: false });
    expect(denied.files[0]!.content).not.toContain('169.254.169.254');
  });

  it('gives two agents in one namespace two different policies', () => {
    const a = parse(generateNetworkPolicies(supportBaseline).files[0]!.content);
    const b = parse(generateNetworkPolicies(retrievalBaseline).files[0]!.content);
    expect(a.metadata.namespace).toBe(b.metadata.namespace);
    expect(a.spec.podSelector).not.toEqual(b.spec.podSelector);
    expect(a.spec.egress).not.toEqual(b.spec.egress);
    expect(b.metadata.annotations['warden.dev/baseline-version']).toBe('3');
  });

  describe('peers, endpoints and posture', () => {
    const T = '2026-01-05T10:00:00.000Z';
    const e = (key: string) => ({ key, count: 3, firstSeen: T, lastSeen: T, active: true });
    const base = {
      subject: 'k8s:prod/support/support-agent',
      version: 2,
      entries: [
        e('net:egress:10.0.4.12/32:5432'),
        e('net:egress:10.0.4.99/32:8080'),
        e('net:egress:10.20.0.5/32:443'),
        e('dns:pypi.org'),
      ],
    };
    const leases = [
      { ip: '10.0.4.12', subject: 'k8s:prod/data/postgres', from: '2026-01-01T00:00:00.000Z', to: null },
      // held by another pod before the traffic, not at its time
      {
        ip: '10.0.4.99',
        subject: 'k8s:prod/support/old',
        from: '2025-12-01T00:00:00.000Z',
        to: '2025-12-02T00:00:00.000Z',
      },
    ];

    it('turns a pod peer into namespace and pod selectors, and never pins a pod IP', () => {
      const r = generateNetworkPolicies(base, {
        podLeases: leases,
        peerSelectors: { 'k8s:prod/data/postgres': { namespace: 'data', labels: { 'app.kubernetes.io/name': 'pg' } } },
      });
      const np = parse(r.files[0]!.content);
      const peer = np.spec.egress.find((x: { ports?: { port: number }[] }) => x.ports?.[0]?.port === 5432);
      expect(peer.to).toEqual([
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'data' } },
          podSelector: { matchLabels: { 'app.kubernetes.io/name': 'pg' } },
        },
      ]);
      expect(r.files[0]!.content).not.toContain('10.0.4.12');
      expect(r.files[0]!.content).not.toContain('10.0.4.99');
      expect(r.warnings.some((w) => w.includes('10.0.4.99') && w.includes('a pod IP'))).toBe(true);
      // a private address that is no pod's (a database endpoint) is pinned and said so
      expect(r.pinned).toEqual(['10.20.0.5/32']);
      expect(np.metadata.annotations['warden.dev/pinned-ips']).toBe('10.20.0.5/32');
      expect(() => new NetworkPolicy(np).validate()).not.toThrow();
    });

    it('IRSA needs STS: allowed through its VPC endpoint when known, reported otherwise', () => {
      const without = generateNetworkPolicies(base, { podLeases: leases, irsa: true, region: 'us-east-1' });
      expect(without.warnings.some((w) => w.startsWith('sts is needed (IRSA'))).toBe(true);
      expect(parse(without.files[1]!.content).spec.egress[1].toFQDNs).toContainEqual({
        matchName: 'sts.us-east-1.amazonaws.com',
      });
      const withVpce = generateNetworkPolicies(base, {
        podLeases: leases,
        irsa: true,
        region: 'us-east-1',
        vpcEndpoints: [{ service: 'sts', id: 'vpce-0sts', cidrs: ['10.0.200.10/32', '10.0.201.10/32'] }],
      });
      expect(withVpce.warnings.some((w) => w.startsWith('sts is needed'))).toBe(false);
      const rule = withVpce.files[0]!.rules.find((r) => r.allows.includes('10.0.200.10/32'))!;
      expect(rule.fixedReason).toContain('vpc-endpoint vpce-0sts');
      expect(withVpce.pinned).not.toContain('10.0.200.10/32');
    });

    it('a deny-all posture applies to the Cilium policy too', () => {
      const r = generateNetworkPolicies(base, { podLeases: leases, denyEgress: true });
      const cnp = parse(r.files[1]!.content);
      expect(cnp.spec.egress).toHaveLength(1); // DNS only
      expect(r.files[1]!.content).not.toContain('pypi.org');
      expect(r.warnings.some((w) => w.startsWith('pypi.org: resolved, but the class posture is deny-all'))).toBe(true);
    });
  });
});
