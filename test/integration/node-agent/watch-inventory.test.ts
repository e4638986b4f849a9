/**
 * `agent watch` inventories what the watched process opened, not what lies around it: in a directory holding two npm
 * packages, two Python distributions, two prompt files and two model files, a workload that loads one of each lists
 * exactly those (with versions from package.json / METADATA, prompt hashes, model sizes), never the unused ones.
 * Real kernel, real Node and CPython; needs root, cgroup2 and `make -C bpf` (fails saying so otherwise).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeAgentBatch } from '../../../lib/core/sources/node-agent.ts';
import { inventoryFromOpens } from '../../../node-agent/opened-inventory.ts';
import { assertLoaderBuilt, findCgroup2Mount, type WatchResult, watchCommand } from '../../../node-agent/watch.ts';

const tmp = mkdtempSync(join(tmpdir(), 'watch-inv-'));
const site = join(tmp, 'venv', 'lib', 'python3', 'site-packages');
const PROMPT = 'You are the support agent of Acme.\n';

function file(path: string, text: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
}

function npmPackage(name: string, version: string): void {
  file(join(tmp, 'node_modules', name, 'package.json'), JSON.stringify({ name, version, main: 'index.js' }));
  file(join(tmp, 'node_modules', name, 'index.js'), 'module.exports = 1;\n');
}

function pyDist(name: string, version: string, top: string): void {
  file(join(site, top, '__init__.py'), 'VALUE = 1\n');
  const info = join(site, `${name}-${version}.dist-info`);
  file(join(info, 'METADATA'), `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n\n`);
  file(join(info, 'top_level.txt'), `${top}\n`);
}

npmPackage('used-pkg', '1.4.2');
npmPackage('@acme/unused-pkg', '9.9.9');
pyDist('Used-Dist', '2.0.1', 'usedpy');
pyDist('unused-dist', '3.0.0', 'unusedpy');
file(join(tmp, 'prompts', 'system.md'), PROMPT);
file(join(tmp, 'prompts', 'unused.md'), 'never read\n');
file(join(tmp, 'model.safetensors'), 'x'.repeat(4096));
file(join(tmp, 'other.gguf'), 'never opened');

const SCRIPT = [
  `${process.execPath} -e 'require("./node_modules/used-pkg")'`,
  `PYTHONPATH=${site} python3 -c 'import usedpy; open("prompts/system.md").read(); open("model.safetensors", "rb").read(16)'`,
].join(' && ');

describe('agent watch inventory: only what the watched process opened', () => {
  let result: WatchResult;
  const startRecord = () =>
    result.batches.flatMap((b: NodeAgentBatch) => b.records).find((r) => r.type === 'container-start') as Extract<
      NodeAgentBatch['records'][number],
      { type: 'container-start' }
    >;

  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error('this test needs root (cgroup2 directories and eBPF)');
    if (!findCgroup2Mount()) throw new Error('no cgroup2 mount: mount -t cgroup2 none /sys/fs/cgroup/unified');
    assertLoaderBuilt();
    result = await watchCommand({
      name: 'inv',
      command: ['/bin/sh', '-c', SCRIPT],
      cwd: tmp,
      stdio: 'ignore',
      countSyscalls: false,
    });
  }, 120_000);
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('the workload ran', () => {
    expect(result.exitCode).toBe(0);
  });

  it('lists the npm package and the Python distribution it loaded, with their versions, and not the unused ones', () => {
    const pkgs = (startRecord().packages ?? []).map((p) => `${p.ecosystem}:${p.name}@${p.version}`);
    expect(pkgs).toEqual(expect.arrayContaining(['npm:used-pkg@1.4.2', 'pypi:used-dist@2.0.1']));
    expect(pkgs.some((p) => p.includes('unused'))).toBe(false);
    // nothing from the repository this test runs in
    expect(pkgs.some((p) => p.startsWith('npm:vitest') || p.startsWith('npm:commander'))).toBe(false);
  });

  it('lists the prompt it read (with its hash) and the model file it opened (with its size), nothing else', () => {
    const r = startRecord();
    // (the interpreter's own site-packages/*.pth path files are read too: configuration, not weights)
    expect(r.prompts).toEqual([
      {
        path: join(tmp, 'prompts', 'system.md'),
        size: PROMPT.length,
        sha256: createHash('sha256').update(PROMPT).digest('hex'),
      },
    ]);
    expect(r.models).toEqual([{ path: join(tmp, 'model.safetensors'), size: 4096 }]);
  });
});

describe('inventoryFromOpens (no kernel: the paths given)', () => {
  it('names packages from files under node_modules and site-packages (incl. __pycache__ and dist-info), skipping .pth', async () => {
    const t = mkdtempSync(join(tmpdir(), 'opened-inv-'));
    try {
      const sp = join(t, 'site-packages');
      file(join(sp, 'six-1.16.0.dist-info', 'METADATA'), 'Name: six\nVersion: 1.16.0\n\n');
      file(join(sp, 'six-1.16.0.dist-info', 'RECORD'), 'six.py,sha256=x,1\nsix-1.16.0.dist-info/METADATA,,\n');
      file(join(sp, 'pthonly-1.0.dist-info', 'METADATA'), 'Name: pthonly\nVersion: 1.0\n\n');
      file(join(sp, 'pthonly-1.0.dist-info', 'top_level.txt'), 'pthonly\n');
      file(join(t, 'node_modules', '@scope', 'a', 'package.json'), '{"name":"@scope/a","version":"0.1.0"}');
      const inv = await inventoryFromOpens(
        [
          join(sp, '__pycache__', 'six.cpython-311.pyc'),
          join(sp, 'pthonly.pth'),
          join(t, 'node_modules', '@scope', 'a', 'lib', 'x.js'),
          '/usr/lib/python3.11/os.py',
        ],
        { promptGlobs: [] },
      );
      expect(inv.packages.map((p) => `${p.ecosystem}:${p.name}@${p.version}`)).toEqual([
        'npm:@scope/a@0.1.0',
        'pypi:six@1.16.0',
      ]);
    } finally {
      rmSync(t, { recursive: true, force: true });
    }
  });
});
