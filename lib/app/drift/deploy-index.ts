/**
 * Deploy events indexed by time, so a run finds a subject's deploys without reading every subject (a Bedrock agent
 * update is recorded under the principal that made it, not under the agent):
 * - `drift-deploy / agent:<agentId> / <time>#<id>`: CloudTrail deploys of a Bedrock agent (its owner decides whose
 *   they are); `drift-deploy / s:<subject> / <time>#<id>`: the other CloudTrail deploys, under their own subject;
 * - `drift-agent / global / <agentId>`: the subjects whose traces name the agent; the first of them owns it, as
 *   lib/app/drift/service.ts's full run decides (else `bedrock:<region>/<agentId>`).
 * Inventory deploys (a Deployment's container starts) are the subject's own and come from its state.
 */
import {
  type AgentOwner,
  deployEventsFromCloudTrail,
  deployEventsFromInventory,
  mergeDeployEvents,
} from '../../core/deploy-events/index.ts';
import type { DeployEvent } from '../../core/deploy-events/types.ts';
import type { Observation } from '../../core/observation.ts';
import type { Store } from '../../ports.ts';

export const DEPLOY_DOC = 'drift-deploy';
export const AGENT_DOC = 'drift-agent';

/** A CloudTrail deploy as indexed: the event, and the Bedrock agent it changed when it names one. */
export interface IndexedDeploy {
  event: DeployEvent;
  agent?: { region: string; agentId: string };
}

const docId = (e: DeployEvent) => `${e.time}#${e.id}`;
const scopeOf = (d: IndexedDeploy) => (d.agent ? `agent:${d.agent.agentId}` : `s:${d.event.subject}`);

/** The CloudTrail deploys in observations, each with the agent it names. */
export function cloudTrailDeploys(observations: readonly Observation[]): IndexedDeploy[] {
  const out: IndexedDeploy[] = [];
  for (const o of observations) {
    if (o.source !== 'cloudtrail' || o.attrs.deployEvent !== true) continue;
    let agent: IndexedDeploy['agent'];
    const owner: AgentOwner = (region, agentId) => {
      agent = { region, agentId };
      return `bedrock:${region}/${agentId}`;
    };
    for (const event of deployEventsFromCloudTrail([o], owner)) out.push({ event, ...(agent ? { agent } : {}) });
  }
  return out;
}

/** Bedrock agent ids named by a subject's traces. */
export function traceAgents(observations: readonly Observation[]): string[] {
  const ids = new Set<string>();
  for (const o of observations)
    if (o.source === 'bedrock-trace' && typeof o.attrs.agentId === 'string') ids.add(o.attrs.agentId);
  return [...ids].sort();
}

/** A node-agent start inventory observation (image, prompt, MCP): a Deployment's own deploys come from these. */
export function isStartInventory(o: Observation): boolean {
  return o.source === 'node-agent' && (o.kind === 'image' || o.kind === 'prompt' || o.kind === 'mcp');
}

/** The start inventory among observations. */
export function startInventory(observations: readonly Observation[]): Observation[] {
  return observations.filter(isStartInventory);
}

/** Indexes deploys; returns those not indexed before (their owners must be judged again from their time). */
export async function indexDeploys(store: Store, deploys: readonly IndexedDeploy[]): Promise<IndexedDeploy[]> {
  const added: IndexedDeploy[] = [];
  for (const d of deploys) {
    if (await store.getDoc(DEPLOY_DOC, scopeOf(d), docId(d.event))) continue;
    await store.putDoc(DEPLOY_DOC, scopeOf(d), docId(d.event), d);
    added.push(d);
  }
  return added;
}

/** Subjects whose traces name each agent (the owner candidates). */
export async function agentSubjects(store: Store, agentId: string): Promise<string[]> {
  return (await store.getDoc<{ subjects: string[] }>(AGENT_DOC, 'global', agentId))?.body.subjects ?? [];
}

/** Records that `subject`'s traces name `agentId`; returns the owner before and after when it changed. */
export async function addAgentSubject(
  store: Store,
  agentId: string,
  subject: string,
): Promise<{ before?: string; after: string } | undefined> {
  const doc = await store.getDoc<{ subjects: string[] }>(AGENT_DOC, 'global', agentId);
  const subjects = doc?.body.subjects ?? [];
  if (subjects.includes(subject)) return undefined;
  const next = [...subjects, subject].sort();
  await store.putDoc(AGENT_DOC, 'global', agentId, { subjects: next }, { expectVersion: doc?.version ?? 0 });
  return next[0] === subjects[0] ? undefined : { ...(subjects[0] ? { before: subjects[0] } : {}), after: next[0]! };
}

/** The indexed CloudTrail deploys of an agent (any time). */
export async function agentDeploys(store: Store, agentId: string): Promise<IndexedDeploy[]> {
  return (await store.listDocs<IndexedDeploy>(DEPLOY_DOC, `agent:${agentId}`)).map((d) => d.body);
}

/**
 * The deploys of `subject` in [from, to]: its own CloudTrail deploys, those of the agents it owns (its own agent id
 * for a `bedrock:` subject, the agents its traces name), and the deploys of its start inventory.
 */
export async function deploysOf(
  store: Store,
  subject: string,
  agents: readonly string[],
  inventory: Observation[],
  from: string,
  to: string,
): Promise<DeployEvent[]> {
  const own = /^bedrock:[^/]+\/(.+)$/.exec(subject)?.[1];
  const range = { fromId: from, toId: `${to}~` };
  const cloudtrail: DeployEvent[] = (await store.listDocs<IndexedDeploy>(DEPLOY_DOC, `s:${subject}`, range)).map(
    (d) => d.body.event,
  );
  for (const agentId of new Set([...(own ? [own] : []), ...agents])) {
    const owners = await agentSubjects(store, agentId);
    for (const d of await store.listDocs<IndexedDeploy>(DEPLOY_DOC, `agent:${agentId}`, range)) {
      const agent = d.body.agent!;
      const owner = owners[0] ?? `bedrock:${agent.region}/${agent.agentId}`;
      if (owner === subject) cloudtrail.push({ ...d.body.event, subject });
    }
  }
  const fromInventory = deployEventsFromInventory(inventory).filter((e) => e.time >= from && e.time <= `${to}~`);
  return mergeDeployEvents(cloudtrail, fromInventory);
}
