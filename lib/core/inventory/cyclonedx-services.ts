/**
 * The services of the inventory's ML-BOM (see cyclonedx.ts): the Bedrock runtime per region (-> the models it
 * served), each Bedrock agent (-> its action groups, knowledge bases and collaborators, and the models when the
 * subject is the agent itself), MCP servers, and the network destinations: AWS endpoints (provider Amazon Web
 * Services, `https://` since AWS APIs are HTTPS only) and third-party (SaaS) ones, whose scheme a DNS name or a flow
 * does not tell, so their endpoint is the network-path reference `//host` or `//ip:port`.
 * Service `endpoints` are not in the library's model: they are returned as JSON extras keyed by bom-ref.
 */
import { Models } from '@cyclonedx/cyclonedx-library';
import type { Inventory } from './types.ts';

export type Json = Record<string, unknown>;
/** JSON-only additions per bom-ref (the library has no field for them). */
export type ServiceExtras = Map<string, Json>;

/** `warden:*` properties from [name, value] pairs, undefined values left out. */
export function props(entries: [string, string | number | boolean | undefined][]): Models.Property[] {
  return entries.filter(([, v]) => v !== undefined).map(([k, v]) => new Models.Property(`warden:${k}`, String(v)));
}

const AWS = () => new Models.OrganizationalEntity({ name: 'Amazon Web Services' });

// Names and addresses come from observed traffic (hostile input): an endpoint URI is only built from a well-formed
// DNS name, IP address or AWS region; anything else is listed by name without an endpoint.
const HOST = /^(?=.{1,253}\.?$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$/;
const IPV6 = /^[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}$/i;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;
const awsHost = (service: string, region?: string) =>
  region && REGION.test(region) ? [`https://${service}.${region}.amazonaws.com`] : [];

/** `//host`, `//ip:port`, `//[v6]:port` (scheme unknown), or nothing when the parts are not well-formed. */
function networkPath(host: string | undefined, ip: string | undefined, port: number | undefined): string[] {
  const p = port !== undefined && Number.isInteger(port) && port >= 0 && port <= 65535 ? `:${port}` : '';
  // A name whose last label is numeric (`a.0`) is read as a bad IPv4 address by URL parsers: no endpoint for it.
  if (host) return HOST.test(host) && URL.canParse(`https://${host}/`) ? [`//${host}`] : [];
  if (ip && IPV4.test(ip)) return [`//${ip}${p}`];
  if (ip && IPV6.test(ip)) return [`//[${ip}]${p}`];
  return [];
}

/** A remote MCP server named by URL: kept as its endpoint when it is an absolute http(s) URL. */
function urlEndpoint(name: string): string[] {
  if (!/^https?:\/\/\S+$/i.test(name)) return [];
  try {
    return [new URL(name).href];
  } catch {
    return [];
  }
}

export function addServices(
  bom: Models.Bom,
  inv: Inventory,
  subject: Models.Component,
  models: Map<string, Models.Component>,
): ServiceExtras {
  const extras: ServiceExtras = new Map();
  const add = (s: Models.Service, endpoints: string[], parent?: Models.Service) => {
    bom.services.add(s);
    (parent ?? subject).dependencies.add(s.bomRef);
    if (endpoints.length) extras.set(String(s.bomRef.value), { endpoints });
    return s;
  };

  // The Bedrock runtime of each region the models were called in (region unknown: one service without endpoint).
  const regions = new Map<string, string[]>();
  for (const m of inv.models) {
    const region = m.region ?? inv.agents.find((a) => a.region)?.region ?? '';
    regions.set(region, [...(regions.get(region) ?? []), m.modelId]);
  }
  const represented = new Set<string>();
  for (const [region, ids] of regions) {
    const endpoints = awsHost('bedrock-runtime', region);
    const s = new Models.Service('Amazon Bedrock Runtime', {
      bomRef: `service:bedrock-runtime:${region || 'unknown-region'}`,
      group: 'aws',
      provider: AWS(),
      description: 'serves the model invocations',
    });
    for (const p of props([['region', region || undefined]])) s.properties.add(p);
    for (const id of ids) s.dependencies.add(models.get(id)!.bomRef);
    add(s, endpoints);
    for (const e of endpoints) represented.add(e.slice('https://'.length));
  }

  const agentServices = new Map<string, Models.Service>();
  const ownAgent = /^bedrock:[^/]+\/(.+)$/.exec(inv.subject)?.[1];
  for (const a of inv.agents) {
    const endpoints = awsHost('bedrock-agent-runtime', a.region);
    const s = new Models.Service(`Bedrock agent ${a.agentId}`, {
      bomRef: `agent:${a.agentId}`,
      group: 'bedrock-agent',
      provider: AWS(),
      ...(a.version ? { version: a.version } : {}),
      description: 'Amazon Bedrock agent (InvokeAgent)',
    });
    for (const p of props([
      ['agentId', a.agentId],
      ['aliasId', a.aliasId],
      ['region', a.region],
      ['firstSeen', a.firstSeen],
      ['lastSeen', a.lastSeen],
    ]))
      s.properties.add(p);
    if (a.agentId === ownAgent) for (const c of models.values()) s.dependencies.add(c.bomRef);
    agentServices.set(a.agentId, add(s, endpoints));
    for (const e of endpoints) represented.add(e.slice('https://'.length));
  }

  const GROUP = {
    'action-group': 'bedrock-agent-action-group',
    'knowledge-base': 'bedrock-knowledge-base',
    collaborator: 'bedrock-agent-collaborator',
  } as const;
  for (const t of inv.agentTools) {
    const s = new Models.Service(t.name, {
      bomRef: `agent-tool:${t.kind}:${t.name}`,
      group: GROUP[t.kind],
      // Knowledge bases and collaborator agents are Bedrock resources; an action group runs the customer's code.
      ...(t.kind !== 'action-group' ? { provider: AWS() } : {}),
    });
    for (const p of props([
      ['functions', t.functions.join(',') || undefined],
      ['invocations', t.count],
      ['agentId', t.agentId],
      ['firstSeen', t.firstSeen],
      ['lastSeen', t.lastSeen],
    ]))
      s.properties.add(p);
    add(s, [], t.agentId ? agentServices.get(t.agentId) : undefined);
  }

  for (const m of inv.mcpServers) {
    const s = new Models.Service(m.name, { bomRef: `mcp:${m.transport}:${m.name}`, group: 'mcp' });
    for (const p of props([
      ['mcp.transport', m.transport],
      ['mcp.via', m.via],
      ['mcp.command', m.command],
      ['firstSeen', m.firstSeen],
      ['lastSeen', m.lastSeen],
    ]))
      s.properties.add(p);
    add(s, m.transport === 'remote' ? urlEndpoint(m.name) : []);
  }

  for (const e of inv.endpoints) {
    if (e.host && represented.has(e.host)) continue;
    const name = e.host ?? `${e.ip}${e.port !== undefined ? `:${e.port}` : ''}`;
    const s = new Models.Service(name, {
      bomRef: `endpoint:${name}`,
      group: e.aws ? 'aws' : e.host ? 'third-party' : 'egress',
      ...(e.aws ? { provider: AWS() } : {}),
      description: e.host ? 'host name the agent resolved' : 'address the agent connected to (no name observed)',
    });
    for (const p of props([
      ['connections', e.count],
      ['firstSeen', e.firstSeen],
      ['lastSeen', e.lastSeen],
    ]))
      s.properties.add(p);
    const path = networkPath(e.host, e.ip, e.port);
    add(s, e.aws ? path.map((x) => `https:${x}`) : path);
  }
  return extras;
}
