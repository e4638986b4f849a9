/** Difference between two inventory snapshots of one subject (added MCP servers, changed prompt hashes ...). */
import type { Inventory, InventoryDiff } from './types.ts';

function setDiff(before: string[], after: string[]): { added: string[]; removed: string[] } {
  const b = new Set(before);
  const a = new Set(after);
  return { added: after.filter((x) => !b.has(x)).sort(), removed: before.filter((x) => !a.has(x)).sort() };
}

export function diffInventory(before: Inventory, after: Inventory): InventoryDiff {
  const models = setDiff(
    before.models.map((m) => m.modelId),
    after.models.map((m) => m.modelId),
  );
  const files = setDiff(
    before.modelFiles.map((f) => f.path),
    after.modelFiles.map((f) => f.path),
  );
  const fileChanged = after.modelFiles
    .filter((f) => {
      const o = before.modelFiles.find((x) => x.path === f.path);
      return o !== undefined && (o.sha256 !== f.sha256 || o.size !== f.size);
    })
    .map((f) => f.path);
  const fwId = (f: { ecosystem: string; name: string }) => `${f.ecosystem}:${f.name}`;
  const fw = setDiff(before.frameworks.map(fwId), after.frameworks.map(fwId));
  const fwChanged = after.frameworks.flatMap((f) => {
    const o = before.frameworks.find((x) => fwId(x) === fwId(f));
    return o && o.version !== f.version ? [{ name: fwId(f), before: o.version, after: f.version }] : [];
  });
  const mcpId = (m: { transport: string; name: string }) => `${m.transport}:${m.name}`;
  const mcp = setDiff(before.mcpServers.map(mcpId), after.mcpServers.map(mcpId));
  const pr = setDiff(
    before.prompts.map((p) => p.id),
    after.prompts.map((p) => p.id),
  );
  const prChanged = after.prompts.flatMap((p) => {
    const o = before.prompts.find((x) => x.id === p.id);
    return o && o.sha256 !== p.sha256 ? [{ id: p.id, before: o.sha256, after: p.sha256 }] : [];
  });
  const primaryChanged = before.primaryModel !== after.primaryModel;
  const promptChanged = before.promptVersion !== after.promptVersion;
  const d: InventoryDiff = {
    subject: after.subject,
    from: before.at,
    to: after.at,
    models,
    ...(primaryChanged ? { primaryModel: { before: before.primaryModel, after: after.primaryModel } } : {}),
    modelFiles: { ...files, changed: fileChanged },
    frameworks: { ...fw, changed: fwChanged },
    mcpServers: mcp,
    prompts: { ...pr, changed: prChanged },
    ...(promptChanged ? { promptVersion: { before: before.promptVersion, after: after.promptVersion } } : {}),
    empty: false,
  };
  const lists = [
    models.added,
    models.removed,
    files.added,
    files.removed,
    fileChanged,
    fw.added,
    fw.removed,
    fwChanged,
    mcp.added,
    mcp.removed,
    pr.added,
    pr.removed,
    prChanged,
  ];
  d.empty = !primaryChanged && !promptChanged && lists.every((l) => l.length === 0);
  return d;
}
