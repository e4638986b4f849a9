/**
 * The demo's world: the reference incident (the customer-support agent, from ./scenarios) plus, in the same
 * namespace, a read-only retrieval agent and a code-execution agent, a standalone Bedrock agent (./world/neighbours.ts)
 * and the support agent's staging Deployment (./world/staging.ts). Everything is telemetry in the real source formats
 * that goes through the real parsers and store; declared scopes and labels are what the IAM/EKS readers would return
 * (./world/scopes.ts).
 */

import type { TrailConfig } from '../core/coverage/action-coverage.ts';
import type { IdentityResolver } from '../core/identity/types.ts';
import type { DeclaredScopeInput } from '../core/reconcile/types.ts';
import type { NodeAgentRecordInput } from '../core/sources/node-agent.ts';
import { Rng } from './rng.ts';
import { nodeAgentBatch } from './scenarios/formats.ts';
import { generateScenario } from './scenarios/generate.ts';
import { scenarioIdentity } from './scenarios/identity.ts';
import { referenceIncidentSpec } from './scenarios/reference-incident.ts';
import type { GeneratedScenario, Telemetry } from './scenarios/types.ts';
import {
  coderHour,
  HOUR,
  HR_AGENT,
  hrAgentHour,
  neighbourStart,
  retrieverHour,
  type WorldRun,
} from './world/neighbours.ts';
import { type WorldSubjects, worldIdentity, worldLabels, worldScopes, worldTrails } from './world/scopes.ts';
import { STAGING_CLUSTER, stagingWeek } from './world/staging.ts';

export interface DemoWorld {
  incident: GeneratedScenario;
  extra: Telemetry;
  identity: IdentityResolver;
  subjects: WorldSubjects;
  labels: Record<string, Record<string, string>>;
  scopes: DeclaredScopeInput[];
  /** The account trail's selectors, as the coverage readers return them: management events and S3 data events. */
  trails: TrailConfig;
}

const DAY = 86_400_000;

/**
 * The scenario's start: the Monday (00:00 UTC) at least seven weeks before `now`, and enough days to reach `now`, so
 * the week-7 incident is recent and the commands a user runs after the demo (which look back from the current time)
 * see it. Without `now` the fixed reference dates are used.
 */
export function demoTimeline(now?: number): { start: string; days: number } {
  if (now === undefined) return { start: referenceIncidentSpec().start, days: referenceIncidentSpec().days };
  const earliest = now - 49 * DAY;
  const d = new Date(Math.floor(earliest / DAY) * DAY);
  const monday = d.getTime() - ((d.getUTCDay() + 6) % 7) * DAY;
  return { start: new Date(monday).toISOString(), days: Math.floor((now - monday) / DAY) };
}

/** Builds the demo world deterministically from a seed (and, given `now`, a timeline ending at `now`). */
export function demoWorld(seed = 7, now?: number): DemoWorld {
  const incident = generateScenario({ ...referenceIncidentSpec(seed), ...demoTimeline(now) });
  const spec = incident.spec;
  const w: WorldRun = {
    spec,
    rng: new Rng(seed * 31 + 5),
    extra: { cloudtrail: [], invocations: [], traces: [], flows: [], nodeAgent: [] },
  };
  const start = Date.parse(spec.start);
  const end = start + spec.days * DAY;
  const subj = (d: string) => `k8s:${spec.cluster}/${spec.namespace}/${d}`;
  const subjects: WorldSubjects = {
    support: incident.truth.subject,
    retriever: subj('kb-retriever'),
    coder: subj('code-runner'),
    bedrock: `bedrock:${spec.region}/${HR_AGENT}`,
    staging: `k8s:${STAGING_CLUSTER}/${spec.namespace}/${spec.deployment}`,
  };
  for (let t = start; t < end; t += HOUR) {
    const iso = new Date(t).toISOString();
    const hourOfDay = new Date(t).getUTCHours();
    const business = hourOfDay >= 8 && hourOfDay < 18;
    const records: NodeAgentRecordInput[] = t === start ? neighbourStart(w, iso) : [];
    retrieverHour(w, t, business, records);
    coderHour(w, t, business, records);
    if (records.length > 0) {
      const isoEnd = new Date(t + HOUR - 1).toISOString();
      w.extra.nodeAgent.push(nodeAgentBatch(spec.nodes[0]!, spec.cluster, iso, isoEnd, records));
    }
    hrAgentHour(w, t, business);
  }
  stagingWeek(w, start);
  const identity = worldIdentity(spec, subjects, scenarioIdentity(incident));
  const readAt = new Date(end).toISOString();
  const scopes = worldScopes(spec, subjects, readAt);
  const labels = worldLabels(scopes, subjects);
  return { incident, extra: w.extra, identity, subjects, labels, scopes, trails: worldTrails(spec, readAt) };
}
