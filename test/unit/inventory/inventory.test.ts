import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bedrockPromptHash, bedrockPromptItem } from '../../../lib/core/inventory/bedrock-prompt.ts';
import { buildInventory } from '../../../lib/core/inventory/build.ts';
import { inventoryCycloneDxJson } from '../../../lib/core/inventory/cyclonedx.ts';
import { diffInventory } from '../../../lib/core/inventory/diff.ts';
import { parseModelId } from '../../../lib/core/inventory/models.ts';
import { keyKind, type Layer } from '../../../lib/core/observation.ts';
import type { AggregateRow } from '../../../lib/ports.ts';

const subject = 'k8s:prod/support/support-agent';
const row = (key: string, window: string, count = 1, attrs: AggregateRow['attrs'] = {}): AggregateRow => ({
  subject,
  key,
  window,
  layer: (key.startsWith('exec:') || key.startsWith('open:') ? 'kernel' : 'application') as Layer,
  kind: keyKind(key),
  count,
  firstSeen: window.replace(':00:00.000Z', ':05:00.000Z'),
  lastSeen: window.replace(':00:00.000Z', ':55:00.000Z'),
  sources: ['node-agent'],
  attrs,
  sums: {},
});
const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);

// Week 1: the agent as deployed. Week 2: a rollout adds a filesystem MCP server and revises the prompt.
const rows: AggregateRow[] = [
  row('exec:/usr/local/bin/python3.11', '2026-03-02T09:00:00.000Z'),
  row('pkg:pypi:langchain@0.2.5', '2026-03-02T09:00:00.000Z'),
  row('open:/usr/lib/python3.11/site-packages/transformers-4.44.2.dist-info/METADATA', '2026-03-02T09:00:00.000Z'),
  row('open:/app/node_modules/@modelcontextprotocol/sdk/package.json', '2026-03-02T09:00:00.000Z', 1, {
    version: '1.0.3',
  }),
  row('open:/models/llama/model-00001-of-00002.safetensors', '2026-03-02T09:00:00.000Z', 1, { size: 4_976_698_672 }),
  row('open:/app/bin/helper.bin', '2026-03-02T09:00:00.000Z'),
  row('model:file:/models/embed/bge-small.onnx', '2026-03-02T09:00:00.000Z', 1, { size: 133_093_490 }),
  row('mcp:stdio:server-zendesk', '2026-03-02T09:00:00.000Z', 1, { command: 'npx -y @acme/server-zendesk' }),
  row('prompt:/app/prompts/support.txt', '2026-03-02T09:00:00.000Z', 1, { sha256: SHA_A }),
  row('model:anthropic.claude-3-5-sonnet-20241022-v2:0', '2026-03-02T10:00:00.000Z', 4),
  // Throttled: the app falls back to Haiku through a cross-region inference profile.
  row('model:us.anthropic.claude-3-haiku-20240307-v1:0', '2026-03-02T11:00:00.000Z', 40),
  row('model:us.anthropic.claude-3-haiku-20240307-v1:0', '2026-03-03T11:00:00.000Z', 35),
  row('pkg:pypi:langchain@0.2.11', '2026-03-09T09:00:00.000Z'),
  row('exec:/usr/local/bin/npx', '2026-03-09T09:00:00.000Z', 1, {
    argv: ['npx', '-y', '@modelcontextprotocol/server-filesystem', '/data'],
  }),
  row('prompt:/app/prompts/support.txt', '2026-03-09T09:00:00.000Z', 1, { sha256: SHA_B }),
  row('model:anthropic.claude-3-5-sonnet-20241022-v2:0', '2026-03-09T10:00:00.000Z', 50),
];

describe('inventory from observations', () => {
  const week1 = buildInventory({
    subject,
    rows,
    at: '2026-03-04T00:00:00.000Z',
    configuredModels: ['anthropic.claude-3-5-sonnet-20241022-v2:0'],
  });

  it('reports the model actually used when calls fall back, not the configured one', () => {
    expect(week1.primaryModel).toBe('anthropic.claude-3-haiku-20240307-v1:0');
    expect(week1.fallback).toEqual({
      configured: ['anthropic.claude-3-5-sonnet-20241022-v2:0'],
      actual: ['anthropic.claude-3-haiku-20240307-v1:0', 'anthropic.claude-3-5-sonnet-20241022-v2:0'],
    });
    const haiku = week1.models[0]!;
    expect(haiku).toMatchObject({
      count: 75,
      configured: false,
      inferenceProfile: 'us.anthropic.claude-3-haiku-20240307-v1:0',
      provider: 'anthropic',
    });
    expect(week1.models[1]).toMatchObject({ configured: true, count: 4 });
  });

  it('lists weight files with sizes, frameworks with versions, MCP servers and prompt hashes', () => {
    expect(week1.modelFiles.map((f) => [f.path, f.format, f.size])).toEqual([
      ['/models/embed/bge-small.onnx', 'onnx', 133_093_490],
      ['/models/llama/model-00001-of-00002.safetensors', 'safetensors', 4_976_698_672],
    ]);
    expect(week1.frameworks.map((f) => `${f.ecosystem}:${f.name}@${f.version}:${f.ai}`)).toEqual([
      'npm:@modelcontextprotocol/sdk@1.0.3:true',
      'pypi:langchain@0.2.5:true',
      'pypi:transformers@4.44.2:true',
    ]);
    expect(week1.mcpServers.map((m) => `${m.transport}:${m.name}:${m.via}`)).toEqual(['stdio:server-zendesk:mcp-key']);
    expect(week1.prompts).toEqual([
      { id: '/app/prompts/support.txt', sha256: SHA_A, lastSeen: '2026-03-02T09:55:00.000Z' },
    ]);
    expect(week1.promptVersion).toMatch(/^[0-9a-f]{16}$/);
  });

  it('the diff between two snapshots lists the added MCP server and the changed prompt hash', () => {
    const week2 = buildInventory({ subject, rows, at: '2026-03-10T00:00:00.000Z', lookbackMs: 3 * 86_400_000 });
    const d = diffInventory(week1, week2);
    expect(d.mcpServers.added).toEqual(['stdio:server-filesystem']);
    expect(d.mcpServers.removed).toEqual(['stdio:server-zendesk']);
    expect(d.prompts.changed).toEqual([{ id: '/app/prompts/support.txt', before: SHA_A, after: SHA_B }]);
    expect(d.promptVersion?.before).toBe(week1.promptVersion);
    expect(d.promptVersion?.after).not.toBe(week1.promptVersion);
    expect(d.frameworks.changed).toEqual([{ name: 'pypi:langchain', before: '0.2.5', after: '0.2.11' }]);
    expect(d.primaryModel).toEqual({
      before: 'anthropic.claude-3-haiku-20240307-v1:0',
      after: 'anthropic.claude-3-5-sonnet-20241022-v2:0',
    });
    expect(d.empty).toBe(false);
    expect(diffInventory(week2, week2).empty).toBe(true);
    const server = week2.mcpServers.find((m) => m.name === 'server-filesystem')!;
    expect(server.via).toBe('exec');
    expect(server.command).toContain('@modelcontextprotocol/server-filesystem');
  });

  it('a snapshot sees nothing after its time', () => {
    const early = buildInventory({ subject, rows, at: '2026-03-02T09:30:00.000Z' });
    expect(early.models).toEqual([]);
    expect(early.prompts).toHaveLength(1);
  });

  it('configured argv patterns find custom MCP servers', () => {
    const custom = [
      row('exec:/usr/bin/node', '2026-03-02T09:00:00.000Z', 1, { argv: 'node /srv/tools/crm-bridge.js --stdio' }),
    ];
    const inv = buildInventory({
      subject,
      rows: custom,
      at: '2026-03-03T00:00:00.000Z',
      mcpPatterns: [String.raw`(/srv/tools/([\w-]+)\.js)`],
    });
    expect(inv.mcpServers.map((m) => m.name)).toEqual(['crm-bridge']);
    expect(buildInventory({ subject, rows: custom, at: '2026-03-03T00:00:00.000Z' }).mcpServers).toEqual([]);
  });
});

describe('model identifiers', () => {
  it.each([
    ['anthropic.claude-3-5-sonnet-20241022-v2:0', 'anthropic.claude-3-5-sonnet-20241022-v2:0', undefined],
    [
      'us.anthropic.claude-3-haiku-20240307-v1:0',
      'anthropic.claude-3-haiku-20240307-v1:0',
      'us.anthropic.claude-3-haiku-20240307-v1:0',
    ],
    [
      'arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0',
      'amazon.titan-embed-text-v2:0',
      undefined,
    ],
    [
      'arn:aws:bedrock:us-east-1:111122223333:inference-profile/eu.meta.llama3-2-3b-instruct-v1:0',
      'meta.llama3-2-3b-instruct-v1:0',
      'arn:aws:bedrock:us-east-1:111122223333:inference-profile/eu.meta.llama3-2-3b-instruct-v1:0',
    ],
  ])('%s', (invoked, modelId, profile) => {
    const p = parseModelId(invoked);
    expect(p.modelId).toBe(modelId);
    expect(p.inferenceProfile).toBe(profile);
  });

  it('never throws and always names a model', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (s) => {
        const p = parseModelId(s);
        expect(typeof p.modelId).toBe('string');
        expect(typeof p.provider).toBe('string');
      }),
    );
  });
});

describe('Bedrock agent prompt version', () => {
  const parts = {
    agentId: 'AGENT1',
    instruction: 'You are a support agent.',
    actionGroups: [
      { name: 'tickets', schema: '{"openapi":"3.0.0"}' },
      { name: 'crm', functions: [{ name: 'lookup' }] },
    ],
    knowledgeBases: [{ id: 'KB1' }],
    guardrail: { id: 'gr-1', version: '2' },
  };
  it('is stable under reordering and changes with any part', () => {
    const h = bedrockPromptHash(parts);
    expect(bedrockPromptHash({ ...parts, actionGroups: [...parts.actionGroups].reverse() })).toBe(h);
    expect(bedrockPromptHash({ ...parts, instruction: 'You are a support agent!' })).not.toBe(h);
    expect(bedrockPromptHash({ ...parts, knowledgeBases: [] })).not.toBe(h);
    expect(bedrockPromptHash({ ...parts, guardrail: { id: 'gr-1', version: '3' } })).not.toBe(h);
    expect(bedrockPromptItem(parts, '2026-03-01T00:00:00Z')).toEqual({
      id: 'bedrock-agent:AGENT1',
      sha256: h,
      lastSeen: '2026-03-01T00:00:00Z',
    });
  });
});

describe('CycloneDX 1.6 ML-BOM', () => {
  const inv = buildInventory({
    subject,
    rows,
    at: '2026-03-10T00:00:00.000Z',
    lookbackMs: 14 * 86_400_000,
    configuredModels: ['anthropic.claude-3-5-sonnet-20241022-v2:0'],
  });
  const json = inventoryCycloneDxJson(inv, { serialNumber: 'urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79' });
  const bom = JSON.parse(json) as {
    specVersion: string;
    components: { type: string; name: string; version?: string; purl?: string; hashes?: unknown[] }[];
    services: { name: string; group?: string }[];
  };

  it('validates against the CycloneDX 1.6 JSON schema shipped with the library', async () => {
    const validator = new Validation.JsonStrictValidator(Spec.Version.v1dot6);
    const errors = await validator.validate(json);
    expect(errors).toBeNull();
    expect(bom.specVersion).toBe('1.6');
  });

  it('has models as machine-learning-model components, frameworks as libraries, MCP servers as services', () => {
    const byType = (t: string) =>
      bom.components
        .filter((c) => c.type === t)
        .map((c) => c.name)
        .sort();
    expect(byType('machine-learning-model')).toEqual(
      [
        'anthropic.claude-3-5-sonnet-20241022-v2:0',
        'anthropic.claude-3-haiku-20240307-v1:0',
        'bge-small.onnx',
        'model-00001-of-00002.safetensors',
      ].sort(),
    );
    expect(byType('library')).toEqual(['@modelcontextprotocol/sdk', 'langchain', 'transformers']);
    expect(bom.components.find((c) => c.name === 'langchain')!.purl).toBe('pkg:pypi/langchain@0.2.11');
    expect(
      bom.services
        .filter((s) => s.group === 'mcp')
        .map((s) => s.name)
        .sort(),
    ).toEqual(['server-filesystem', 'server-zendesk']);
    expect(bom.components.find((c) => c.type === 'file')!.hashes).toEqual([{ alg: 'SHA-256', content: SHA_B }]);
  });

  it('a broken document fails the same validator (the check can fail)', async () => {
    const broken = JSON.parse(json);
    broken.components[0].type = 'not-a-type';
    const errors = await new Validation.JsonStrictValidator(Spec.Version.v1dot6).validate(JSON.stringify(broken));
    expect(errors).not.toBeNull();
  });
});
