import { CreateAgentCommand, GetAgentCommand } from '@aws-sdk/client-bedrock-agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bedrockAgentClient } from '../../../lib/adapters/bedrock-agents.ts';
import { type MotoServer, startMoto } from '../../support/moto.ts';

describe('Bedrock agent reader against moto_server', () => {
  let moto: MotoServer;
  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => moto?.stop());

  it('reads GetAgent through the epoch-date middleware (moto returns dates as numbers)', async () => {
    const client = bedrockAgentClient(moto.clientConfig);
    const created = await client.send(
      new CreateAgentCommand({
        agentName: 'support',
        foundationModel: 'anthropic.claude-3-5-sonnet-20241022-v2:0',
        instruction: 'Help customers with their tickets, politely and briefly.',
        agentResourceRoleArn: 'arn:aws:iam::123456789012:role/support-agent',
      }),
    );
    const id = created.agent!.agentId!;
    const { agent } = await client.send(new GetAgentCommand({ agentId: id }));
    expect(agent!.foundationModel).toBe('anthropic.claude-3-5-sonnet-20241022-v2:0');
    expect(agent!.instruction).toContain('Help customers');
    expect(agent!.createdAt).toBeInstanceOf(Date);
    expect(Number.isNaN(agent!.createdAt!.getTime())).toBe(false);

    // Without the middleware the SDK cannot parse moto's dates: the middleware is what makes this work.
    const plain = bedrockAgentClient(moto.clientConfig, { epochDates: false });
    await expect(plain.send(new GetAgentCommand({ agentId: id }))).rejects.toThrow();
  });
});
