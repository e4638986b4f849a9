/**
 * The house rules, read from the import graph of lib/, lambdas/, node-agent/ and bin/ (docs/architecture.md):
 * core <- ports <- adapters, core <- app (use cases) <- entry points (CLI, Lambdas, the node agent's main, CDK);
 * no import climbs a layer, no entry point imports another, nothing below the CLI imports it, no import cycles, and
 * the core imports only the core, node:crypto, node:zlib and a few pure libraries. There are no exceptions: a new
 * import that breaks a rule is moved or injected, not listed here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cycles, type Edge, importsOf, LAYERS, layerOf, ROOT, sourceFiles } from './import-graph.ts';

/** Pure libraries the core may use: no I/O, no clock, no global state. */
const CORE_LIBRARIES = new Set([
  'zod', // schemas of the parsed sources and policies
  'yaml', // rendering Kubernetes manifests
  '@aws-crypto/sha256-js', // incremental SHA-256 of the audit chain, the same bytes on Node and in the browser report
  '@cyclonedx/cyclonedx-library', // the inventory's CycloneDX document
]);
const CORE_BUILTINS = new Set(['node:crypto', 'node:zlib']);

/** Entry points that may import another entry point: the launchers in bin/, and the CLI hosting `agent watch`. */
const ENTRY_TO_ENTRY = new Set(['bin/app.ts -> lib/infra', 'bin/warden.ts -> lib/cli']);

const files = sourceFiles();
const edges = files.flatMap(importsOf);
const local = edges.filter((e) => files.includes(e.to));
const rank = (file: string) => LAYERS.indexOf(layerOf(file).layer);
const show = (e: Edge) => `${e.from} -> ${e.to}`;

describe('import graph', () => {
  it('reads the whole tree and resolves every relative import to a file', () => {
    expect(files.length).toBeGreaterThan(200);
    expect(
      edges
        .filter((e) => e.to.startsWith('lib/') || e.to.startsWith('lambdas/'))
        .filter((e) => !files.includes(e.to))
        .map(show),
    ).toEqual([]);
  });

  it('has no import from a lower layer to a higher one', () => {
    const climbs = local.filter((e) => rank(e.to) > rank(e.from)).map(show);
    expect(climbs).toEqual([]);
  });

  it('has use cases reach adapters through ports only', () => {
    const direct = local.filter((e) => layerOf(e.from).layer === 'app' && layerOf(e.to).layer === 'adapters');
    expect(direct.map(show)).toEqual([]);
  });

  it('has no entry point importing another (nothing below the CLI imports lib/cli)', () => {
    const cross = local
      .filter((e) => {
        const [a, b] = [layerOf(e.from).entry, layerOf(e.to).entry];
        return b !== undefined && a !== b;
      })
      .map(show)
      .filter((s) => ![...ENTRY_TO_ENTRY].some((ok) => s.startsWith(ok)));
    expect(cross).toEqual([]);
    expect(
      local.filter((e) => e.to.startsWith('lib/cli/') && layerOf(e.from).entry !== 'cli' && !e.from.startsWith('bin/')),
    ).toEqual([]);
  });

  it('has no import cycles', () => {
    expect(cycles(local).map((c) => c.join(' | '))).toEqual([]);
  });

  it('keeps the core pure: it imports the core, node:crypto, node:zlib and pure libraries only', () => {
    const bad = edges.filter(
      (e) =>
        layerOf(e.from).layer === 'core' &&
        !e.to.startsWith('lib/core/') &&
        !CORE_BUILTINS.has(e.to) &&
        !CORE_LIBRARIES.has(e.to),
    );
    expect(bad.map(show)).toEqual([]);
  });

  it('keeps modules readable in one sitting: none over 500 lines but generated tables (docs/architecture.md)', () => {
    const long = files
      .filter((f) => !f.endsWith('.generated.ts'))
      .map((f) => ({ f, lines: readFileSync(join(ROOT, f), 'utf8').split('\n').length - 1 }))
      .filter(({ lines }) => lines > 500)
      .map(({ f, lines }) => `${f} (${lines} lines)`);
    expect(long).toEqual([]);
  });

  it('keeps SDK clients out of the core and the ports', () => {
    const sdk = edges.filter((e) => /^@aws-sdk\/|^@smithy\//.test(e.to) && rank(e.from) <= LAYERS.indexOf('ports'));
    expect(sdk.map(show)).toEqual([]);
  });
});

describe('import graph rules catch what they are meant to', () => {
  it('finds a cycle and a climb in a made-up graph', () => {
    const made: Edge[] = [
      { from: 'lib/core/a.ts', to: 'lib/core/b.ts', typeOnly: false },
      { from: 'lib/core/b.ts', to: 'lib/core/a.ts', typeOnly: true },
      { from: 'lib/core/b.ts', to: 'lib/adapters/x.ts', typeOnly: false },
    ];
    expect(cycles(made)).toEqual([['lib/core/a.ts', 'lib/core/b.ts']]);
    expect(made.filter((e) => rank(e.to) > rank(e.from)).map(show)).toEqual(['lib/core/b.ts -> lib/adapters/x.ts']);
    expect(layerOf('node-agent/main.ts')).toEqual({ layer: 'entry', entry: 'node-agent' });
    expect(layerOf('node-agent/watch.ts').layer).toBe('app');
  });
});
