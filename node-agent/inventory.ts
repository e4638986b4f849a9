/**
 * Startup inventory of a container's filesystem (`/proc/<pid>/root` with hostPID, or `/` locally): Python packages
 * (`*.dist-info/METADATA`), Node packages (`node_modules/**\/package.json`), model weight files with sizes, and prompt
 * files matched by configured globs with their SHA-256. Bounded: a maximum depth and number of directory entries;
 * `truncated` says when a bound was hit, so a partial inventory is never mistaken for a complete one.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isModelFile } from '../lib/core/sources/node-agent.ts';

export interface InventoryOptions {
  /** Directories (inside the rootfs) to walk for packages and models. */
  roots: string[];
  /** Globs (inside the rootfs) for prompt files, e.g. `/app/prompts/**\/*.md`. */
  promptGlobs: string[];
  maxDepth?: number;
  maxEntries?: number;
  /** Prompt files larger than this are hashed anyway but reported with their size; bound on bytes read per file. */
  maxPromptBytes?: number;
}

export const DEFAULT_INVENTORY: InventoryOptions = {
  roots: ['/usr/lib', '/usr/local/lib', '/opt', '/app', '/srv', '/home', '/workspace', '/models', '/root'],
  promptGlobs: ['/app/**/prompts/**/*', '/app/**/*.prompt', '/app/**/*.prompt.*', '/prompts/**/*'],
  maxDepth: 12,
  maxEntries: 200_000,
  maxPromptBytes: 4 * 1024 * 1024,
};

export interface InventoryPackage {
  ecosystem: 'pypi' | 'npm';
  name: string;
  version: string;
  path: string;
}

export interface Inventory {
  packages: InventoryPackage[];
  models: Array<{ path: string; size: number }>;
  prompts: Array<{ path: string; sha256: string; size: number }>;
  entries: number;
  truncated: boolean;
}

/** Converts a glob (`**`, `*`, `?`) to an anchored RegExp over absolute paths. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        i++;
        if (glob[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** The literal directory a glob starts in (`/app/**\/x` -> `/app`). */
function globBase(glob: string): string {
  const parts = glob.split('/');
  const i = parts.findIndex((p) => /[*?]/.test(p));
  return (i < 0 ? parts.slice(0, -1) : parts.slice(0, i)).join('/') || '/';
}

const SKIP = new Set(['/proc', '/sys', '/dev', '/run', '/tmp', '/var/lib/docker', '/var/lib/containerd']);

function metadataField(text: string, field: string): string | undefined {
  const re = new RegExp(`^${field}:\\s*(.+)$`, 'mi');
  return re.exec(text.split(/\r?\n\r?\n/)[0] ?? '')?.[1]?.trim();
}

/** The Python distribution a `*.dist-info` directory describes (METADATA, else the directory name). */
export async function distInfoPackage(hostPath: string, reportedPath: string): Promise<InventoryPackage | undefined> {
  let name: string | undefined;
  let version: string | undefined;
  try {
    const meta = await readFile(`${hostPath}/METADATA`, 'utf8');
    name = metadataField(meta, 'Name');
    version = metadataField(meta, 'Version');
  } catch {
    const m = /\/([^/]+?)-([^-/]+)\.dist-info$/.exec(reportedPath);
    name = m?.[1];
    version = m?.[2];
  }
  if (!name || !version) return undefined;
  return { ecosystem: 'pypi', name: name.toLowerCase().replace(/[-_.]+/g, '-'), version, path: reportedPath };
}

/** The npm package whose `package.json` is at `hostPath` (reported at `dir`), when it names itself and a version. */
export async function packageJsonPackage(hostPath: string, dir: string): Promise<InventoryPackage | undefined> {
  try {
    const pkg = JSON.parse(await readFile(hostPath, 'utf8')) as { name?: unknown; version?: unknown };
    if (typeof pkg.name === 'string' && typeof pkg.version === 'string' && pkg.name && pkg.version)
      return { ecosystem: 'npm', name: pkg.name, version: pkg.version, path: dir };
  } catch {
    // not JSON: not a package we can name
  }
  return undefined;
}

/** SHA-256 of at most `maxBytes` of a file. */
export async function sha256File(path: string, maxBytes: number): Promise<string> {
  const h = createHash('sha256');
  await new Promise<void>((resolve, reject) => {
    createReadStream(path, { end: maxBytes - 1 })
      .on('data', (c) => h.update(c))
      .on('end', resolve)
      .on('error', reject);
  });
  return h.digest('hex');
}

/**
 * Scans `rootfs` (a host path; reported paths are inside it).
 * @example await scanInventory('/proc/4242/root', DEFAULT_INVENTORY)
 */
export async function scanInventory(rootfs: string, opts: InventoryOptions = DEFAULT_INVENTORY): Promise<Inventory> {
  const maxDepth = opts.maxDepth ?? 12;
  const maxEntries = opts.maxEntries ?? 200_000;
  const inv: Inventory = { packages: [], models: [], prompts: [], entries: 0, truncated: false };
  const prompts = opts.promptGlobs.map(globToRegExp);
  const seenDirs = new Set<string>();
  const seenFiles = new Set<string>();
  const host = (p: string) => join(rootfs, p);

  const visitFile = async (path: string, size: number) => {
    if (seenFiles.has(path)) return;
    seenFiles.add(path);
    if (isModelFile(path)) inv.models.push({ path, size });
    if (prompts.some((re) => re.test(path))) {
      try {
        inv.prompts.push({ path, sha256: await sha256File(host(path), opts.maxPromptBytes ?? 4 * 1024 * 1024), size });
      } catch {
        // unreadable prompt file: skipped (permissions); the open of it will still show in kernel records
      }
    }
  };

  const walk = async (dir: string, depth: number): Promise<void> => {
    if (inv.truncated || seenDirs.has(dir) || SKIP.has(dir)) return;
    seenDirs.add(dir);
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(host(dir), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (++inv.entries > maxEntries) {
        inv.truncated = true;
        return;
      }
      const path = dir === '/' ? `/${e.name}` : `${dir}/${e.name}`;
      if (e.isDirectory()) {
        if (e.name.endsWith('.dist-info')) {
          await readDistInfo(path);
          continue;
        }
        if (e.name === 'package.json') continue;
        if (depth + 1 > maxDepth) {
          inv.truncated = true;
          continue;
        }
        await walk(path, depth + 1);
      } else if (e.isFile()) {
        if (e.name === 'package.json' && /\/node_modules\/(@[^/]+\/)?[^/@]+\/package\.json$/.test(path))
          await readPackageJson(path);
        if (isModelFile(path) || prompts.some((re) => re.test(path))) {
          try {
            await visitFile(path, (await lstat(host(path))).size);
          } catch {
            // vanished
          }
        }
      }
      // Symlinks are not followed: a container can point them anywhere on the host view.
    }
  };

  const readDistInfo = async (path: string) => {
    const pkg = await distInfoPackage(host(path), path);
    if (pkg) inv.packages.push(pkg);
  };

  const readPackageJson = async (path: string) => {
    const pkg = await packageJsonPackage(host(path), path.slice(0, -'/package.json'.length));
    if (pkg) inv.packages.push(pkg);
  };

  for (const root of [...opts.roots, ...opts.promptGlobs.map(globBase)]) {
    const depth = root.split('/').filter(Boolean).length;
    await walk(root.replace(/\/$/, '') || '/', depth);
  }
  const byKey = <T>(xs: T[], k: (x: T) => string) => [...new Map(xs.map((x) => [k(x), x])).values()];
  inv.packages = byKey(inv.packages, (p) => `${p.ecosystem}:${p.name}@${p.version}:${p.path}`).sort((a, b) =>
    a.path.localeCompare(b.path),
  );
  inv.models.sort((a, b) => a.path.localeCompare(b.path));
  inv.prompts.sort((a, b) => a.path.localeCompare(b.path));
  return inv;
}
