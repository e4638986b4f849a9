/**
 * Drift service: reads aggregates, evidence and deploy events from the Store, judges every subject's agent sessions
 * and classifies its window-level changes in the period with the pure core (lib/core/drift), stores each drift object
 * as a Doc (kind `drift`, scope = subject, id = the item id without the subject: first window, or session start and
 * session) and publishes each as "Warden Drift Detected" through an EventSink. Every judged session's verdict and each
 * agent's calibration come back with the items.
 */
import {
  type AgentOwner,
  deployEventsFromCloudTrail,
  deployEventsFromInventory,
  mergeDeployEvents,
} from '../../core/deploy-events/index.ts';
import type { DeployEvent } from '../../core/deploy-events/types.ts';
import { judgeDrift } from '../../core/drift/classify.ts';
import { driftDocId } from '../../core/drift/session/items.ts';
import type { Calibration, SessionVerdict } from '../../core/drift/session/types.ts';
import { DEFAULT_DRIFT_OPTIONS, type DriftObject, type DriftOptions } from '../../core/drift/types.ts';
import type { Observation } from '../../core/observation.ts';
import type { EventSink, Store, WardenEvent } from '../../ports.ts';
import { isStartInventory } from './deploy-index.ts';

export const DRIFT_DETAIL_TYPE = 'Warden Drift Detected';
export const DRIFT_DOC = 'drift';

export interface DriftRunOptions {
  /** End of the period (ISO); default now. */
  now?: string;
  /** Period length in ms; default 30 days. */
  sinceMs?: number;
  /** Only these subjects (default: every k8s:, bedrock: and local: subject). */
  subjects?: string[];
  options?: Partial<DriftOptions>;
  sink?: EventSink;
  /** Store drift docs (default true). */
  persist?: boolean;
}

export interface DriftRun {
  from: string;
  to: string;
  items: DriftObject[];
  deploys: DeployEvent[];
  published: number;
  /** Every agent session of the period: score, verdict, calibrated rate, reasons. */
  sessions: SessionVerdict[];
  /** Each agent's calibration at the end of the period (method, benign sessions, threshold or why there is none). */
  calibrations: Calibration[];
}

/** The drift event as EventBridge carries it (DESIGN.md contract). */
export function driftEvent(d: DriftObject): WardenEvent<DriftObject> {
  return { source: 'warden', detailType: DRIFT_DETAIL_TYPE, detail: d, time: d.from };
}

/** Evidence de-duplicated by observation id (a store may return a row once per index it matched). */
export function uniqueById(observations: Observation[]): Observation[] {
  const seen = new Set<string>();
  return observations.filter((o) => (seen.has(o.id) ? false : (seen.add(o.id), true)));
}

/** Subjects drift judges: agents (a Kubernetes Deployment, a Bedrock agent, a local process), not principals. */
export function isAgentSubject(s: string): boolean {
  return s.startsWith('k8s:') || s.startsWith('bedrock:') || s.startsWith('local:');
}

/**
 * The deploy events of the span from every subject's evidence, read one subject at a time: only what deploys come
 * from is kept (CloudTrail deploy calls, node-agent start inventory, which subject's traces name each Bedrock agent
 * first), so memory holds one subject's evidence, not the store's.
 */
async function deploysFromEvidence(
  store: Store,
  subjects: readonly string[],
  from: string,
  to: string,
): Promise<DeployEvent[]> {
  const owners = new Map<string, string>();
  const kept: Observation[] = [];
  for (const subject of subjects)
    for (const o of await store.evidence(subject, from, to)) {
      const id = o.attrs.agentId;
      if (o.source === 'bedrock-trace' && typeof id === 'string' && !owners.has(id)) owners.set(id, o.subject);
      if ((o.source === 'cloudtrail' && o.attrs.deployEvent === true) || isStartInventory(o)) kept.push(o);
    }
  const owner: AgentOwner = (region, agentId) => owners.get(agentId) ?? `bedrock:${region}/${agentId}`;
  const unique = uniqueById(kept);
  return mergeDeployEvents(deployEventsFromCloudTrail(unique, owner), deployEventsFromInventory(unique));
}

/**
 * Classifies drift over [now - since, now) for every agent subject.
 * @example await runDrift(store, { sinceMs: 30 * 86_400_000, sink: new EventLogSink({ path }) })
 */
export async function runDrift(store: Store, opts: DriftRunOptions = {}): Promise<DriftRun> {
  const options = { ...DEFAULT_DRIFT_OPTIONS, ...opts.options };
  const to = opts.now ?? new Date().toISOString();
  const from = new Date(Date.parse(to) - (opts.sinceMs ?? 30 * 86_400_000)).toISOString();
  const historyFrom = new Date(
    Date.parse(from) - Math.max(options.lookbackMs, options.sessionLookbackMs),
  ).toISOString();
  const all = await store.subjects();
  const targets = (opts.subjects ?? all.map((s) => s.subject).filter(isAgentSubject)).sort();
  // Deploy events may sit under any subject (the CI principal that called UpdateAgent), so every subject is read.
  const deploys = await deploysFromEvidence(
    store,
    all.map((s) => s.subject),
    historyFrom,
    to,
  );
  const items: DriftObject[] = [];
  const sessions: SessionVerdict[] = [];
  const calibrations: Calibration[] = [];
  for (const subject of targets) {
    const aggregates = await store.aggregates(subject, { from: historyFrom, to });
    const evidence = uniqueById(await store.evidence(subject, historyFrom, to));
    const j = judgeDrift({ subject, aggregates, evidence, deploys, from, to, options });
    items.push(...j.items);
    sessions.push(...j.sessions);
    if (j.sessions.length > 0 || j.model.sessions.length > 0) calibrations.push(j.calibration);
  }
  if (opts.persist !== false) for (const d of items) await store.putDoc(DRIFT_DOC, d.subject, driftDocId(d), d);
  let published = 0;
  if (opts.sink && items.length > 0) {
    await opts.sink.publish(items.map(driftEvent));
    published = items.length;
  }
  return { from, to, items, deploys, published, sessions, calibrations };
}
