import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { globToRegExp, scanInventory } from '../../../node-agent/inventory.ts';

const root = mkdtempSync(join(tmpdir(), 'inv-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const put = (p: string, content: string | Buffer) => {
  mkdirSync(dirname(join(root, p)), { recursive: true });
  writeFileSync(join(root, p), content);
};

put(
  '/usr/lib/python3/site-packages/langchain_core-0.2.10.dist-info/METADATA',
  'Metadata-Version: 2.1\nName: langchain-core\nVersion: 0.2.10\n\nName: not-this\n',
);
put('/usr/lib/python3/site-packages/Boto3-1.34.0.dist-info/RECORD', '');
put(
  '/app/node_modules/@modelcontextprotocol/sdk/package.json',
  JSON.stringify({ name: '@modelcontextprotocol/sdk', version: '1.0.3' }),
);
put('/app/node_modules/zod/package.json', JSON.stringify({ name: 'zod', version: '3.23.8' }));
put('/app/node_modules/zod/lib/package.json', JSON.stringify({ name: 'not-a-package', version: '0' }));
put('/app/node_modules/broken/package.json', '{not json');
put('/models/e5/model.safetensors', Buffer.alloc(1234));
put('/app/prompts/system.md', 'You are a helpful support agent.');
put('/app/src/main.py', 'print(1)');
mkdirSync(join(root, '/proc/1'), { recursive: true });
symlinkSync('/etc', join(root, '/app/etc-link'));

describe('startup inventory', () => {
  it('finds Python and Node packages, model files with size and prompt files with SHA-256', async () => {
    const inv = await scanInventory(root, {
      roots: ['/usr/lib', '/app', '/models'],
      promptGlobs: ['/app/**/prompts/**/*.md'],
    });
    expect(inv.truncated).toBe(false);
    expect(inv.packages.map((p) => `${p.ecosystem}:${p.name}@${p.version}`)).toEqual([
      'npm:@modelcontextprotocol/sdk@1.0.3',
      'npm:zod@3.23.8',
      'pypi:boto3@1.34.0',
      'pypi:langchain-core@0.2.10',
    ]);
    expect(inv.models).toEqual([{ path: '/models/e5/model.safetensors', size: 1234 }]);
    expect(inv.prompts).toEqual([
      {
        path: '/app/prompts/system.md',
        sha256: createHash('sha256').update('You are a helpful support agent.').digest('hex'),
        size: 32,
      },
    ]);
  });

  it('says when a bound cut the scan short', async () => {
    const inv = await scanInventory(root, { roots: ['/'], promptGlobs: [], maxEntries: 3 });
    expect(inv.truncated).toBe(true);
  });

  it.each([
    ['/app/**/prompts/**/*.md', '/app/prompts/system.md', true],
    ['/app/**/prompts/**/*.md', '/app/a/b/prompts/x/y.md', true],
    ['/app/**/prompts/**/*.md', '/app/prompts/system.txt', false],
    ['/app/*.prompt', '/app/a.prompt', true],
    ['/app/*.prompt', '/app/x/a.prompt', false],
  ])('glob %s matches %s: %s', (g, p, want) => {
    expect(globToRegExp(g).test(p)).toBe(want);
  });
});
