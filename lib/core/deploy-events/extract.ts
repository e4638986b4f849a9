/**
 * Derives deploy events from observations. Two origins are covered here:
 * - CloudTrail management events the CloudTrail parser marks `attrs.deployEvent = true` (Bedrock UpdateAgent,
 *   PrepareAgent, CreateAgentAlias, UpdateAgentAlias, Create/UpdateAgentActionGroup ...), attributed to the agent
 *   named in the call's resource, not to the principal that made the call;
 * - node-agent container-start inventory (image digest, prompt files with their sha256, MCP servers spawned): a
 *   change between successive starts of the same Deployment is a rollout.
 * Runtime behavior itself (a new `model:` key in an invocation log) is never turned into a deploy event, or every
 * change would explain itself.
 */
import type { Observation } from '../observation.ts';
import { keys, parseSubject } from '../observation.ts';
import type { DeployEvent, DeployKind } from './types.ts';

/** Maps a Bedrock agent (region, agentId) to the subject that owns it; default `bedrock:<region>/<agentId>`. */
export type AgentOwner = (region: string, agentId: string) => string;

const defaultOwner: AgentOwner = (region, agentId) => `bedrock:${region}/${agentId}`;

const ACTION_KIND: Record<string, DeployKind> = {
  UpdateAgent: 'agent-config',
  CreateAgent: 'agent-config',
  PrepareAgent: 'agent-config',
  CreateAgentAlias: 'agent-config',
  UpdateAgentAlias: 'agent-config',
  CreateAgentActionGroup: 'tool-catalog',
  UpdateAgentActionGroup: 'tool-catalog',
  DeleteAgentActionGroup: 'tool-catalog',
  AssociateAgentKnowledgeBase: 'tool-catalog',
  DisassociateAgentKnowledgeBase: 'tool-catalog',
  UpdateAgentKnowledgeBase: 'tool-catalog',
};

/** `api:bedrock:UpdateAgent:arn:aws:bedrock:us-east-1:111:agent/AGENT` -> parts. */
function parseApiKey(key: string): { service: string; action: string; resource: string } | undefined {
  const m = /^api:([^:]+):([^:]+):(.*)$/.exec(key);
  return m ? { service: m[1]!, action: m[2]!, resource: m[3]! } : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

function agentOf(obs: Observation, resource: string): { region: string; agentId: string } | undefined {
  const arn = /^arn:[^:]+:bedrock:([^:]+):[^:]*:agent(?:-alias)?\/([A-Z0-9]+)/.exec(resource);
  if (arn) return { region: arn[1]!, agentId: arn[2]! };
  const agentId = str(obs.attrs.agentId);
  const region = str(obs.attrs.awsRegion) ?? str(obs.attrs.region);
  return agentId && region ? { region, agentId } : undefined;
}

/** Deploy events from CloudTrail observations marked `attrs.deployEvent`. */
export function deployEventsFromCloudTrail(
  observations: Observation[],
  owner: AgentOwner = defaultOwner,
): DeployEvent[] {
  const out: DeployEvent[] = [];
  for (const obs of observations) {
    if (obs.source !== 'cloudtrail' || obs.attrs.deployEvent !== true) continue;
    const api = parseApiKey(obs.key);
    if (!api) continue;
    const agent = agentOf(obs, api.resource);
    const subject = agent ? owner(agent.region, agent.agentId) : obs.subject;
    const model = str(obs.attrs.foundationModel);
    const instructionSha = str(obs.attrs.instructionSha256);
    let kind: DeployKind = ACTION_KIND[api.action] ?? 'agent-config';
    const adds: string[] = [];
    let to: string | undefined;
    if (model) {
      kind = 'model';
      to = model;
      adds.push(keys.model(model));
    } else if (instructionSha) {
      kind = 'prompt';
      to = instructionSha;
    }
    const group = str(obs.attrs.actionGroupName);
    if (kind === 'tool-catalog' && group) {
      const fns = obs.attrs.functions;
      if (Array.isArray(fns)) for (const f of fns) if (typeof f === 'string') adds.push(keys.tool(group, f));
    }
    out.push({
      id: obs.id,
      subject,
      time: obs.time,
      kind,
      origin: 'cloudtrail',
      ...(to ? { to } : {}),
      adds,
      removes: [],
      observationId: obs.id,
      summary: `${api.action}${to ? ` -> ${to}` : ''}`,
    });
  }
  return out;
}

interface StartGroup {
  subject: string;
  time: string;
  image?: Observation;
  prompts: Observation[];
  mcp: string[];
}

/**
 * Deploy events from node-agent container-start inventory (lib/core/sources/node-agent.ts), per subject in time order:
 * - an `image:` observation whose digest differs from the Deployment's previous one (`attrs.deployEvent`, or a
 *   digest change between successive starts) -> `image` rollout;
 * - a `prompt:<path>` whose `attrs.sha256` differs from the previous start's -> `prompt` revision;
 * - a different set of MCP servers at start -> `tool-catalog` change, adding `tool:mcp:<server>/*` for new servers.
 * The first start of a subject is its baseline, not a deploy. Replicas starting with the same content add nothing.
 */
export function deployEventsFromInventory(observations: Observation[]): DeployEvent[] {
  const groups = new Map<string, StartGroup>();
  for (const o of observations) {
    if (o.source !== 'node-agent') continue;
    if (o.kind !== 'image' && o.kind !== 'prompt' && o.kind !== 'mcp') continue;
    const gid = `${o.subject}\u0000${o.time}\u0000${o.correlation.containerId ?? o.correlation.podName ?? ''}`;
    let g = groups.get(gid);
    if (!g) {
      g = { subject: o.subject, time: o.time, prompts: [], mcp: [] };
      groups.set(gid, g);
    }
    if (o.kind === 'image') g.image = o;
    else if (o.kind === 'prompt') g.prompts.push(o);
    else g.mcp.push(o.key);
  }
  const ordered = [...groups.values()].sort(
    (a, b) => a.time.localeCompare(b.time) || a.subject.localeCompare(b.subject),
  );
  const last = new Map<string, { digest?: string; prompts: Map<string, string>; mcp?: string[] }>();
  const out: DeployEvent[] = [];
  const seen = new Set<string>();
  for (const g of ordered) {
    let s = last.get(g.subject);
    const first = !s;
    if (!s) {
      s = { prompts: new Map() };
      last.set(g.subject, s);
    }
    const push = (
      kind: DeployKind,
      obs: Observation,
      from: string | undefined,
      to: string,
      adds: string[],
      summary: string,
    ) => {
      const id = `deploy:${g.subject}:${kind}:${to}`;
      if (seen.has(id)) return;
      seen.add(id);
      out.push({
        id,
        subject: g.subject,
        time: g.time,
        kind,
        origin: 'inventory',
        ...(from ? { from } : {}),
        to,
        adds,
        removes: [],
        observationId: obs.id,
        summary,
      });
    };
    if (g.image) {
      const digest = str(g.image.attrs.digest);
      const previous = str(g.image.attrs.previousDigest) ?? s.digest;
      if (digest && previous && digest !== previous && (g.image.attrs.deployEvent === true || !first)) {
        push(
          'image',
          g.image,
          previous,
          digest,
          [],
          `rollout ${g.image.attrs.image ?? ''} ${previous.slice(7, 19)} -> ${digest.slice(7, 19)}`,
        );
      }
      if (digest) s.digest = digest;
    }
    for (const p of g.prompts) {
      const sha = str(p.attrs.sha256);
      if (!sha) continue;
      const prev = s.prompts.get(p.key);
      if (prev !== undefined && prev !== sha) {
        push('prompt', p, prev, sha, [p.key], `${p.key} sha256 ${prev.slice(0, 12)} -> ${sha.slice(0, 12)}`);
      }
      s.prompts.set(p.key, sha);
    }
    const mcp = [...new Set(g.mcp)].sort();
    if (s.mcp !== undefined && mcp.join(',') !== s.mcp.join(',') && g.image) {
      const added = mcp.filter((k) => !s.mcp!.includes(k));
      const adds = added.flatMap((k) => [k, `tool:mcp:${k.slice(k.indexOf(':', 4) + 1)}/*`]);
      push(
        'tool-catalog',
        g.image,
        s.mcp.join(','),
        mcp.join(','),
        adds,
        `MCP servers +${added.length} -${s.mcp.filter((k) => !mcp.includes(k)).length}`,
      );
    }
    if (g.image) s.mcp = mcp;
  }
  return out;
}

/** Merges deploy events from several origins, de-duplicated by id, in time order. */
export function mergeDeployEvents(...lists: DeployEvent[][]): DeployEvent[] {
  const byId = new Map<string, DeployEvent>();
  for (const list of lists) for (const e of list) if (!byId.has(e.id)) byId.set(e.id, e);
  return [...byId.values()].sort((a, b) => a.time.localeCompare(b.time) || a.id.localeCompare(b.id));
}

/** True when `subject` is a well-formed subject id; used to validate declared deploy events. */
export function isSubjectId(subject: string): boolean {
  return parseSubject(subject) !== undefined;
}
