/**
 * Egress reconciliation against declared NetworkPolicies: own egress rules never matched are Unused Excess; egress
 * allowed only by a namespace-wide policy, or by no policy at all (open namespace default), is Inherited Overreach.
 * Peers given as pod/namespace selectors cannot be matched against IP observations and are listed as not assessed.
 */
import { ipInCidr } from '../iam/conditions.ts';
import type { Evidence, InheritedOverreachFinding, UnusedExcessFinding } from './findings.ts';
import type { DeclaredScope, EgressRule, ObservedBehavior } from './types.ts';

interface Egress {
  behavior: ObservedBehavior;
  ip: string;
  port?: number;
}

/** `net:egress:<ip>/<len>:<port>` -> ip and port (IPv6 CIDRs contain `:`, so parse from both ends). */
export function parseEgressKey(key: string): { ip: string; prefix: number; port?: number } | undefined {
  if (!key.startsWith('net:egress:')) return undefined;
  const rest = key.slice('net:egress:'.length);
  const i = rest.lastIndexOf(':');
  if (i < 0) return undefined;
  const cidr = rest.slice(0, i);
  const portText = rest.slice(i + 1);
  const [ip, len] = cidr.split('/') as [string, string | undefined];
  const port = portText === '*' ? undefined : Number(portText);
  if (port !== undefined && !Number.isInteger(port)) return undefined;
  return {
    ip,
    prefix: len === undefined ? (ip.includes(':') ? 128 : 32) : Number(len),
    ...(port !== undefined ? { port } : {}),
  };
}

function portMatches(rule: EgressRule, port: number | undefined): boolean {
  if (rule.ports.length === 0) return true;
  if (port === undefined) return false;
  return rule.ports.some(
    (p) => p.port === undefined || (p.endPort !== undefined ? port >= p.port && port <= p.endPort : port === p.port),
  );
}

/** Which peer of a rule an egress matches: index, `'selector'` when only selectors could, or undefined. */
function peerMatch(rule: EgressRule, e: Egress): number | 'selector' | undefined {
  if (!portMatches(rule, e.port)) return undefined;
  if (rule.peers.length === 0) return 0; // `to` omitted: all destinations
  let selector = false;
  for (const [i, peer] of rule.peers.entries()) {
    if ('any' in peer) return i;
    if ('selector' in peer) {
      selector = true;
      continue;
    }
    if (ipInCidr(e.ip, peer.cidr) && !peer.except.some((x) => ipInCidr(e.ip, x))) return i;
  }
  return selector ? 'selector' : undefined;
}

function peerText(rule: EgressRule, i: number): string {
  const p = rule.peers[i];
  const ports = rule.ports.length
    ? rule.ports.map((x) => `${x.port ?? '*'}${x.endPort ? `-${x.endPort}` : ''}`).join(',')
    : '*';
  if (!p) return `*:${ports}`;
  if ('cidr' in p) return `${p.cidr}${p.except.length ? ` except ${p.except.join(',')}` : ''}:${ports}`;
  if ('selector' in p) return `${p.selector}:${ports}`;
  return `*:${ports}`;
}

const ev = (e: Egress): Evidence => ({
  key: e.behavior.key,
  count: e.behavior.count,
  firstSeen: e.behavior.firstSeen,
  lastSeen: e.behavior.lastSeen,
});

export function reconcileNetwork(scope: DeclaredScope, observed: ObservedBehavior[]) {
  const unused: UnusedExcessFinding[] = [];
  const overreach: InheritedOverreachFinding[] = [];
  const unexplained: (Evidence & { reason: string })[] = [];
  const notAssessed: string[] = [];
  const net = scope.network;
  const egress: Egress[] = [];
  for (const b of observed) {
    const k = parseEgressKey(b.key);
    if (k) egress.push({ behavior: b, ip: k.ip, ...(k.port !== undefined ? { port: k.port } : {}) });
  }
  if (!net) {
    notAssessed.push('no Kubernetes network declaration was read for this subject: egress not reconciled');
    return { unused, overreach, unexplained, notAssessed };
  }
  const own = net.rules.filter((r) => !r.namespaceWide);
  const nsWide = net.rules.filter((r) => r.namespaceWide);
  const usedPeers = new Map<string, Egress[]>();
  const inheritedBy = new Map<string, Egress[]>();
  const openDefault: Egress[] = [];
  for (const e of egress) {
    let explained = false;
    let selectorOnly = false;
    for (const r of own) {
      const m = peerMatch(r, e);
      if (typeof m === 'number') {
        const k = `${r.policy}#egress[${r.index}]/${m}`;
        usedPeers.set(k, [...(usedPeers.get(k) ?? []), e]);
        explained = true;
      } else if (m === 'selector') selectorOnly = true;
    }
    if (explained) continue;
    for (const r of nsWide) {
      const m = peerMatch(r, e);
      if (typeof m === 'number') {
        const k = `${r.policy}#egress[${r.index}]`;
        inheritedBy.set(k, [...(inheritedBy.get(k) ?? []), e]);
        explained = true;
        break;
      }
      if (m === 'selector') selectorOnly = true;
    }
    if (explained) continue;
    if (!net.egressRestricted) openDefault.push(e);
    else if (selectorOnly) notAssessed.push(`${e.behavior.key}: only pod/namespace selector peers could allow it`);
    else
      unexplained.push({
        ...ev(e),
        reason: 'no declared NetworkPolicy egress rule allows this flow (policy not enforced?)',
      });
  }
  for (const r of own) {
    const unusedPeers: string[] = [];
    const exercised: Evidence[] = [];
    const peerCount = Math.max(r.peers.length, 1);
    for (let i = 0; i < peerCount; i++) {
      const used = usedPeers.get(`${r.policy}#egress[${r.index}]/${i}`) ?? [];
      const peer = r.peers[i];
      if (peer && 'selector' in peer) {
        notAssessed.push(
          `${r.policy}#egress[${r.index}] peer ${peer.selector}: selector peers cannot be matched to IP flows`,
        );
        continue;
      }
      if (used.length === 0) unusedPeers.push(peerText(r, i));
      else exercised.push(...used.map(ev));
    }
    if (unusedPeers.length > 0) {
      const source = `${r.policy}#egress[${r.index}]`;
      unused.push({
        id: `unused-excess:egress:${source}`,
        category: 'unused-excess',
        kind: 'egress',
        source,
        unused: unusedPeers.map((item) => ({ item })),
        byAccessLevel: {},
        exercised,
        unexpanded: [],
        summary: `${source} allows egress to ${unusedPeers.join(', ')}, never used in the window`,
      });
    }
  }
  for (const r of nsWide) {
    const source = `${r.policy}#egress[${r.index}]`;
    const used = inheritedBy.get(source) ?? [];
    if (used.length === 0) continue;
    overreach.push({
      id: `inherited-overreach:namespace-default:${source}`,
      category: 'inherited-overreach',
      source: 'namespace-default',
      sourceName: source,
      status: 'exercised',
      evidence: used.map(ev),
      grants: { actions: [], resources: r.peers.map((_, i) => peerText(r, i)), accessLevels: [] },
      reason: `namespace-wide NetworkPolicy ${r.policy} (podSelector {}) allows it, not a policy declared for this agent`,
      summary: `${used.length} egress flow(s) allowed only by namespace-wide ${source}`,
    });
  }
  if (openDefault.length > 0) {
    overreach.push({
      id: 'inherited-overreach:namespace-default:open-egress',
      category: 'inherited-overreach',
      source: 'namespace-default',
      sourceName: scope.subject,
      status: 'exercised',
      evidence: openDefault.map(ev),
      grants: { actions: [], resources: ['0.0.0.0/0:*', '::/0:*'], accessLevels: [] },
      reason: 'no NetworkPolicy with Egress selects these pods: the namespace default allows all egress',
      summary: `${openDefault.length} egress flow(s) allowed only because egress is unrestricted by default`,
    });
  }
  return { unused, overreach, unexplained, notAssessed: [...new Set(notAssessed)] };
}
