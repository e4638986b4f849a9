#!/usr/bin/env node
// Launcher. Runs the compiled CLI (dist/cli, built by scripts/build-cli.mjs at `npm ci`); when a source file changed
// since that build it rebuilds first (about a second), so a stale build never runs. Without esbuild (a production
// install) and without a build, it falls back to compiling the TypeScript through tsx.
import { readFileSync, statSync } from 'node:fs';
import module from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import v8 from 'node:v8';

// Node 22+: cache compiled code between runs (Node 20 has no compile cache; the call is absent there).
module.enableCompileCache?.();
// A CLI run is short: V8's optimizing compiler would compile every function called a few thousand times (per-file
// helpers, path and stat code) at a cost its faster code does not repay within the run. Eight times V8's default
// budget (67,584) leaves compilation to what stays hot: on `warden ingest` of the ingest benchmark's corpus, about
// 10% less CPU and 3,000 fewer page faults (medians of 6 runs on the project's 2-core VM). Worker threads inherit it.
v8.setFlagsFromString('--interrupt-budget=540672');

const root = fileURLToPath(new URL('..', import.meta.url));

/** The built entry when every input still has the mtime and size it was built from. */
function freshBuild() {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(root, 'dist', 'cli', 'manifest.json'), 'utf8'));
  } catch {
    return undefined;
  }
  for (const [path, [mtimeMs, size]] of Object.entries(manifest.inputs)) {
    try {
      const s = statSync(join(root, path));
      if (s.mtimeMs !== mtimeMs || s.size !== size) return undefined;
    } catch {
      return undefined;
    }
  }
  return join(root, manifest.entry);
}

let entry = freshBuild();
if (!entry) {
  let build;
  try {
    build = (await import('../scripts/build-cli.mjs')).buildCli;
    await import('esbuild');
  } catch {
    build = undefined;
  }
  if (build) {
    try {
      entry = await build(root);
    } catch (err) {
      process.stderr.write(`warden: cannot build the CLI: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    }
  } else {
    const { register } = await import('tsx/esm/api');
    register();
    entry = join(root, 'bin', 'warden.ts');
  }
}
await import(pathToFileURL(entry).href);
