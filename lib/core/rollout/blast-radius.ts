/**
 * Blast radius: which legitimate events of an evaluation window the generated artifacts would have denied. The
 * window never overlaps the data the artifacts were generated from (replaying that proves nothing): it is the time
 * after the monitor artifacts were applied, or, locally, a window held out from generation. A kind of artifact with
 * no event in the window is `not measured`, and a class with an artifact not measured is not enforced.
 *
 * - network: each `net:egress:<cidr>:<port>` against the NetworkPolicy: ipBlock rules by CIDR and port, selector
 *   rules by the destination pod (pod IP leases of the window -> its Deployment -> the labels the policy names);
 *   port 53 counts as DNS, which the generated policy allows to kube-dns;
 * - seccomp: each `syscall:<name>` against the enforce profile (default action, allowed names, architectures), and
 *   each `seccomp:logged:<syscall>` the kernel logged under the monitor profile, which is a would-be denial itself;
 * - iam: each successful CloudTrail call of the role, and each action the agent's traces show (InvokeAgent,
 *   InvokeModel), replayed through the IAM evaluator against the tightened documents.
 */
import { parse } from 'yaml';
import { cidrContains, parseCidr4 } from '../artifacts/cidr.ts';
import { parseEgressKey } from '../artifacts/network-policy.ts';
import { type OciSeccompProfile, seccompAllows } from '../artifacts/seccomp-profile.ts';
import { evaluate } from '../iam/evaluate.ts';
import type { NamedPolicy, PolicyDocument } from '../iam/policy.ts';
import { toApiCall } from '../reconcile/iam-rules.ts';
import { actionsFromOtherSources } from '../reconcile/source-actions.ts';
import type { ObservedBehavior } from '../reconcile/types.ts';

export const ARTIFACT_KINDS = ['network', 'seccomp', 'iam'] as const;
export type ArtifactKind = (typeof ARTIFACT_KINDS)[number];

export interface MonitoredArtifacts {
  subject: string;
  /** NetworkPolicy YAML (as generated). */
  networkPolicy?: string;
  /** Namespace and pod labels the NetworkPolicy's selector peers name, by destination subject. */
  peerSelectors?: Record<string, { namespace: string; labels: Record<string, string> }>;
  /** The enforce seccomp profile. */
  seccompProfile?: OciSeccompProfile;
  /** Tightened IAM policy documents. */
  iamPolicies?: PolicyDocument[];
  /** The role the IAM documents are for: calls of other principals are not theirs to deny. */
  iamRoleArn?: string;
}

/** A pod IP held by a Deployment during the window (from `lease:<ip>` observations). */
export interface PodLease {
  ip: string;
  subject: string;
}

export interface WouldDeny {
  subject: string;
  kind: ArtifactKind;
  key: string;
  count: number;
  pods: string[];
  reason: string;
}

export interface KindRadius {
  /** False when no event of this kind was in the window: nothing was measured. */
  measured: boolean;
  evaluatedEvents: number;
  wouldDenyEvents: number;
  keys: number;
  examples: WouldDeny[];
}

export interface BlastRadius {
  perArtifact: Record<ArtifactKind, KindRadius>;
  wouldDeny: WouldDeny[];
  wouldDenyEvents: number;
  /** Events evaluated in the window (denominator of the ratio). */
  evaluatedEvents: number;
  affectedSubjects: string[];
  affectedPods: string[];
  /** Every kind of artifact the class would apply (network, seccomp) had events in the window. */
  measured: boolean;
  /** Kinds generated for the class that had no event in the window. */
  notMeasured: ArtifactKind[];
}

export interface Threshold {
  /** Most would-be-denied events tolerated before rollback (default 0). */
  maxWouldDenyEvents: number;
  /** Most would-be-denied share of evaluated events (default 0). */
  maxWouldDenyRatio: number;
}

export const DEFAULT_THRESHOLD: Threshold = { maxWouldDenyEvents: 0, maxWouldDenyRatio: 0 };

interface NpPeer {
  cidr?: NonNullable<ReturnType<typeof parseCidr4>>;
  except: NonNullable<ReturnType<typeof parseCidr4>>[];
  namespace?: string;
  labels?: Record<string, string>;
}
interface NpRule {
  peers: NpPeer[];
  ports?: number[];
}

type YamlPeer = {
  ipBlock?: { cidr?: string; except?: string[] };
  namespaceSelector?: { matchLabels?: Record<string, string> };
  podSelector?: { matchLabels?: Record<string, string> };
};

function networkRules(yamlText: string): NpRule[] {
  const np = parse(yamlText) as { spec?: { egress?: { to?: YamlPeer[]; ports?: { port?: number }[] }[] } };
  return (np.spec?.egress ?? []).map((r) => ({
    peers: (r.to ?? []).map((t): NpPeer => {
      const cidr = t.ipBlock?.cidr ? parseCidr4(t.ipBlock.cidr) : undefined;
      return {
        ...(cidr ? { cidr } : {}),
        except: (t.ipBlock?.except ?? []).map((e) => parseCidr4(e)).filter((c): c is NonNullable<typeof c> => !!c),
        ...(t.namespaceSelector
          ? { namespace: t.namespaceSelector.matchLabels?.['kubernetes.io/metadata.name'] ?? '*' }
          : {}),
        ...(t.podSelector ? { labels: t.podSelector.matchLabels ?? {} } : {}),
      };
    }),
    ...(r.ports ? { ports: r.ports.map((p) => Number(p.port)) } : {}),
  }));
}

const podsOf = (b: ObservedBehavior): string[] => {
  const p = b.attrs.podName ?? b.attrs.pod;
  return typeof p === 'string' ? [p] : Array.isArray(p) ? p.filter((x): x is string => typeof x === 'string') : [];
};

function peerAllows(
  peer: NpPeer,
  cidr: NonNullable<ReturnType<typeof parseCidr4>>,
  dest: { namespace: string; labels: Record<string, string> } | undefined,
): boolean {
  if (peer.cidr) return cidrContains(peer.cidr, cidr) && !peer.except.some((e) => cidrContains(e, cidr));
  if (!dest || peer.labels === undefined) return false;
  if (peer.namespace !== undefined && peer.namespace !== '*' && peer.namespace !== dest.namespace) return false;
  return Object.entries(peer.labels).every(([k, v]) => dest.labels[k] === v);
}

/** Would-be-denied events of one subject's window against its monitored artifacts, per kind evaluated. */
export function wouldBeDenied(
  artifacts: MonitoredArtifacts,
  window: ObservedBehavior[],
  leases: PodLease[] = [],
): { denied: WouldDeny[]; evaluated: Record<ArtifactKind, number> } {
  const denied: WouldDeny[] = [];
  const evaluated: Record<ArtifactKind, number> = { network: 0, seccomp: 0, iam: 0 };
  const rules = artifacts.networkPolicy ? networkRules(artifacts.networkPolicy) : undefined;
  const leaseOf = new Map(leases.map((l) => [l.ip, l.subject]));
  const profile = artifacts.seccompProfile;
  const iamSet = artifacts.iamPolicies
    ? {
        identity: artifacts.iamPolicies.map(
          (document, i): NamedPolicy => ({ id: `tightened-${i}`, name: `tightened-${i}`, kind: 'managed', document }),
        ),
      }
    : undefined;
  const deny = (b: ObservedBehavior, kind: ArtifactKind, reason: string, key = b.key) =>
    denied.push({ subject: artifacts.subject, kind, key, count: b.count, pods: podsOf(b), reason });

  for (const b of window) {
    if (rules && b.key.startsWith('net:egress:')) {
      const parsed = parseEgressKey(b.key);
      const cidr = parsed && parseCidr4(parsed.cidr);
      if (!parsed || !cidr) continue;
      evaluated.network += b.count;
      if (parsed.port === '53') continue;
      const port = parsed.port === '*' ? undefined : Number(parsed.port);
      const destSubject = cidr.prefix === 32 ? leaseOf.get(parsed.cidr.split('/')[0]!) : undefined;
      const dest = destSubject ? artifacts.peerSelectors?.[destSubject] : undefined;
      const ok = rules.some(
        (r) =>
          r.peers.some((p) => peerAllows(p, cidr, dest)) &&
          (r.ports === undefined || (port !== undefined && r.ports.includes(port))),
      );
      if (!ok) deny(b, 'network', `no egress rule allows ${destSubject ?? parsed.cidr} port ${parsed.port}`);
    } else if (profile && b.key.startsWith('seccomp:logged:')) {
      // The kernel logged it under the monitor profile: the enforce profile would have denied it.
      evaluated.seccomp += b.count;
      deny(b, 'seccomp', `logged by the kernel under the monitor profile (${String(b.attrs.profile ?? 'monitor')})`);
    } else if (profile && b.key.startsWith('syscall:')) {
      evaluated.seccomp += b.count;
      const name = b.key.slice('syscall:'.length);
      const arch = typeof b.attrs.arch === 'string' ? b.attrs.arch : undefined;
      if (!seccompAllows(profile, name, arch)) deny(b, 'seccomp', `${name} is outside the enforce profile`);
    } else if (iamSet && b.key.startsWith('api:')) {
      const call = toApiCall(b);
      if (!call || call.failed) continue;
      if (artifacts.iamRoleArn && call.roleArn && call.roleArn !== artifacts.iamRoleArn) continue;
      evaluated.iam += b.count;
      for (const action of call.actions) {
        const d = evaluate(iamSet, { action, resource: call.resource });
        if (d.decision !== 'allow') {
          deny(b, 'iam', `${action} on ${call.resource}: ${d.decision} (${d.reason})`);
          break;
        }
      }
    }
  }
  if (iamSet) {
    // One record, one call: the actions a record names are alternatives (a traced model call may have streamed).
    const byKey = new Map<string, ReturnType<typeof actionsFromOtherSources>>();
    for (const a of actionsFromOtherSources(artifacts.subject, window))
      byKey.set(a.key, [...(byKey.get(a.key) ?? []), a]);
    for (const [key, alts] of byKey) {
      const a = alts[0]!;
      evaluated.iam += a.count;
      if (alts.some((x) => evaluate(iamSet, { action: x.action, resource: x.resource }).decision === 'allow')) continue;
      const b = { key, count: a.count, firstSeen: a.firstSeen, lastSeen: a.lastSeen, attrs: {} };
      deny(
        b,
        'iam',
        `${alts.map((x) => x.action).join(' or ')} on ${a.resource} (seen in ${a.source}): not allowed`,
        `${a.action}:${key}`,
      );
    }
  }
  return { denied, evaluated };
}

/** Blast radius over several subjects (one agent class). */
export function blastRadius(
  inputs: { artifacts: MonitoredArtifacts; window: ObservedBehavior[] }[],
  leases: PodLease[] = [],
): BlastRadius {
  const all: WouldDeny[] = [];
  const evaluated: Record<ArtifactKind, number> = { network: 0, seccomp: 0, iam: 0 };
  const generated = new Set<ArtifactKind>();
  for (const i of inputs) {
    if (i.artifacts.networkPolicy) generated.add('network');
    if (i.artifacts.seccompProfile) generated.add('seccomp');
    if (i.artifacts.iamPolicies) generated.add('iam');
    const r = wouldBeDenied(i.artifacts, i.window, leases);
    all.push(...r.denied);
    for (const k of ARTIFACT_KINDS) evaluated[k] += r.evaluated[k];
  }
  const perArtifact = {} as BlastRadius['perArtifact'];
  for (const kind of ARTIFACT_KINDS) {
    const mine = all.filter((d) => d.kind === kind).sort((a, b) => b.count - a.count);
    perArtifact[kind] = {
      measured: evaluated[kind] > 0,
      evaluatedEvents: evaluated[kind],
      wouldDenyEvents: mine.reduce((n, d) => n + d.count, 0),
      keys: mine.length,
      examples: mine.slice(0, 5),
    };
  }
  // IAM is proposed for review, never applied by the rollout: its figures go to the pull request, and only the
  // kinds the rollout applies decide whether the class was measured.
  const notMeasured = [...generated].filter((k) => evaluated[k] === 0);
  const applied = [...generated].filter((k) => k !== 'iam');
  return {
    perArtifact,
    wouldDeny: all,
    wouldDenyEvents: all.reduce((n, d) => n + d.count, 0),
    evaluatedEvents: ARTIFACT_KINDS.reduce((n, k) => n + evaluated[k], 0),
    affectedSubjects: [...new Set(all.map((d) => d.subject))].sort(),
    affectedPods: [...new Set(all.flatMap((d) => d.pods))].sort(),
    measured: applied.length > 0 ? applied.every((k) => evaluated[k] > 0) : evaluated.iam > 0,
    notMeasured,
  };
}

/** Whether a measured blast radius is within the threshold; a window with no events is never within it. */
export function withinThreshold(b: BlastRadius, t: Threshold = DEFAULT_THRESHOLD): boolean {
  if (!b.measured || b.evaluatedEvents === 0) return false;
  const ratio = b.wouldDenyEvents / b.evaluatedEvents;
  return b.wouldDenyEvents <= t.maxWouldDenyEvents && ratio <= t.maxWouldDenyRatio + 1e-12;
}
