/**
 * The inventory as a CycloneDX 1.6 ML-BOM (JSON) built with @cyclonedx/cyclonedx-library:
 * - components: models invoked (`machine-learning-model`, supplier = the model provider, version from the Bedrock
 *   model id, a model card), local model files, frameworks (`library` with purls), prompt hashes (`file`), container
 *   images (`container`, version = tag);
 * - services (cyclonedx-services.ts): the Bedrock runtime, the Bedrock agent(s), their action groups, knowledge
 *   bases and collaborators, MCP servers, and the network destinations (AWS endpoints and third-party / SaaS ones);
 * - a dependency graph: the agent -> everything it used; an agent service -> its action groups, knowledge bases,
 *   collaborators; the Bedrock runtime -> the models it served;
 * - `metadata.tools`: Warden (and the library, when the caller names its version).
 * The library models neither `modelCard` nor service `endpoints`; both are added to its normalized JSON by bom-ref,
 * and the result is what the 1.6 schema validates (test/unit/inventory). Runtime facts go into `warden:*` properties.
 *
 * Model cards say only what Warden observed: the task when the calls were Converse (a chat / text-generation API),
 * the inference parameters the calls recorded, the agent class and data class labels of the subject as use case and
 * ethical consideration, a fallback as a technical limitation. Local weight files get no model card (nothing but the
 * file is known).
 */
import { Enums, Models, Serialize, Spec } from '@cyclonedx/cyclonedx-library';
import { addServices, type Json, props, type ServiceExtras } from './cyclonedx-services.ts';
import type { Inventory, ModelItem } from './types.ts';

export interface BomOptions {
  serialNumber?: string;
  /** Subject labels (warden.dev/agent-class, warden.dev/data-class) for the model cards' considerations. */
  labels?: Record<string, string>;
  /** Tools that made the BOM, besides Warden itself (e.g. the CycloneDX library with its version). */
  tools?: { name: string; version: string; group?: string }[];
  /** Warden's own version (metadata.tools). */
  wardenVersion?: string;
}

const PURL_TYPE: Record<string, string> = { pypi: 'pypi', npm: 'npm', maven: 'maven', go: 'golang', cargo: 'cargo' };

function purl(ecosystem: string, name: string, version: string): string | undefined {
  const t = PURL_TYPE[ecosystem];
  if (!t) return undefined;
  const n = name.startsWith('@') ? `%40${name.slice(1)}` : name;
  return `pkg:${t}/${n}@${encodeURIComponent(version)}`;
}

const HEX64 = /^[0-9a-f]{64}$/i;

/** Model providers as Bedrock model ids name them (the prefix before the first dot) -> the organisation. */
const MODEL_SUPPLIERS: Record<string, string> = {
  ai21: 'AI21 Labs',
  amazon: 'Amazon',
  anthropic: 'Anthropic',
  cohere: 'Cohere',
  deepseek: 'DeepSeek',
  luma: 'Luma AI',
  meta: 'Meta',
  mistral: 'Mistral AI',
  openai: 'OpenAI',
  qwen: 'Qwen (Alibaba Cloud)',
  stability: 'Stability AI',
  twelvelabs: 'TwelveLabs',
  writer: 'Writer',
};

/** The version part of a Bedrock model id: `...-20241022-v2:0` -> `20241022-v2:0`, `...-v1:0` -> `v1:0`. */
export function modelVersion(modelId: string): string | undefined {
  return /-((?:\d{8}-)?v\d+(?::\d+)?)$/.exec(modelId)?.[1];
}

function modelCard(m: ModelItem, inv: Inventory, labels: Record<string, string>): Json | undefined {
  const parameters: Json = {};
  if (m.operations?.some((o) => o.startsWith('Converse'))) parameters.task = 'text-generation';
  const considerations: Json = {};
  const agentClass = labels['warden.dev/agent-class'];
  if (agentClass) considerations.useCases = [`${agentClass} agent ${inv.subject}`];
  const dataClass = labels['warden.dev/data-class'];
  if (dataClass)
    considerations.ethicalConsiderations = [
      { name: `prompts may carry ${dataClass} data (subject label warden.dev/data-class)` },
    ];
  if (inv.fallback && !inv.fallback.configured.includes(m.modelId))
    considerations.technicalLimitations = [
      `not the configured model (${inv.fallback.configured.join(', ')}): a fallback or a changed inference profile`,
    ];
  const properties = Object.entries(m.parameters ?? {}).map(([k, v]) => ({
    name: `warden:inference.${k}`,
    value: String(v),
  }));
  const card: Json = { 'bom-ref': `model-card:${m.modelId}` };
  if (Object.keys(parameters).length) card.modelParameters = parameters;
  if (Object.keys(considerations).length) card.considerations = considerations;
  if (properties.length) card.properties = properties;
  return Object.keys(card).length > 1 ? card : undefined;
}

function addComponents(bom: Models.Bom, inv: Inventory, subject: Models.Component): Map<string, Models.Component> {
  const models = new Map<string, Models.Component>();
  const add = (c: Models.Component) => {
    bom.components.add(c);
    subject.dependencies.add(c.bomRef);
    return c;
  };
  for (const m of inv.models) {
    const supplier = MODEL_SUPPLIERS[m.provider];
    const version = modelVersion(m.modelId);
    const c = new Models.Component(Enums.ComponentType.MachineLearningModel, m.modelId, {
      bomRef: `model:${m.modelId}`,
      group: m.provider,
      description: 'model invoked (Amazon Bedrock)',
      ...(supplier ? { supplier: new Models.OrganizationalEntity({ name: supplier }) } : {}),
      ...(version ? { version } : {}),
    });
    for (const p of props([
      ['invokedAs', m.invokedAs.join(',')],
      ['inferenceProfile', m.inferenceProfile],
      ['invocations', m.count],
      ['operations', m.operations?.join(',')],
      ['region', m.region],
      ['firstSeen', m.firstSeen],
      ['lastSeen', m.lastSeen],
      ['configured', m.configured],
    ]))
      c.properties.add(p);
    models.set(m.modelId, add(c));
  }
  for (const f of inv.modelFiles) {
    const c = new Models.Component(Enums.ComponentType.MachineLearningModel, f.path.split('/').pop() ?? f.path, {
      bomRef: `model-file:${f.path}`,
      description: `local weights (${f.format})`,
    });
    if (f.sha256 && HEX64.test(f.sha256)) c.hashes.set(Enums.HashAlgorithm['SHA-256'], f.sha256.toLowerCase());
    for (const p of props([
      ['path', f.path],
      ['format', f.format],
      ['size', f.size],
      ['firstSeen', f.firstSeen],
      ['lastSeen', f.lastSeen],
    ]))
      c.properties.add(p);
    add(c);
  }
  for (const fw of inv.frameworks) {
    const c = new Models.Component(Enums.ComponentType.Library, fw.name, {
      bomRef: `pkg:${fw.ecosystem}:${fw.name}`,
      version: fw.version,
    });
    const u = purl(fw.ecosystem, fw.name, fw.version);
    if (u) c.purl = u;
    for (const p of props([
      ['ecosystem', fw.ecosystem],
      ['aiFramework', fw.ai],
      ['versionsSeen', fw.versionsSeen.join(',')],
      ['lastSeen', fw.lastSeen],
    ]))
      c.properties.add(p);
    add(c);
  }
  for (const p of inv.prompts) {
    const c = new Models.Component(Enums.ComponentType.File, p.id, {
      bomRef: `prompt:${p.id}`,
      description: 'prompt template',
    });
    if (HEX64.test(p.sha256)) c.hashes.set(Enums.HashAlgorithm['SHA-256'], p.sha256.toLowerCase());
    else for (const x of props([['sha256', p.sha256]])) c.properties.add(x);
    for (const x of props([['lastSeen', p.lastSeen]])) c.properties.add(x);
    add(c);
  }
  for (const img of inv.images) {
    const c = new Models.Component(Enums.ComponentType.Container, img.name, {
      bomRef: `image:${img.ref}`,
      ...(img.tag ? { version: img.tag } : {}),
    });
    if (img.digest) c.hashes.set(Enums.HashAlgorithm['SHA-256'], img.digest.slice('sha256:'.length));
    for (const p of props([
      ['image', img.ref],
      ['lastSeen', img.lastSeen],
    ]))
      c.properties.add(p);
    add(c);
  }
  return models;
}

/** The BOM model and the JSON-only additions (model cards, service endpoints) keyed by bom-ref. */
export function inventoryBom(inv: Inventory, opts: BomOptions = {}): { bom: Models.Bom; extras: ServiceExtras } {
  const bom = new Models.Bom();
  if (opts.serialNumber) bom.serialNumber = opts.serialNumber;
  bom.metadata.timestamp = new Date(inv.at);
  const tag = inv.images.length === 1 ? inv.images[0]!.tag : undefined;
  const subject = new Models.Component(Enums.ComponentType.Application, inv.subject, {
    bomRef: 'subject',
    description: 'AI agent (runtime-derived inventory by Warden)',
    ...(tag ? { version: tag } : {}),
  });
  bom.metadata.component = subject;
  bom.metadata.tools.components.add(
    new Models.Component(Enums.ComponentType.Application, 'warden', {
      bomRef: 'tool:warden',
      ...(opts.wardenVersion ? { version: opts.wardenVersion } : {}),
      description: 'runtime security control plane for AI agents: runtime-derived inventory',
    }),
  );
  for (const t of opts.tools ?? [])
    bom.metadata.tools.components.add(
      new Models.Component(Enums.ComponentType.Library, t.name, {
        bomRef: `tool:${t.name}`,
        version: t.version,
        ...(t.group ? { group: t.group } : {}),
      }),
    );
  for (const p of props([
    ['snapshot.at', inv.at],
    ['snapshot.from', inv.from],
    ['primaryModel', inv.primaryModel],
    ['configuredModels', inv.configuredModels.join(',') || undefined],
    [
      'fallback',
      inv.fallback
        ? `configured ${inv.fallback.configured.join(',')} -> used ${inv.fallback.actual.join(',')}`
        : undefined,
    ],
    ['promptVersion', inv.promptVersion],
    ['endpointsOmitted', inv.endpointsOmitted || undefined],
  ]))
    bom.metadata.properties.add(p);

  const models = addComponents(bom, inv, subject);
  const extras = addServices(bom, inv, subject, models);
  for (const m of inv.models) {
    const card = modelCard(m, inv, opts.labels ?? {});
    if (card) extras.set(`model:${m.modelId}`, { modelCard: card });
  }
  return { bom, extras };
}

/** CycloneDX 1.6 JSON text of the inventory. */
export function inventoryCycloneDxJson(inv: Inventory, opts: BomOptions = {}): string {
  const { bom, extras } = inventoryBom(inv, opts);
  const factory = new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6);
  const json = factory.makeForBom().normalize(bom, { sortLists: true }) as unknown as Json;
  for (const list of [json.components, json.services])
    for (const item of (list as Json[] | undefined) ?? []) Object.assign(item, extras.get(String(item['bom-ref'])));
  return JSON.stringify(json, null, 2);
}
