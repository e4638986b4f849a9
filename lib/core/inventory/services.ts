/**
 * The services side of the inventory, from the same aggregates as the rest: the Bedrock agents a subject is or runs
 * through (agentId / alias / version recorded on its trace rows), the action groups, knowledge bases and
 * collaborator agents it called (`tool:<group>/<fn>`, `kb:<id>`, `agent:<alias>`), the network destinations it
 * reached (`dns:<host>` names; `net:egress:<ip>/32:<port>` addresses, kept apart because a flow does not say which
 * name it resolved) and the container images it ran (`image:<ref>`).
 */
import type { AggregateRow } from '../store/aggregate-row.ts';
import type { AgentToolItem, BedrockAgentItem, EndpointItem, ImageItem } from './types.ts';

/** Destinations kept per snapshot: a subject that talks to the whole internet must not make an unbounded BOM. */
export const MAX_ENDPOINTS = 200;

export interface ServicesPart {
  agents: BedrockAgentItem[];
  agentTools: AgentToolItem[];
  endpoints: EndpointItem[];
  endpointsOmitted: number;
  images: ImageItem[];
}

const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
const IMAGE = /^(?<name>[^@]+?)(?::(?<tag>[\w][\w.-]{0,127}))?(?:@(?<digest>sha256:[0-9a-f]{64}))?$/;
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Earliest first-seen / latest last-seen of an item seen again. */
function touch(item: { firstSeen: string; lastSeen: string }, r: AggregateRow, lastSeen: string): void {
  if (r.firstSeen < item.firstSeen) item.firstSeen = r.firstSeen;
  if (lastSeen > item.lastSeen) item.lastSeen = lastSeen;
}

/** Services of a subject from its rows in the snapshot period; `lastSeenOf` clips a row's last-seen to the snapshot. */
export function collectServices(
  subject: string,
  rows: readonly AggregateRow[],
  lastSeenOf: (r: AggregateRow) => string,
): ServicesPart {
  const agents = new Map<string, BedrockAgentItem>();
  const tools = new Map<string, AgentToolItem>();
  const endpoints = new Map<string, EndpointItem>();
  const images = new Map<string, ImageItem>();
  const own = /^bedrock:([^/]+)\/(.+)$/.exec(subject);

  const agentOf = (r: AggregateRow): string | undefined => {
    const id = str(r.attrs.agentId) ?? (own ? own[2] : undefined);
    if (!id) return undefined;
    const cur = agents.get(id);
    const seen = lastSeenOf(r);
    const region = str(r.attrs.region) ?? (own && own[2] === id ? own[1] : undefined);
    if (!cur)
      agents.set(id, {
        agentId: id,
        firstSeen: r.firstSeen,
        lastSeen: seen,
        ...(str(r.attrs.agentAliasId) ? { aliasId: str(r.attrs.agentAliasId) } : {}),
        ...(str(r.attrs.agentVersion) ? { version: str(r.attrs.agentVersion) } : {}),
        ...(region ? { region } : {}),
      });
    else {
      // The alias and version last seen are the ones in use at the snapshot.
      if (seen >= cur.lastSeen) {
        if (str(r.attrs.agentAliasId)) cur.aliasId = str(r.attrs.agentAliasId);
        if (str(r.attrs.agentVersion)) cur.version = str(r.attrs.agentVersion);
      }
      cur.region ??= region;
      touch(cur, r, seen);
    }
    return id;
  };
  const addTool = (kind: AgentToolItem['kind'], name: string, fn: string | undefined, r: AggregateRow) => {
    const agentId = agentOf(r);
    const id = `${kind}:${name}`;
    const cur = tools.get(id);
    if (!cur) {
      tools.set(id, {
        kind,
        name,
        functions: fn ? [fn] : [],
        count: r.count,
        firstSeen: r.firstSeen,
        lastSeen: lastSeenOf(r),
        ...(agentId ? { agentId } : {}),
      });
      return;
    }
    cur.count += r.count;
    if (fn && !cur.functions.includes(fn) && cur.functions.length < 100) cur.functions.push(fn);
    cur.agentId ??= agentId;
    touch(cur, r, lastSeenOf(r));
  };
  const addEndpoint = (id: string, e: Omit<EndpointItem, 'count' | 'firstSeen' | 'lastSeen'>, r: AggregateRow) => {
    const cur = endpoints.get(id);
    if (cur) {
      cur.count += r.count;
      touch(cur, r, lastSeenOf(r));
    } else endpoints.set(id, { ...e, count: r.count, firstSeen: r.firstSeen, lastSeen: lastSeenOf(r) });
  };

  for (const r of rows) {
    const k = r.key;
    if (k.startsWith('tool:')) {
      const body = k.slice(5);
      const slash = body.indexOf('/');
      addTool(
        'action-group',
        slash < 0 ? body : body.slice(0, slash),
        slash < 0 ? undefined : body.slice(slash + 1),
        r,
      );
    } else if (k.startsWith('kb:')) addTool('knowledge-base', k.slice(3), undefined, r);
    else if (k.startsWith('agent:')) addTool('collaborator', k.slice(6), undefined, r);
    else if (k.startsWith('model:') && !k.startsWith('model:file:') && str(r.attrs.agentId)) agentOf(r);
    else if (k.startsWith('dns:')) {
      const host = k.slice(4).toLowerCase();
      addEndpoint(`host:${host}`, { host, aws: /\.amazonaws\.com\.?$/.test(host) }, r);
    } else if (k.startsWith('net:egress:')) {
      const m = /^net:egress:([^/\s]+)\/\d+:(\d+|\*)$/.exec(k);
      if (m)
        addEndpoint(
          `ip:${m[1]}:${m[2]}`,
          { ip: m[1]!, ...(m[2] !== '*' ? { port: Number(m[2]) } : {}), aws: false },
          r,
        );
    } else if (k.startsWith('image:')) {
      const ref = k.slice(6);
      const m = IMAGE.exec(ref);
      const cur = images.get(ref);
      if (cur) cur.lastSeen = lastSeenOf(r) > cur.lastSeen ? lastSeenOf(r) : cur.lastSeen;
      else if (m?.groups)
        images.set(ref, {
          ref,
          name: m.groups.name!,
          lastSeen: lastSeenOf(r),
          ...(m.groups.tag ? { tag: m.groups.tag } : {}),
          ...(m.groups.digest ? { digest: m.groups.digest } : {}),
        });
    }
  }
  if (own && !agents.has(own[2]!))
    agents.set(own[2]!, {
      agentId: own[2]!,
      region: own[1]!,
      firstSeen: rows[0]?.firstSeen ?? '',
      lastSeen: rows.at(-1)?.lastSeen ?? '',
    });
  // Named destinations first, then the busiest addresses.
  const allEndpoints = [...endpoints.values()].sort(
    (a, b) => Number(!a.host) - Number(!b.host) || b.count - a.count || cmp(a.host ?? a.ip!, b.host ?? b.ip!),
  );
  return {
    agents: [...agents.values()].sort((a, b) => cmp(a.agentId, b.agentId)).filter((a) => a.firstSeen !== ''),
    agentTools: [...tools.values()].sort((a, b) => cmp(`${a.kind}:${a.name}`, `${b.kind}:${b.name}`)),
    endpoints: allEndpoints.slice(0, MAX_ENDPOINTS),
    endpointsOmitted: Math.max(0, allEndpoints.length - MAX_ENDPOINTS),
    images: [...images.values()].sort((a, b) => cmp(a.ref, b.ref)),
  };
}
