/**
 * The inventory as a CycloneDX 1.6 ML-BOM (JSON) built with @cyclonedx/cyclonedx-library: models invoked and model
 * files as `machine-learning-model` components, frameworks as `library` components (with purls), MCP servers as
 * services, prompt hashes as `file` components with SHA-256 hashes. Runtime facts go into `warden:*` properties.
 */
import { Enums, Models, Serialize, Spec } from '@cyclonedx/cyclonedx-library';
import type { Inventory } from './types.ts';

function props(entries: [string, string | number | boolean | undefined][]): Models.Property[] {
  return entries.filter(([, v]) => v !== undefined).map(([k, v]) => new Models.Property(`warden:${k}`, String(v)));
}

const PURL_TYPE: Record<string, string> = { pypi: 'pypi', npm: 'npm', maven: 'maven', go: 'golang', cargo: 'cargo' };

function purl(ecosystem: string, name: string, version: string): string | undefined {
  const t = PURL_TYPE[ecosystem];
  if (!t) return undefined;
  const n = name.startsWith('@') ? `%40${name.slice(1)}` : name;
  return `pkg:${t}/${n}@${encodeURIComponent(version)}`;
}

const HEX64 = /^[0-9a-f]{64}$/i;

export function inventoryBom(inv: Inventory, opts: { serialNumber?: string } = {}): Models.Bom {
  const bom = new Models.Bom();
  if (opts.serialNumber) bom.serialNumber = opts.serialNumber;
  bom.metadata.timestamp = new Date(inv.at);
  bom.metadata.component = new Models.Component(Enums.ComponentType.Application, inv.subject, {
    bomRef: 'subject',
    description: 'AI agent (runtime-derived inventory by Warden)',
  });
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
  ]))
    bom.metadata.properties.add(p);

  for (const m of inv.models) {
    const c = new Models.Component(Enums.ComponentType.MachineLearningModel, m.modelId, {
      bomRef: `model:${m.modelId}`,
      group: m.provider,
      description: 'model invoked (Amazon Bedrock)',
    });
    for (const p of props([
      ['invokedAs', m.invokedAs.join(',')],
      ['inferenceProfile', m.inferenceProfile],
      ['invocations', m.count],
      ['firstSeen', m.firstSeen],
      ['lastSeen', m.lastSeen],
      ['configured', m.configured],
    ]))
      c.properties.add(p);
    bom.components.add(c);
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
    bom.components.add(c);
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
    bom.components.add(c);
  }
  for (const p of inv.prompts) {
    const c = new Models.Component(Enums.ComponentType.File, p.id, {
      bomRef: `prompt:${p.id}`,
      description: 'prompt template',
    });
    if (HEX64.test(p.sha256)) c.hashes.set(Enums.HashAlgorithm['SHA-256'], p.sha256.toLowerCase());
    else for (const x of props([['sha256', p.sha256]])) c.properties.add(x);
    for (const x of props([['lastSeen', p.lastSeen]])) c.properties.add(x);
    bom.components.add(c);
  }
  for (const m of inv.mcpServers) {
    const s = new Models.Service(m.name, { bomRef: `mcp:${m.transport}:${m.name}`, group: 'mcp' });
    for (const p of props([
      ['mcp.transport', m.transport],
      // The library's Service model has no endpoints field; a remote server's URL is its name and this property.
      ['mcp.url', m.transport === 'remote' ? m.name : undefined],
      ['mcp.via', m.via],
      ['mcp.command', m.command],
      ['firstSeen', m.firstSeen],
      ['lastSeen', m.lastSeen],
    ]))
      s.properties.add(p);
    bom.services.add(s);
  }
  return bom;
}

/** CycloneDX 1.6 JSON text of the inventory. */
export function inventoryCycloneDxJson(inv: Inventory, opts: { serialNumber?: string } = {}): string {
  const serializer = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6));
  return serializer.serialize(inventoryBom(inv, opts), { sortLists: true, space: 2 });
}
