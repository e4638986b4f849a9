/**
 * Inventory of a watched process from what it opened (local mode, `warden agent watch`): only the packages whose
 * files the process loaded, the model files it opened and the prompt files it read. Scanning its working directory
 * instead would list everything that happens to sit there (a repository's whole node_modules for `sh -c ...`).
 *
 * - npm: a file under `.../node_modules/<pkg>/` names `<pkg>`, versioned from its package.json.
 * - PyPI: a file under `.../site-packages/<top>/` (or `<top>.py`, or `*.dist-info/`) names the distribution that
 *   installs `<top>` (its `top_level.txt`, else the first segments of its RECORD), versioned from its METADATA.
 * - models: opened files with a weights extension; prompts: opened files matching the prompt globs.
 */
import { lstat, readdir, readFile } from 'node:fs/promises';
import { isModelFile } from '../lib/core/sources/node-agent.ts';
import {
  distInfoPackage,
  globToRegExp,
  type Inventory,
  type InventoryPackage,
  packageJsonPackage,
  sha256File,
} from './inventory.ts';

/** Bounds: distinct paths considered, and bytes read of one RECORD file. */
const MAX_PATHS = 200_000;
const MAX_RECORD_BYTES = 2 * 1024 * 1024;

const NODE_MODULE = /^(.*\/node_modules\/)((?:@[^/]+\/)?[^/@]+)\//;
const SITE_PACKAGES = /^(.*\/(?:site|dist)-packages)\/([^/]+)/;

/** `top-level module -> dist-info directory` of one site-packages directory, read once. */
async function topLevelIndex(site: string): Promise<Map<string, string>> {
  const index = new Map<string, string>();
  let names: string[];
  try {
    names = (await readdir(site)).filter((n) => n.endsWith('.dist-info'));
  } catch {
    return index;
  }
  for (const d of names) {
    const dir = `${site}/${d}`;
    let tops: string[] = [];
    try {
      tops = (await readFile(`${dir}/top_level.txt`, 'utf8')).split(/\r?\n/).filter(Boolean);
    } catch {
      try {
        const record = (await readFile(`${dir}/RECORD`, 'utf8')).slice(0, MAX_RECORD_BYTES);
        tops = [...new Set(record.split(/\r?\n/).map((l) => l.split(/[/,]/)[0] ?? ''))].filter(
          (t) => t && !t.endsWith('.dist-info') && !t.startsWith('..'),
        );
      } catch {
        // neither file: the directory name still versions the distribution when something inside it is opened
      }
    }
    for (const t of tops) index.set(t.replace(/\.py$/, ''), dir);
  }
  return index;
}

export interface OpenedInventoryOptions {
  /** Globs (absolute) for prompt files. */
  promptGlobs: string[];
  maxPromptBytes?: number;
}

/** Builds the inventory from the absolute paths a process opened successfully. */
export async function inventoryFromOpens(opened: Iterable<string>, opts: OpenedInventoryOptions): Promise<Inventory> {
  const inv: Inventory = { packages: [], models: [], prompts: [], entries: 0, truncated: false };
  const prompts = opts.promptGlobs.map(globToRegExp);
  const npmDirs = new Set<string>();
  const pyDists = new Set<string>();
  const sites = new Map<string, Promise<Map<string, string>>>();
  for (const path of opened) {
    if (++inv.entries > MAX_PATHS) {
      inv.truncated = true;
      break;
    }
    const npm = NODE_MODULE.exec(path);
    if (npm) npmDirs.add(`${npm[1]}${npm[2]}`);
    const py = SITE_PACKAGES.exec(path);
    // `*.pth` files are read by every interpreter start, whether or not their package is imported.
    if (py && !path.endsWith('.pth')) {
      const [, site = '', dirOrFile = ''] = py;
      // `site-packages/__pycache__/six.cpython-311.pyc` is module `six`
      const first = dirOrFile === '__pycache__' ? (path.slice(site.length + 13).split('/')[0] ?? '') : dirOrFile;
      if (first.endsWith('.dist-info')) pyDists.add(`${site}/${first}`);
      else {
        let index = sites.get(site);
        if (!index) {
          index = topLevelIndex(site);
          sites.set(site, index);
        }
        const dist = (await index).get(first.replace(/\.(py|pyc|so)$/, '').replace(/\..*$/, ''));
        if (dist) pyDists.add(dist);
      }
    }
    if (isModelFile(path)) {
      const size = await lstat(path).then(
        (s) => s.size,
        () => undefined,
      );
      if (size !== undefined) inv.models.push({ path, size });
    }
    if (prompts.some((re) => re.test(path))) {
      try {
        const size = (await lstat(path)).size;
        inv.prompts.push({ path, size, sha256: await sha256File(path, opts.maxPromptBytes ?? 4 * 1024 * 1024) });
      } catch {
        // gone since the process read it
      }
    }
  }
  const packages: (InventoryPackage | undefined)[] = [];
  for (const dir of npmDirs) packages.push(await packageJsonPackage(`${dir}/package.json`, dir));
  for (const dir of pyDists) packages.push(await distInfoPackage(dir, dir));
  inv.packages = packages
    .filter((p): p is InventoryPackage => p !== undefined)
    .sort((a, b) => a.path.localeCompare(b.path));
  inv.models.sort((a, b) => a.path.localeCompare(b.path));
  inv.prompts.sort((a, b) => a.path.localeCompare(b.path));
  return inv;
}
