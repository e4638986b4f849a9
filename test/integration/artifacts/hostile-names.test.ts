/**
 * Subject names come from telemetry (a node agent reports cgroup paths and pod names), so artifact file names derived
 * from them are hostile input (issue #16, item 6): every file `warden artifacts` writes stays directly under `--out`,
 * as a safe slug plus a hash of the name, for path traversal, absolute paths, dot names, control characters and
 * overlong names; well-formed subjects keep their readable names.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadIamCatalog } from '../../../lib/adapters/iam-scope.ts';
import { DirectoryApplier, DirectoryPullRequests } from '../../../lib/adapters/local-rollout.ts';
import { openStore } from '../../../lib/adapters/open-store.ts';
import { generateArtifacts, writeArtifacts } from '../../../lib/app/artifacts/service.ts';
import { refreshBaseline } from '../../../lib/app/baselines/service.ts';
import { isSafeFileName, safeFileName } from '../../../lib/core/artifacts/file-name.ts';
import type { Observation } from '../../../lib/core/observation.ts';
import { warden } from '../../support/cli.ts';

const HOSTILE = [
  'unattributed:cgroup:/../../../../x',
  'unattributed:cgroup:prod-eks:/../../../../etc/cron.d/evil',
  'unattributed:/etc/passwd',
  'k8s:../../..',
  'k8s:prod/kube-system/..',
  'local:.',
  'local:.bashrc',
  'unattributed:\u001b[31mred\u001b[0m\nsecond line',
  `unattributed:${'a/'.repeat(200)}z`,
  'unattributed:cgroup:C:\\..\\..\\windows',
];
const START = Date.parse('2026-10-01T00:00:00.000Z');

function obs(subject: string, key: string, hour: number): Observation {
  return {
    v: 1,
    id: `${subject}|${key}|${hour}`,
    time: new Date(START + hour * 3_600_000 + 60_000).toISOString(),
    source: 'node-agent',
    subject,
    layer: key.startsWith('net:') ? 'network' : 'kernel',
    kind: key.split(':')[0]!,
    key,
    count: 3,
    correlation: {},
    attrs: {},
  };
}

/** Every file under `dir`, relative to it. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((p) => statSync(join(dir, p)).isFile());
}

let root: string;
let storeDir: string;
const now = new Date(START + 11 * 86_400_000).toISOString();
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'warden-hostile-names-'));
  storeDir = join(root, 'a', 'b', 'c', 'd', 'store');
  const store = await openStore(`embedded:${storeDir}`);
  const all: Observation[] = [];
  for (const s of HOSTILE)
    for (let h = 0; h < 24 * 10; h += 6)
      all.push(obs(s, 'net:egress:13.110.54.10/32:443', h), obs(s, 'syscall:read', h), obs(s, 'syscall:connect', h));
  await store.write(all, []);
  for (const s of HOSTILE) await refreshBaseline(store, s, now);
  await store.close();
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('artifact file names from hostile subject names', () => {
  it('are single safe path segments; safe names are kept as they are', () => {
    for (const s of HOSTILE) {
      const name = safeFileName(`${s}.networkpolicy.yaml`);
      expect(isSafeFileName(name), name).toBe(true);
      expect(name).toMatch(/-[0-9a-f]{12}\.([a-z]+\.)?networkpolicy\.yaml$/);
      expect(name.length).toBeLessThanOrEqual(160);
    }
    expect(safeFileName('support-agent.networkpolicy.yaml')).toBe('support-agent.networkpolicy.yaml');
    // two names that slug alike stay apart
    expect(safeFileName('a/b.json')).not.toBe(safeFileName('a:b.json'));
  });

  it('every file of every hostile subject is written directly under --out', async () => {
    const store = await openStore(`embedded:${storeDir}`);
    try {
      for (const [i, s] of HOSTILE.entries()) {
        const out = join(root, 'a', 'b', 'c', 'd', `out-${i}`);
        const set = await generateArtifacts(s, { store, now, loadCatalog: loadIamCatalog });
        expect(set.files.length).toBeGreaterThan(0);
        const written = writeArtifacts(out, set);
        for (const w of written) expect(relative(out, w)).not.toMatch(/[/\\]|^\.\.?$/);
        expect(tree(out).sort()).toEqual([...set.files.map((f) => f.path), 'provenance.json'].sort());
      }
    } finally {
      await store.close();
    }
    // nothing was written anywhere else in the tree
    const stray = tree(root).filter((p) => !/^a\/b\/c\/d\/(store|out-\d+)\//.test(p));
    expect(stray).toEqual([]);
  });

  it("`warden artifacts 'unattributed:cgroup:/../../../../x' --out DIR` writes only inside DIR", async () => {
    const cwd = join(root, 'a', 'b', 'c', 'd', 'cli');
    mkdirSync(cwd, { recursive: true });
    const r = await warden(['--store', `embedded:${storeDir}`, 'artifacts', HOSTILE[0]!, '--out', 'DIR', '--json'], {
      cwd,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const files = tree(cwd);
    expect(files.length).toBeGreaterThan(1);
    for (const f of files) expect(f).toMatch(/^DIR\/[A-Za-z0-9][A-Za-z0-9._-]*$/);
    const printed = JSON.parse(r.stdout) as { files: { path: string }[] };
    for (const f of printed.files) expect(f.path).toMatch(/^DIR\/[A-Za-z0-9][A-Za-z0-9._-]*$/);
    // what it prints is what it wrote
    expect(printed.files.map((f) => f.path).sort()).toEqual(files.filter((f) => f !== 'DIR/provenance.json').sort());
    expect(printed.files.map((f) => f.path)).toContainEqual(
      expect.stringMatching(/^DIR\/warden-cgroup-x-[0-9a-f]{12}\.seccomp\.enforce\.json$/),
    );
  }, 120_000);

  it('the rollout directory applier and pull requests keep hostile subjects and branches inside their directory', async () => {
    const dir = join(root, 'a', 'b', 'c', 'd', 'gitops');
    const applier = new DirectoryApplier(dir);
    const prs = new DirectoryPullRequests(join(root, 'a', 'b', 'c', 'd', 'prs'));
    for (const s of [...HOSTILE, '..', '.', 'k8s:prod/support/kb-reader']) {
      await applier.apply(s, 'monitor', [{ path: 'egress.networkpolicy.yaml', content: 'x' }]);
      await applier.apply(s, 'enforce', [{ path: 'egress.networkpolicy.yaml', content: 'y' }]);
      expect((await applier.rollback(s)).restored).toEqual(['egress.networkpolicy.yaml']);
      await prs.open({
        branch: `warden/${s}`,
        title: 't',
        body: 'b',
        files: [{ path: 'iam/role/policy.json', content: '{}' }],
      });
    }
    // A well-formed subject keeps its readable directory name.
    expect(readdirSync(dir)).toContain('k8s_prod_support_kb-reader');
    await expect(
      applier.apply('k8s:prod/a/b', 'monitor', [{ path: '../../escape.yaml', content: 'x' }]),
    ).rejects.toThrow(/leaves/);
    const stray = tree(root).filter((p) => !/^a\/b\/c\/d\/(store|out-\d+|cli|gitops|prs)\//.test(p));
    expect(stray).toEqual([]);
  });
});
