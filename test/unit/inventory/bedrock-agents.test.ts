// aws-sdk-client-mock is used here because moto has no Bedrock action-group, agent knowledge-base or collaborator
// calls; GetAgent and the epoch-date middleware run against a real moto_server in
// test/integration/baseline/bedrock-agents.test.ts.
import {
  BedrockAgentClient,
  GetAgentActionGroupCommand,
  GetAgentCommand,
  ListAgentActionGroupsCommand,
  ListAgentCollaboratorsCommand,
  ListAgentKnowledgeBasesCommand,
} from '@aws-sdk/client-bedrock-agent';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { promptParts, readBedrockAgent } from '../../../lib/adapters/bedrock-agents.ts';
import { bedrockPromptHash } from '../../../lib/core/inventory/bedrock-prompt.ts';

describe('readBedrockAgent', () => {
  const mock = mockClient(BedrockAgentClient);
  mock.on(GetAgentCommand).resolves({
    agent: {
      agentId: 'AG1',
      agentName: 'support',
      agentArn: 'arn:aws:bedrock:us-east-1:111122223333:agent/AG1',
      agentVersion: 'DRAFT',
      agentStatus: 'PREPARED',
      foundationModel: 'anthropic.claude-3-5-sonnet-20241022-v2:0',
      instruction: 'Help customers with their tickets.',
      agentResourceRoleArn: 'arn:aws:iam::111122223333:role/support-agent',
      guardrailConfiguration: { guardrailIdentifier: 'gr-1', guardrailVersion: '2' },
      updatedAt: new Date('2026-03-01T10:00:00Z'),
      idleSessionTTLInSeconds: 600,
    } as never,
  });
  mock
    .on(ListAgentActionGroupsCommand, { nextToken: undefined })
    .resolves({
      actionGroupSummaries: [
        { actionGroupId: 'G1', actionGroupName: 'tickets', actionGroupState: 'ENABLED', updatedAt: new Date() },
      ],
      nextToken: 'p2',
    })
    .on(ListAgentActionGroupsCommand, { nextToken: 'p2' })
    .resolves({
      actionGroupSummaries: [
        { actionGroupId: 'G2', actionGroupName: 'crm', actionGroupState: 'ENABLED', updatedAt: new Date() },
      ],
    });
  mock.on(GetAgentActionGroupCommand, { actionGroupId: 'G1' }).resolves({
    agentActionGroup: {
      agentId: 'AG1',
      agentVersion: 'DRAFT',
      actionGroupId: 'G1',
      actionGroupName: 'tickets',
      actionGroupState: 'ENABLED',
      createdAt: new Date(),
      updatedAt: new Date(),
      actionGroupExecutor: { lambda: 'arn:aws:lambda:us-east-1:111122223333:function:tickets' },
      apiSchema: { payload: '{"openapi":"3.0.0","paths":{"/tickets/{id}":{}}}' },
    },
  });
  mock.on(GetAgentActionGroupCommand, { actionGroupId: 'G2' }).resolves({
    agentActionGroup: {
      agentId: 'AG1',
      agentVersion: 'DRAFT',
      actionGroupId: 'G2',
      actionGroupName: 'crm',
      actionGroupState: 'ENABLED',
      createdAt: new Date(),
      updatedAt: new Date(),
      actionGroupExecutor: { customControl: 'RETURN_CONTROL' },
      functionSchema: {
        functions: [{ name: 'lookupCustomer', parameters: { email: { type: 'string' }, id: { type: 'string' } } }],
      },
    },
  });
  mock.on(ListAgentKnowledgeBasesCommand).resolves({
    agentKnowledgeBaseSummaries: [
      { knowledgeBaseId: 'KB1', description: 'help center', knowledgeBaseState: 'ENABLED', updatedAt: new Date() },
    ],
  });
  mock.on(ListAgentCollaboratorsCommand).resolves({ agentCollaboratorSummaries: [] });

  it('returns one plain object with instruction, model, action groups (paged), knowledge bases and guardrail', async () => {
    const c = await readBedrockAgent(new BedrockAgentClient({ region: 'us-east-1' }), 'AG1');
    expect(c).toMatchObject({
      agentId: 'AG1',
      foundationModel: 'anthropic.claude-3-5-sonnet-20241022-v2:0',
      instruction: 'Help customers with their tickets.',
      guardrail: { id: 'gr-1', version: '2' },
      updatedAt: '2026-03-01T10:00:00.000Z',
      knowledgeBases: [{ id: 'KB1', description: 'help center', state: 'ENABLED' }],
      collaborators: [],
    });
    expect(c.actionGroups.map((g) => [g.name, g.executor])).toEqual([
      ['tickets', 'arn:aws:lambda:us-east-1:111122223333:function:tickets'],
      ['crm', 'RETURN_CONTROL'],
    ]);
    expect(c.actionGroups[0]!.schema).toContain('openapi');
    expect(c.actionGroups[1]!.functions).toEqual([{ name: 'lookupCustomer', parameters: ['email', 'id'] }]);
    expect(bedrockPromptHash(promptParts(c))).toMatch(/^[0-9a-f]{64}$/);
  });
});
