// Builds the `warden` CLI into dist/cli/ with esbuild: one ESM entry plus one chunk per lazily loaded command, our
// own TypeScript bundled and every package left external (resolved from node_modules at run time), and each worker
// thread's entry as one CommonJS file with everything bundled (WORKER_ENTRIES). It runs at
// `npm ci` (the `prepare` script), before the benchmarks and the tests, and from bin/warden.js whenever a source file
// changed since the last build, so nothing ever runs a stale CLI.
//
// dist/cli/manifest.json names the entry and every input with its mtime and size; bin/warden.js compares them with
// the files on disk (a few hundred stat calls) before importing the build. Each build lands in its own content-hashed
// directory and every file is written through a rename, so concurrent CLI processes that rebuild at once never read
// a half-written file.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OLD_BUILD_MS = 24 * 3_600_000;

/** Atomic enough for readers: write beside, then rename over. */
function writeAtomic(path, data) {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

// Entries besides the CLI: the ingest parse worker runs compiled in its own thread (lib/app/ingest/parallel.ts starts
// it from the build's root, `parse-worker.cjs` beside `warden.js`). Each is one self-contained CommonJS file, its
// packages bundled too: a worker thread loads it with the CommonJS loader alone (no ES module graph to resolve and
// link, no ESM loader to set up in the thread), which is most of what a worker waits for before parsing. Measured on
// the project's 2-core VM (median of 8 starts): the worker ready to parse 36 ms after it was started, against 60 ms
// for the ESM entry over 14 shared chunks and zod's 10 files.
const WORKER_ENTRIES = { 'parse-worker': 'lib/app/ingest/parse-worker.ts' };
// Modules that find the build's own files (the worker entries) relative to their chunk keep the chunk's location.
const CHUNK_LOCATED = new Set(['lib/app/ingest/parallel.ts']);

// Bundling moves code: a module that finds files relative to itself (the bpf loader binary, the IAM data) keeps its
// own source location instead of the chunk's.
const keepModuleLocation = {
  name: 'keep-module-location',
  setup(build) {
    const root = build.initialOptions.absWorkingDir;
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      if (CHUNK_LOCATED.has(relative(root, args.path).split('\\').join('/'))) return undefined;
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes('import.meta.')) return undefined;
      const url = pathToFileURL(args.path).href;
      return {
        loader: 'ts',
        contents: source
          .replaceAll('import.meta.url', JSON.stringify(url))
          .replaceAll('import.meta.dirname', JSON.stringify(dirname(args.path)))
          .replaceAll('import.meta.filename', JSON.stringify(args.path)),
      };
    });
  },
};

// Packages stay in node_modules, except commander and zod: every command loads commander first, and the parsers of
// every ingest load zod (10 ES modules); one bundled module starts faster than a package resolved file by file
// (zod bundled: 1.7% fewer instructions for a one-file `warden ingest`). No other package depends on zod, so no
// schema or error crosses between the bundled copy and another.
const BUNDLED_PACKAGES = new Set(['commander', 'zod']);
const externalPackages = {
  name: 'external-packages',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) =>
      BUNDLED_PACKAGES.has(args.path) || args.path.startsWith('node:')
        ? undefined
        : { path: args.path, external: true },
    );
  },
};

// commander loads node:child_process when its module loads, for subcommands that run as executables of their own
// (warden has none): that and what it pulls in (net, dgram, more of stream) was about 11 ms of every command's
// start-up on the project's 2-core VM. The bundled copy loads it when a spawn is asked for. A commander that no longer
// has this line is bundled as it is.
const COMMANDER_CHILD_PROCESS = "const childProcess = require('node:child_process');";
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(build) {
    build.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes(COMMANDER_CHILD_PROCESS)) return undefined;
      return {
        loader: 'js',
        contents: source.replace(
          COMMANDER_CHILD_PROCESS,
          "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };",
        ),
      };
    });
  },
};

/** Builds the CLI; returns the absolute path of the entry module. */
export async function buildCli(root = ROOT) {
  const esbuild = await import('esbuild');
  const nextDir = join(root, 'dist', 'cli', 'next');
  const cli = esbuild.build({
    absWorkingDir: root,
    entryPoints: { warden: join(root, 'bin', 'warden.ts') },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // A bundled CommonJS package calls require() for Node's built-ins.
    banner: {
      js: "import { createRequire as __wardenRequire } from 'node:module';const require = __wardenRequire(import.meta.url);",
    },
    outdir: nextDir,
    entryNames: '[name]',
    chunkNames: 'chunks/[name]-[hash]',
    sourcemap: 'linked',
    metafile: true,
    write: false,
    logLevel: 'silent',
    plugins: [externalPackages, keepModuleLocation, lazyChildProcess],
  });
  const workers = esbuild.build({
    absWorkingDir: root,
    entryPoints: Object.fromEntries(Object.entries(WORKER_ENTRIES).map(([name, path]) => [name, join(root, path)])),
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    outdir: nextDir,
    entryNames: '[name]',
    outExtension: { '.js': '.cjs' },
    sourcemap: 'linked',
    metafile: true,
    write: false,
    logLevel: 'silent',
    plugins: [keepModuleLocation],
  });
  const results = await Promise.all([cli, workers]);
  const outputFiles = results.flatMap((r) => r.outputFiles);
  const hash = createHash('sha256');
  for (const f of outputFiles) hash.update(f.path).update(f.contents);
  const id = hash.digest('hex').slice(0, 12);
  const dir = join(root, 'dist', 'cli', id);
  for (const f of outputFiles) writeAtomic(join(dir, relative(nextDir, f.path)), f.contents);

  const inputs = {};
  const files = [...new Set(results.flatMap((r) => Object.keys(r.metafile.inputs)))];
  files.push('scripts/build-cli.mjs', 'package.json');
  for (const p of files) {
    const s = statSync(join(root, p));
    inputs[p] = [s.mtimeMs, s.size];
  }
  const entry = relative(root, join(dir, 'warden.js'));
  writeAtomic(join(root, 'dist', 'cli', 'manifest.json'), `${JSON.stringify({ entry, inputs })}\n`);
  removeOldBuilds(join(root, 'dist', 'cli'), id);
  return join(root, entry);
}

/** Builds older than a day are gone; newer ones may still serve a running command's lazy chunks. */
function removeOldBuilds(distDir, keep) {
  for (const name of readdirSync(distDir)) {
    if (name === keep || name === 'manifest.json' || name.endsWith('.tmp')) continue;
    const path = join(distDir, name);
    try {
      if (Date.now() - statSync(path).mtimeMs > OLD_BUILD_MS) rmSync(path, { recursive: true, force: true });
    } catch {
      // another process removed it first
    }
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const entry = await buildCli();
    if (!process.argv.includes('--quiet')) process.stdout.write(`built ${relative(ROOT, entry)}\n`);
  } catch (err) {
    process.stderr.write(`build-cli: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
