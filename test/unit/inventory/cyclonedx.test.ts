/**
 * The inventory's CycloneDX 1.6 ML-BOM: suppliers and versions, model cards from what the calls recorded, services
 * for the Bedrock runtime, the agent, its action groups / knowledge bases / collaborators and the destinations it
 * reached, a dependency graph without dangling refs, metadata.tools; every BOM validates against the 1.6 JSON schema
 * shipped with @cyclonedx/cyclonedx-library, including BOMs of arbitrary inventories.
 */
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildInventory } from '../../../lib/core/inventory/build.ts';
import { inventoryCycloneDxJson, modelVersion } from '../../../lib/core/inventory/cyclonedx.ts';
import { MAX_ENDPOINTS } from '../../../lib/core/inventory/services.ts';
import { keyKind, type Layer } from '../../../lib/core/observation.ts';
import { inferenceParams } from '../../../lib/core/sources/inference-params.ts';
import type { AggregateRow } from '../../../lib/ports.ts';

const K8S = 'k8s:prod/support/support-agent';
const AGENT = 'bedrock:us-east-1/HRFAQAGENT';
const W = '2026-03-09T10:00:00.000Z';
const row = (subject: string, key: string, attrs: AggregateRow['attrs'] = {}, count = 1): AggregateRow => ({
  subject,
  key,
  window: W,
  layer: 'application' as Layer,
  kind: keyKind(key),
  count,
  firstSeen: '2026-03-09T10:05:00.000Z',
  lastSeen: '2026-03-09T10:55:00.000Z',
  sources: ['node-agent'],
  attrs,
  sums: {},
});
const trace = { agentId: 'SUPPAGENT1', agentAliasId: 'LIVEALIAS1', agentVersion: '4' };
const k8sRows = [
  row(K8S, 'model:anthropic.claude-3-5-sonnet-20241022-v2:0', {
    operation: 'Converse',
    region: 'us-east-1',
    temperature: 0.2,
    maximumLength: 1024,
  }),
  row(K8S, 'model:us.meta.llama3-1-70b-instruct-v1:0', { operation: 'InvokeModel', region: 'us-west-2' }, 3),
  row(K8S, 'tool:crm-tools/lookupCustomer', trace, 5),
  row(K8S, 'tool:crm-tools/getOrderStatus', trace, 2),
  row(K8S, 'kb:KB12345678', trace),
  row(K8S, 'agent:arn:aws:bedrock:us-east-1:111122223333:agent-alias/COLLAB/ALIAS', trace),
  row(K8S, 'dns:acme.zendesk.com'),
  row(K8S, 'dns:sts.us-east-1.amazonaws.com'),
  row(K8S, 'dns:bedrock-runtime.us-east-1.amazonaws.com'),
  row(K8S, 'net:egress:104.16.51.111/32:443', {}, 9),
  row(K8S, 'net:egress:2600:1f18::1/128:8443'),
  row(K8S, `image:111122223333.dkr.ecr.us-east-1.amazonaws.com/support-agent:1.14.2@sha256:${'0'.repeat(64)}`),
  row(K8S, 'pkg:pypi:boto3@1.35.80'),
];

interface Bom {
  specVersion: string;
  metadata: { component: { 'bom-ref': string; version?: string }; tools: { components: { name: string }[] } };
  components: {
    'bom-ref': string;
    type: string;
    name: string;
    version?: string;
    supplier?: { name: string };
    modelCard?: Record<string, unknown>;
  }[];
  services: {
    'bom-ref': string;
    name: string;
    group?: string;
    version?: string;
    endpoints?: string[];
    provider?: { name: string };
  }[];
  dependencies: { ref: string; dependsOn?: string[] }[];
}
const validator = new Validation.JsonStrictValidator(Spec.Version.v1dot6);
const bomOf = (subject: string, rows: AggregateRow[], labels: Record<string, string> = {}) => {
  const inv = buildInventory({ subject, rows, at: '2026-03-10T00:00:00.000Z' });
  const json = inventoryCycloneDxJson(inv, {
    labels,
    tools: [{ name: 'cyclonedx-library', group: '@cyclonedx', version: '10.3.0' }],
    wardenVersion: '0.1.0',
  });
  return { json, bom: JSON.parse(json) as Bom };
};
const deps = (b: Bom, ref: string) => b.dependencies.find((d) => d.ref === ref)?.dependsOn ?? [];

describe('CycloneDX ML-BOM of a Kubernetes agent', () => {
  const { json, bom } = bomOf(K8S, k8sRows, {
    'warden.dev/agent-class': 'customer-support',
    'warden.dev/data-class': 'pii',
  });

  it('validates against the CycloneDX 1.6 JSON schema', async () => {
    expect(await validator.validate(json)).toBeNull();
    expect(bom.specVersion).toBe('1.6');
  });

  it('gives Bedrock models their supplier, version and a model card of what was observed', () => {
    const sonnet = bom.components.find((c) => c.name === 'anthropic.claude-3-5-sonnet-20241022-v2:0')!;
    expect(sonnet).toMatchObject({ supplier: { name: 'Anthropic' }, version: '20241022-v2:0' });
    expect(sonnet.modelCard).toEqual({
      'bom-ref': 'model-card:anthropic.claude-3-5-sonnet-20241022-v2:0',
      modelParameters: { task: 'text-generation' },
      considerations: {
        useCases: [`customer-support agent ${K8S}`],
        ethicalConsiderations: [{ name: 'prompts may carry pii data (subject label warden.dev/data-class)' }],
      },
      properties: [
        { name: 'warden:inference.temperature', value: '0.2' },
        { name: 'warden:inference.maximumLength', value: '1024' },
      ],
    });
    const llama = bom.components.find((c) => c.name === 'meta.llama3-1-70b-instruct-v1:0')!;
    // InvokeModel says nothing about the task: no modelParameters rather than a guess
    expect(llama).toMatchObject({ supplier: { name: 'Meta' }, version: 'v1:0' });
    expect(llama.modelCard).not.toHaveProperty('modelParameters');
  });

  it('lists the Bedrock runtime per region, the agent, its tools and the destinations as services', () => {
    const byRef = Object.fromEntries(bom.services.map((s) => [s['bom-ref'], s]));
    expect(byRef['service:bedrock-runtime:us-east-1']).toMatchObject({
      endpoints: ['https://bedrock-runtime.us-east-1.amazonaws.com'],
      provider: { name: 'Amazon Web Services' },
    });
    expect(byRef['service:bedrock-runtime:us-west-2']).toBeDefined();
    expect(byRef['agent:SUPPAGENT1']).toMatchObject({ version: '4', group: 'bedrock-agent' });
    expect(byRef['agent-tool:action-group:crm-tools']).toMatchObject({ group: 'bedrock-agent-action-group' });
    expect(byRef['agent-tool:knowledge-base:KB12345678']).toMatchObject({ provider: { name: 'Amazon Web Services' } });
    expect(byRef['endpoint:acme.zendesk.com']).toMatchObject({
      group: 'third-party',
      endpoints: ['//acme.zendesk.com'],
    });
    expect(byRef['endpoint:sts.us-east-1.amazonaws.com']).toMatchObject({
      group: 'aws',
      endpoints: ['https://sts.us-east-1.amazonaws.com'],
    });
    // the runtime's own host is not listed twice
    expect(byRef['endpoint:bedrock-runtime.us-east-1.amazonaws.com']).toBeUndefined();
    expect(byRef['endpoint:104.16.51.111:443']).toMatchObject({ endpoints: ['//104.16.51.111:443'] });
    expect(byRef['endpoint:2600:1f18::1:8443']).toMatchObject({ endpoints: ['//[2600:1f18::1]:8443'] });
  });

  it('is a dependency graph: agent -> what it used, agent service -> its tools, runtime -> its models', () => {
    expect(deps(bom, 'subject')).toEqual(
      expect.arrayContaining([
        'agent:SUPPAGENT1',
        'service:bedrock-runtime:us-east-1',
        'model:anthropic.claude-3-5-sonnet-20241022-v2:0',
        'endpoint:acme.zendesk.com',
        'pkg:pypi:boto3',
      ]),
    );
    expect(deps(bom, 'agent:SUPPAGENT1').sort()).toEqual([
      'agent-tool:action-group:crm-tools',
      'agent-tool:collaborator:arn:aws:bedrock:us-east-1:111122223333:agent-alias/COLLAB/ALIAS',
      'agent-tool:knowledge-base:KB12345678',
    ]);
    expect(deps(bom, 'service:bedrock-runtime:us-west-2')).toEqual(['model:meta.llama3-1-70b-instruct-v1:0']);
    const refs = new Set([
      'subject',
      ...bom.components.map((c) => c['bom-ref']),
      ...bom.services.map((s) => s['bom-ref']),
    ]);
    for (const d of bom.dependencies) for (const r of [d.ref, ...(d.dependsOn ?? [])]) expect(refs).toContain(r);
  });

  it('names the tools that made it and versions the agent by its image', () => {
    expect(bom.metadata.tools.components.map((c) => c.name).sort()).toEqual(['cyclonedx-library', 'warden']);
    expect(bom.metadata.component.version).toBe('1.14.2');
    expect(bom.components.find((c) => c.type === 'container')).toMatchObject({ version: '1.14.2' });
  });
});

describe('CycloneDX ML-BOM of a Bedrock agent', () => {
  const rows = [
    row(AGENT, 'model:anthropic.claude-3-haiku-20240307-v1:0', { ...trace, agentId: 'HRFAQAGENT', topP: 1, topK: 250 }),
    row(AGENT, 'tool:hr-policies/searchPolicies', { ...trace, agentId: 'HRFAQAGENT' }),
  ];
  const { json, bom } = bomOf(AGENT, rows);

  it('validates, and the agent service depends on its models and action groups', async () => {
    expect(await validator.validate(json)).toBeNull();
    expect(deps(bom, 'agent:HRFAQAGENT').sort()).toEqual([
      'agent-tool:action-group:hr-policies',
      'model:anthropic.claude-3-haiku-20240307-v1:0',
    ]);
    expect(bom.services.find((s) => s['bom-ref'] === 'agent:HRFAQAGENT')!.endpoints).toEqual([
      'https://bedrock-agent-runtime.us-east-1.amazonaws.com',
    ]);
    expect(bom.components[0]!.modelCard).toMatchObject({
      properties: [
        { name: 'warden:inference.topP', value: '1' },
        { name: 'warden:inference.topK', value: '250' },
      ],
    });
  });
});

describe('every BOM validates', () => {
  it('for arbitrary inventories', async () => {
    const key = fc.oneof(
      fc
        .tuple(fc.constantFrom('anthropic', 'meta', 'acme', ''), fc.string({ minLength: 1 }))
        .map(([p, n]) => `model:${p}.${n}`),
      fc.tuple(fc.string({ minLength: 1 }), fc.string()).map(([g, f]) => `tool:${g}/${f}`),
      fc.string({ minLength: 1 }).map((s) => `kb:${s}`),
      fc.string({ minLength: 1 }).map((s) => `agent:${s}`),
      fc.oneof(fc.domain(), fc.string({ minLength: 1 })).map((h) => `dns:${h}`),
      fc
        .tuple(fc.oneof(fc.ipV4(), fc.ipV6()), fc.integer({ min: 0, max: 65535 }))
        .map(([ip, p]) => `net:egress:${ip}/32:${p}`),
      fc.string({ minLength: 1 }).map((s) => `image:${s}`),
      fc.tuple(fc.string({ minLength: 1 }), fc.string({ minLength: 1 })).map(([n, v]) => `pkg:pypi:${n}@${v}`),
      fc.oneof(fc.webUrl(), fc.string({ minLength: 1 })).map((s) => `mcp:remote:${s}`),
    );
    const attrs = fc.record(
      {
        agentId: fc.string({ minLength: 1 }),
        agentVersion: fc.string(),
        region: fc.oneof(fc.constantFrom('us-east-1', 'eu-west-3'), fc.string({ minLength: 1 })),
        operation: fc.constantFrom('Converse', 'InvokeModel'),
        temperature: fc.double({ noNaN: true }),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(key, attrs, fc.integer({ min: 1, max: 1000 })), { minLength: 1, maxLength: 12 }),
        fc.constantFrom(K8S, AGENT),
        async (rs, subject) => {
          const { json } = bomOf(
            subject,
            rs.map(([k, a, n]) => row(subject, k, a, n)),
            { 'warden.dev/agent-class': 'x' },
          );
          expect(await validator.validate(json)).toBeNull();
          // The schema's iri-reference format is not checked by the validator: every endpoint must still be one.
          for (const s of (JSON.parse(json) as Bom).services ?? [])
            for (const e of s.endpoints ?? []) {
              expect(e).toMatch(/^[^\s<>"{}|\\^`]+$/);
              expect(() => new URL(e, 'https://base.example/')).not.toThrow();
            }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('gives no endpoint to a name URL parsers read as a bad IPv4 address (a.0), keeps the service', async () => {
    const { json } = bomOf(K8S, [row(K8S, 'dns:a.0'), row(K8S, 'dns:api.example.com')], {
      'warden.dev/agent-class': 'x',
    });
    expect(await validator.validate(json)).toBeNull();
    const services = (JSON.parse(json) as Bom).services ?? [];
    expect(services.find((s) => s.name === 'a.0')?.endpoints).toBeUndefined();
    expect(services.find((s) => s.name === 'api.example.com')?.endpoints).toEqual(['//api.example.com']);
  });

  it('keeps at most MAX_ENDPOINTS destinations and says how many it left out', () => {
    const many = Array.from({ length: MAX_ENDPOINTS + 5 }, (_, i) =>
      row(K8S, `net:egress:10.${i >> 8}.${i & 255}.1/32:443`),
    );
    const inv = buildInventory({ subject: K8S, rows: many, at: '2026-03-10T00:00:00.000Z' });
    expect(inv.endpoints).toHaveLength(MAX_ENDPOINTS);
    expect(inv.endpointsOmitted).toBe(5);
  });
});

describe('model versions and inference parameters', () => {
  it.each([
    ['anthropic.claude-3-5-sonnet-20241022-v2:0', '20241022-v2:0'],
    ['anthropic.claude-3-haiku-20240307-v1:0', '20240307-v1:0'],
    ['amazon.nova-pro-v1:0', 'v1:0'],
    ['meta.llama3-1-70b-instruct-v1:0', 'v1:0'],
    ['amazon.titan-embed-text-v2', 'v2'],
    ['cohere.command-r-plus', undefined],
  ])('%s -> %s', (id, v) => {
    expect(modelVersion(id)).toBe(v);
  });

  it.each([
    [
      { inferenceConfiguration: { maximumLength: 2048, temperature: 0, topK: 250, topP: 1 } },
      { maximumLength: 2048, temperature: 0, topK: 250, topP: 1 },
    ],
    [
      { messages: [], inferenceConfig: { maxTokens: 1024, temperature: 0.5 } },
      { maximumLength: 1024, temperature: 0.5 },
    ],
    [
      { max_tokens: 300, top_p: 0.9, top_k: 40, anthropic_version: 'x' },
      { maximumLength: 300, topP: 0.9, topK: 40 },
    ],
    [{ textGenerationConfig: { maxTokenCount: 512, temperature: 0.7 } }, { maximumLength: 512, temperature: 0.7 }],
    [{ max_gen_len: 64 }, { maximumLength: 64 }],
    [{ temperature: 'hot', top_p: 7, max_tokens: -1 }, {}],
    ['not an object', {}],
  ])('%j -> %j', (body, expected) => {
    expect(inferenceParams(body)).toEqual(expected);
  });
});
