/**
 * Reads a Bedrock agent's configuration (the declared side of a Bedrock agent): GetAgent (instruction, foundation
 * model, guardrail, role), its action groups (ListAgentActionGroups + GetAgentActionGroup for the schema/functions),
 * knowledge bases and collaborators, as one plain typed object. Used by the inventory (prompt version) and by
 * reconciliation (declared scope).
 *
 * moto returns the agent's dates as epoch numbers where the SDK expects ISO strings; {@link epochDatesMiddleware}
 * rewrites them before the SDK parses the response (harmless against AWS, whose dates are already strings).
 */
import {
  BedrockAgentClient,
  type BedrockAgentClientConfig,
  GetAgentActionGroupCommand,
  GetAgentCommand,
  ListAgentActionGroupsCommand,
  ListAgentCollaboratorsCommand,
  type ListAgentCollaboratorsCommandOutput,
  ListAgentKnowledgeBasesCommand,
  type ListAgentKnowledgeBasesCommandOutput,
} from '@aws-sdk/client-bedrock-agent';
import type { BedrockPromptParts } from '../core/inventory/bedrock-prompt.ts';

export interface BedrockAgentConfig {
  agentId: string;
  agentName?: string;
  agentArn?: string;
  agentVersion: string;
  status?: string;
  foundationModel?: string;
  instruction?: string;
  roleArn?: string;
  guardrail?: { id: string; version?: string };
  collaboration?: string;
  updatedAt?: string;
  actionGroups: {
    id: string;
    name: string;
    state?: string;
    /** Lambda ARN or RETURN_CONTROL. */
    executor?: string;
    /** OpenAPI schema text (inline payload, or `s3://bucket/key` when stored in S3: see S3_SCHEMA). */
    schema?: string;
    functions?: { name: string; description?: string; parameters?: string[] }[];
    parentSignature?: string;
  }[];
  knowledgeBases: { id: string; description?: string; state?: string }[];
  collaborators: { id?: string; name: string; aliasArn?: string; instruction?: string }[];
}

/** The prefix of an action group's `schema` that names an S3 object rather than holding the schema text. */
export const S3_SCHEMA = 's3://';

const DATE_FIELDS = /(At|Time|Date)$/;

function fixDates(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(fixDates);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    for (const [k, x] of Object.entries(o)) {
      if (typeof x === 'number' && DATE_FIELDS.test(k)) o[k] = new Date(x < 1e12 ? x * 1000 : x).toISOString();
      else o[k] = fixDates(x);
    }
  }
  return v;
}

/** Installs the epoch-date rewrite on a client (runs on the raw HTTP response, before deserialization). */
export function epochDatesMiddleware(client: BedrockAgentClient): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      const out = await next(args);
      const res = out.response as { statusCode?: number; headers?: Record<string, string>; body?: unknown };
      // moto labels its JSON as text/html, so the body is sniffed rather than trusted by content type.
      if (!res.body) return out;
      const chunks: Uint8Array[] = [];
      for await (const c of res.body as AsyncIterable<Uint8Array>)
        chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
      const text = Buffer.concat(chunks).toString('utf8');
      let body = text;
      try {
        if (/^\s*[[{]/.test(text)) body = JSON.stringify(fixDates(JSON.parse(text)));
      } catch {
        // Not JSON after all: hand the original bytes to the SDK, which reports it properly.
      }
      res.body = Buffer.from(body);
      if (res.headers) delete res.headers['content-length'];
      return out;
    },
    { step: 'deserialize', priority: 'low', name: 'wardenEpochDates' },
  );
}

export function bedrockAgentClient(
  config: BedrockAgentClientConfig = {},
  opts: { epochDates?: boolean } = {},
): BedrockAgentClient {
  const c = new BedrockAgentClient(config);
  if (opts.epochDates ?? true) epochDatesMiddleware(c);
  return c;
}

const iso = (d: Date | undefined) => (d instanceof Date && !Number.isNaN(d.getTime()) ? d.toISOString() : undefined);

/** Reads the configuration of one agent version (default DRAFT, the working copy). */
export async function readBedrockAgent(
  client: BedrockAgentClient,
  agentId: string,
  agentVersion = 'DRAFT',
): Promise<BedrockAgentConfig> {
  const { agent } = await client.send(new GetAgentCommand({ agentId }));
  if (!agent) throw new Error(`GetAgent returned no agent for ${agentId}`);

  const actionGroups: BedrockAgentConfig['actionGroups'] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListAgentActionGroupsCommand({ agentId, agentVersion, nextToken: token }));
    for (const s of page.actionGroupSummaries ?? []) {
      const { agentActionGroup: g } = await client.send(
        new GetAgentActionGroupCommand({ agentId, agentVersion, actionGroupId: s.actionGroupId }),
      );
      const schema =
        g?.apiSchema?.payload ??
        (g?.apiSchema?.s3 ? `${S3_SCHEMA}${g.apiSchema.s3.s3BucketName}/${g.apiSchema.s3.s3ObjectKey}` : undefined);
      const fns = g?.functionSchema?.functions?.map((f) => ({
        name: f.name ?? '',
        ...(f.description ? { description: f.description } : {}),
        parameters: Object.keys(f.parameters ?? {}).sort(),
      }));
      actionGroups.push({
        id: s.actionGroupId ?? '',
        name: s.actionGroupName ?? g?.actionGroupName ?? '',
        state: s.actionGroupState ?? g?.actionGroupState,
        executor: g?.actionGroupExecutor?.lambda ?? g?.actionGroupExecutor?.customControl,
        ...(schema ? { schema } : {}),
        ...(fns ? { functions: fns } : {}),
        ...(g?.parentActionSignature ? { parentSignature: g.parentActionSignature } : {}),
      });
    }
    token = page.nextToken;
  } while (token);

  const knowledgeBases: BedrockAgentConfig['knowledgeBases'] = [];
  token = undefined;
  do {
    const page: ListAgentKnowledgeBasesCommandOutput = await client.send(
      new ListAgentKnowledgeBasesCommand({ agentId, agentVersion, nextToken: token }),
    );
    for (const k of page.agentKnowledgeBaseSummaries ?? []) {
      knowledgeBases.push({ id: k.knowledgeBaseId ?? '', description: k.description, state: k.knowledgeBaseState });
    }
    token = page.nextToken;
  } while (token);

  const collaborators: BedrockAgentConfig['collaborators'] = [];
  token = undefined;
  do {
    const page: ListAgentCollaboratorsCommandOutput = await client.send(
      new ListAgentCollaboratorsCommand({ agentId, agentVersion, nextToken: token }),
    );
    for (const c of page.agentCollaboratorSummaries ?? []) {
      collaborators.push({
        id: c.collaboratorId,
        name: c.collaboratorName ?? '',
        aliasArn: c.agentDescriptor?.aliasArn,
        instruction: c.collaborationInstruction,
      });
    }
    token = page.nextToken;
  } while (token);

  return {
    agentId: agent.agentId ?? agentId,
    agentName: agent.agentName,
    agentArn: agent.agentArn,
    agentVersion: agent.agentVersion ?? agentVersion,
    status: agent.agentStatus,
    foundationModel: agent.foundationModel,
    instruction: agent.instruction,
    roleArn: agent.agentResourceRoleArn,
    ...(agent.guardrailConfiguration?.guardrailIdentifier
      ? {
          guardrail: {
            id: agent.guardrailConfiguration.guardrailIdentifier,
            version: agent.guardrailConfiguration.guardrailVersion,
          },
        }
      : {}),
    collaboration: agent.agentCollaboration,
    updatedAt: iso(agent.updatedAt),
    actionGroups,
    knowledgeBases,
    collaborators,
  };
}

/** The parts of the config that make up the agent's prompt version (see core/inventory/bedrock-prompt.ts). */
export function promptParts(c: BedrockAgentConfig): BedrockPromptParts {
  return {
    agentId: c.agentId,
    instruction: c.instruction,
    foundationModel: c.foundationModel,
    actionGroups: c.actionGroups.map((g) => ({
      name: g.name,
      state: g.state,
      schema: g.schema,
      functions: g.functions,
      executor: g.executor,
    })),
    knowledgeBases: c.knowledgeBases,
    guardrail: c.guardrail,
    collaborators: c.collaborators.map((x) => ({ name: x.name, aliasArn: x.aliasArn, instruction: x.instruction })),
    updatedAt: c.updatedAt,
  };
}
