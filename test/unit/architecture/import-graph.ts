/**
 * Reads Warden's import graph from the source files (every static `import`/`export ... from` and `import('...')`),
 * and names each file's layer. Used by import-graph.test.ts; kept apart so the rules read as a table there.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../../..');

/** Layers, lowest first; a file may import its own layer and lower ones only (entries: see ENTRY_LAYERS). */
export const LAYERS = ['core', 'ports', 'adapters', 'app', 'entry'] as const;
export type Layer = (typeof LAYERS)[number];

/**
 * Entry points: each imports app, adapters, ports and core, never another entry point. `worker` is the ingest's parse
 * worker, a worker thread's main module: it wires its own adapters, since functions cannot cross to a thread.
 */
export const ENTRY_LAYERS = ['cli', 'lambdas', 'node-agent', 'infra', 'bin', 'worker'] as const;

export interface Edge {
  from: string;
  /** A repository path, or the package / `node:` module name. */
  to: string;
  typeOnly: boolean;
}

const SOURCE_DIRS = ['lib', 'lambdas', 'node-agent', 'bin'];

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.(ts|mts|js|mjs)$/.test(name) && !name.endsWith('.d.ts')) out.push(relative(ROOT, p));
  }
  return out;
}

/** Every production source file, relative to the repository root. */
export function sourceFiles(): string[] {
  return SOURCE_DIRS.flatMap((d) => walk(join(ROOT, d))).sort();
}

/** The imports of one file (comments are not parsed out: an import in a comment would count, none does). */
export function importsOf(file: string): Edge[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const edges: Edge[] = [];
  const add = (spec: string, typeOnly: boolean) => {
    const to = spec.startsWith('.') ? relative(ROOT, resolve(ROOT, dirname(file), spec)) : spec;
    edges.push({ from: file, to, typeOnly });
  };
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^'";]*?\sfrom\s+'([^']+)'/gm))
    add(m[3]!, Boolean(m[2]));
  for (const m of text.matchAll(/^\s*import\s+'([^']+)'/gm)) add(m[1]!, false);
  for (const m of text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)) add(m[1]!, false);
  return edges;
}

/** The layer of a repository file, and for entries which entry point it belongs to. */
export function layerOf(file: string): { layer: Layer; entry?: (typeof ENTRY_LAYERS)[number] } {
  if (file.startsWith('lib/core/')) return { layer: 'core' };
  if (file === 'lib/ports.ts') return { layer: 'ports' };
  if (file.startsWith('lib/adapters/')) return { layer: 'adapters' };
  if (file.startsWith('lib/cli/')) return { layer: 'entry', entry: 'cli' };
  if (file.startsWith('lib/infra/')) return { layer: 'entry', entry: 'infra' };
  if (file === 'node-agent/main.ts') return { layer: 'entry', entry: 'node-agent' };
  if (file === 'lib/app/ingest/parse-worker.ts') return { layer: 'entry', entry: 'worker' };
  for (const e of ['lambdas', 'bin'] as const) if (file.startsWith(`${e}/`)) return { layer: 'entry', entry: e };
  // Use cases: lib/app/<capability>/, the test-data generators of lib/demo/ (run by the CLI's demo script and the
  // tests), and the node agent's runtime (node-agent/, whose main.ts is its entry point; `agent watch` runs it too).
  const APP_DIRS = ['lib/app/', 'lib/demo/', 'node-agent/'];
  if (APP_DIRS.some((d) => file.startsWith(d))) return { layer: 'app' };
  // A language polyfill imported first by the entry points and the local rollout: below every layer.
  if (file === 'lib/polyfills.ts') return { layer: 'core' };
  throw new Error(`${file} is in no layer: put it in one (docs/architecture.md) and name it in layerOf`);
}

/** Strongly connected components of more than one file (import cycles), by Tarjan's algorithm. */
export function cycles(edges: Edge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of next.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of next.keys()) if (!idx.has(v)) visit(v);
  return out;
}
