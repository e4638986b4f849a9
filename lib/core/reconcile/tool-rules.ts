/** Declared tools (Bedrock action group functions, knowledge bases, collaborators, MCP tools) never invoked. */
import type { Evidence, UnusedExcessFinding } from './findings.ts';
import type { DeclaredScope, ObservedBehavior } from './types.ts';

const TOOL_KINDS = new Set(['tool', 'kb', 'agent']);

export function reconcileTools(scope: DeclaredScope, observed: ObservedBehavior[]) {
  const unused: UnusedExcessFinding[] = [];
  const unexplained: (Evidence & { reason: string })[] = [];
  const seen = new Map<string, ObservedBehavior>();
  for (const b of observed) if (TOOL_KINDS.has(b.key.split(':')[0] ?? '')) seen.set(b.key, b);
  const bySource = new Map<string, string[]>();
  const exercisedBySource = new Map<string, Evidence[]>();
  const declared = new Set(scope.tools.map((t) => t.key));
  for (const t of scope.tools) {
    const b = seen.get(t.key);
    if (b) {
      exercisedBySource.set(t.source, [
        ...(exercisedBySource.get(t.source) ?? []),
        { key: b.key, count: b.count, firstSeen: b.firstSeen, lastSeen: b.lastSeen },
      ]);
    } else bySource.set(t.source, [...(bySource.get(t.source) ?? []), t.key]);
  }
  for (const [source, keys] of [...bySource].sort(([a], [b]) => a.localeCompare(b))) {
    unused.push({
      id: `unused-excess:tool:${source}`,
      category: 'unused-excess',
      kind: 'tool',
      source,
      unused: keys.sort().map((item) => ({ item })),
      byAccessLevel: {},
      exercised: exercisedBySource.get(source) ?? [],
      unexpanded: [],
      summary: `${source} declares ${keys.length} tool(s) never invoked in the window: ${keys.join(', ')}`,
    });
  }
  for (const [key, b] of seen) {
    if (!declared.has(key) && scope.tools.length > 0) {
      unexplained.push({
        key,
        count: b.count,
        firstSeen: b.firstSeen,
        lastSeen: b.lastSeen,
        reason: 'tool invoked but not declared',
      });
    }
  }
  return { unused, unexplained };
}
