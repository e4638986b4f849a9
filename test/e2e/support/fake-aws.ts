/**
 * A local server speaking the two AWS APIs moto 5.2.1 lacks and the deployed Lambdas call, so the bundled handlers
 * run their real SDK calls end to end (selected per service with `AWS_ENDPOINT_URL_<SERVICE>`, the SDK's own
 * endpoint setting):
 * - Bedrock Agents (REST): GetAgent, ListAgents, ListAgentActionGroups, ListAgentKnowledgeBases,
 *   ListAgentCollaborators, ListTagsForResource — moto has no action groups, knowledge bases or collaborators;
 * - CloudTrail LookupEvents (JSON 1.1) — not implemented by moto.
 * Answers come from the fixtures given at start; every request is kept for the test to look at.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeAgent {
  agentId: string;
  roleArn: string;
  tags: Record<string, string>;
}

export interface FakeAws {
  endpoint: string;
  requests: { method: string; path: string; target?: string }[];
  close(): Promise<void>;
}

const T = '2026-11-01T00:00:00Z';

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startFakeAws(opts: {
  account: string;
  region: string;
  agents: FakeAgent[];
  /** CloudTrail records LookupEvents returns (one page). */
  lookupEvents: Record<string, unknown>[];
}): Promise<FakeAws> {
  const requests: FakeAws['requests'] = [];
  const arn = (id: string) => `arn:aws:bedrock:${opts.region}:${opts.account}:agent/${id}`;
  const agentOf = (id: string) => opts.agents.find((a) => a.agentId === id);
  const route = (method: string, path: string, target?: string): [number, unknown] => {
    if (target?.endsWith('.LookupEvents')) {
      return [
        200,
        {
          Events: opts.lookupEvents.map((e) => ({
            EventId: e.eventID,
            EventName: e.eventName,
            EventSource: e.eventSource,
            EventTime: Date.parse(String(e.eventTime)) / 1000,
            CloudTrailEvent: JSON.stringify(e),
          })),
        },
      ];
    }
    let m = /^\/agents\/([^/]+)\/$/.exec(path);
    if (method === 'GET' && m) {
      const a = agentOf(decodeURIComponent(m[1]!));
      if (!a) return [404, { message: 'agent not found' }];
      return [
        200,
        {
          agent: {
            agentId: a.agentId,
            agentName: a.agentId.toLowerCase(),
            agentArn: arn(a.agentId),
            agentVersion: 'DRAFT',
            agentStatus: 'PREPARED',
            agentResourceRoleArn: a.roleArn,
            idleSessionTTLInSeconds: 600,
            createdAt: T,
            updatedAt: T,
          },
        },
      ];
    }
    if (method === 'POST' && path === '/agents/') {
      return [
        200,
        {
          agentSummaries: opts.agents.map((a) => ({
            agentId: a.agentId,
            agentName: a.agentId,
            agentStatus: 'PREPARED',
            updatedAt: T,
          })),
        },
      ];
    }
    // Every agent has one action group (a function schema) and no knowledge bases or collaborators.
    m = /^\/agents\/([^/]+)\/agentversions\/([^/]+)\/actiongroups\/([^/]+)\/$/.exec(path);
    if (method === 'GET' && m) {
      return [
        200,
        {
          agentActionGroup: {
            agentId: m[1],
            agentVersion: m[2],
            actionGroupId: m[3],
            actionGroupName: 'tickets',
            actionGroupState: 'ENABLED',
            createdAt: T,
            updatedAt: T,
            functionSchema: { functions: [{ name: 'getTicket', parameters: {} }] },
          },
        },
      ];
    }
    m = /^\/agents\/[^/]+\/agentversions\/[^/]+\/(actiongroups|knowledgebases|agentcollaborators)\/$/.exec(path);
    if (method === 'POST' && m) {
      if (m[1] === 'actiongroups') {
        const summary = { actionGroupId: 'AG1', actionGroupName: 'tickets', actionGroupState: 'ENABLED', updatedAt: T };
        return [200, { actionGroupSummaries: [summary] }];
      }
      const key = m[1] === 'knowledgebases' ? 'agentKnowledgeBaseSummaries' : 'agentCollaboratorSummaries';
      return [200, { [key]: [] }];
    }
    m = /^\/tags\/(.+)$/.exec(path);
    if (method === 'GET' && m) {
      const id = decodeURIComponent(m[1]!).split('/').pop()!;
      return [200, { tags: agentOf(id)?.tags ?? {} }];
    }
    return [404, { message: `fake AWS: no route for ${method} ${path} ${target ?? ''}` }];
  };
  const server: Server = createServer(async (req, res) => {
    await body(req);
    const path = (req.url ?? '/').split('?')[0]!;
    const target = req.headers['x-amz-target'] as string | undefined;
    requests.push({ method: req.method ?? '', path, ...(target ? { target } : {}) });
    const [status, payload] = route(req.method ?? '', path, target);
    res.writeHead(status, { 'content-type': target ? 'application/x-amz-json-1.1' : 'application/json' });
    res.end(JSON.stringify(payload));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
