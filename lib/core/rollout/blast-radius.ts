/**
 * Monitor mode, computed: which legitimate events of an observation window the generated artifacts would have
 * denied. Used where the enforcement point has no native audit mode (IP NetworkPolicies on the VPC CNI, IAM) and
 * as a cross-check where it has one (seccomp SCMP_ACT_LOG, Cilium audit mode).
 *
 * - network: each observed `net:egress:<cidr>:<port>` against the NetworkPolicy's ipBlock rules (port 53 counts as
 *   DNS, which the generated policy allows to kube-dns; the policy names kube-dns by selector, not by IP);
 * - seccomp: each observed `syscall:<name>` against the envelope's allow-list;
 * - iam: each successful observed AWS call replayed through the IAM evaluator against the tightened policies.
 * Blast radius = would-be-denied events (counts), affected subjects and pods, per artifact, with examples.
 */
import { parse } from 'yaml';
import { aggregateCidrs, cidrContains, parseCidr4 } from '../artifacts/cidr.ts';
import { parseEgressKey } from '../artifacts/network-policy.ts';
import { evaluate } from '../iam/evaluate.ts';
import type { NamedPolicy, PolicyDocument } from '../iam/policy.ts';
import { toApiCall } from '../reconcile/iam-rules.ts';
import type { ObservedBehavior } from '../reconcile/types.ts';

export type ArtifactKind = 'network' | 'seccomp' | 'iam';

export interface MonitoredArtifacts {
  subject: string;
  /** NetworkPolicy YAML (as generated). */
  networkPolicy?: string;
  /** seccomp allow-list (syscall names). */
  seccompAllowed?: string[];
  /** Tightened IAM policy documents. */
  iamPolicies?: PolicyDocument[];
}

export interface WouldDeny {
  subject: string;
  kind: ArtifactKind;
  key: string;
  count: number;
  pods: string[];
  reason: string;
}

export interface BlastRadius {
  perArtifact: Record<ArtifactKind, { wouldDenyEvents: number; keys: number; examples: WouldDeny[] }>;
  wouldDeny: WouldDeny[];
  wouldDenyEvents: number;
  /** Events evaluated in the window (denominator of the ratio). */
  evaluatedEvents: number;
  affectedSubjects: string[];
  affectedPods: string[];
}

export interface Threshold {
  /** Most would-be-denied events tolerated before rollback (default 0). */
  maxWouldDenyEvents: number;
  /** Most would-be-denied share of evaluated events (default 0). */
  maxWouldDenyRatio: number;
}

export const DEFAULT_THRESHOLD: Threshold = { maxWouldDenyEvents: 0, maxWouldDenyRatio: 0 };

interface NpRule {
  cidrs: ReturnType<typeof parseCidr4>[];
  ports?: number[];
}

function networkRules(yamlText: string): NpRule[] {
  const np = parse(yamlText) as {
    spec?: { egress?: { to?: { ipBlock?: { cidr?: string } }[]; ports?: { port?: number }[] }[] };
  };
  return (np.spec?.egress ?? []).map((r) => ({
    cidrs: (r.to ?? []).map((t) => (t.ipBlock?.cidr ? parseCidr4(t.ipBlock.cidr) : undefined)).filter(Boolean),
    ports: r.ports ? r.ports.map((p) => Number(p.port)) : undefined,
  }));
}

const podsOf = (b: ObservedBehavior): string[] => {
  const p = b.attrs.podName ?? b.attrs.pod;
  return typeof p === 'string' ? [p] : Array.isArray(p) ? p.filter((x): x is string => typeof x === 'string') : [];
};

/** Would-be-denied events of one subject's window against its monitored artifacts. */
export function wouldBeDenied(
  artifacts: MonitoredArtifacts,
  window: ObservedBehavior[],
): { denied: WouldDeny[]; evaluated: number } {
  const denied: WouldDeny[] = [];
  let evaluated = 0;
  const rules = artifacts.networkPolicy ? networkRules(artifacts.networkPolicy) : undefined;
  const allowedSyscalls = artifacts.seccompAllowed ? new Set(artifacts.seccompAllowed) : undefined;
  const iamSet = artifacts.iamPolicies
    ? {
        identity: artifacts.iamPolicies.map(
          (document, i): NamedPolicy => ({ id: `tightened-${i}`, name: `tightened-${i}`, kind: 'managed', document }),
        ),
      }
    : undefined;

  for (const b of window) {
    const base = { subject: artifacts.subject, key: b.key, count: b.count, pods: podsOf(b) };
    if (rules && b.key.startsWith('net:egress:')) {
      const parsed = parseEgressKey(b.key);
      const cidr = parsed && parseCidr4(parsed.cidr);
      if (!parsed || !cidr) continue;
      evaluated += b.count;
      if (parsed.port === '53') continue;
      const port = parsed.port === '*' ? undefined : Number(parsed.port);
      const ok = rules.some(
        (r) =>
          aggregateCidrs(r.cidrs.filter((c): c is NonNullable<typeof c> => c !== undefined)).some((c) =>
            cidrContains(c, cidr),
          ) &&
          (r.ports === undefined || (port !== undefined && r.ports.includes(port))),
      );
      if (!ok)
        denied.push({ ...base, kind: 'network', reason: `no egress rule allows ${parsed.cidr} port ${parsed.port}` });
    } else if (allowedSyscalls && b.key.startsWith('syscall:')) {
      evaluated += b.count;
      const name = b.key.slice('syscall:'.length);
      if (!allowedSyscalls.has(name))
        denied.push({ ...base, kind: 'seccomp', reason: `${name} is outside the envelope` });
    } else if (iamSet && b.key.startsWith('api:')) {
      const call = toApiCall(b);
      if (!call || call.failed) continue;
      evaluated += b.count;
      for (const action of call.actions) {
        const d = evaluate(iamSet, {
          action,
          resource: call.resource,
          ...(call.roleArn ? { principal: { roleArn: call.roleArn } } : {}),
        });
        if (d.decision !== 'allow') {
          denied.push({ ...base, kind: 'iam', reason: `${action} on ${call.resource}: ${d.decision} (${d.reason})` });
          break;
        }
      }
    }
  }
  return { denied, evaluated };
}

/** Blast radius over several subjects (one agent class). */
export function blastRadius(inputs: { artifacts: MonitoredArtifacts; window: ObservedBehavior[] }[]): BlastRadius {
  const all: WouldDeny[] = [];
  let evaluatedEvents = 0;
  for (const i of inputs) {
    const r = wouldBeDenied(i.artifacts, i.window);
    all.push(...r.denied);
    evaluatedEvents += r.evaluated;
  }
  const perArtifact = {} as BlastRadius['perArtifact'];
  for (const kind of ['network', 'seccomp', 'iam'] as const) {
    const mine = all.filter((d) => d.kind === kind).sort((a, b) => b.count - a.count);
    perArtifact[kind] = {
      wouldDenyEvents: mine.reduce((n, d) => n + d.count, 0),
      keys: mine.length,
      examples: mine.slice(0, 5),
    };
  }
  return {
    perArtifact,
    wouldDeny: all,
    wouldDenyEvents: all.reduce((n, d) => n + d.count, 0),
    evaluatedEvents,
    affectedSubjects: [...new Set(all.map((d) => d.subject))].sort(),
    affectedPods: [...new Set(all.flatMap((d) => d.pods))].sort(),
  };
}

/** Whether a measured blast radius is within the threshold. */
export function withinThreshold(b: BlastRadius, t: Threshold = DEFAULT_THRESHOLD): boolean {
  const ratio = b.evaluatedEvents === 0 ? 0 : b.wouldDenyEvents / b.evaluatedEvents;
  return b.wouldDenyEvents <= t.maxWouldDenyEvents && ratio <= t.maxWouldDenyRatio + 1e-12;
}
