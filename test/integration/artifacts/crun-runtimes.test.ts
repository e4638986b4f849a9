/**
 * The enforcement a platform engineer would apply, run for real: `warden demo` writes its seccomp profiles (under
 * artifacts/, and under cluster/ what the rollout applied), and the host's runtime each profile is for (CPython 3,
 * Node.js: the runtimes its SeccompProfile names in `warden.dev/runtime-bases`) runs under every one of them in crun:
 * start a thread, open a socket, do a TLS handshake, read files, write to pipes, use timers (crun-workloads/agent.py,
 * agent.mjs, Agent.java: programs the runtime bases were NOT derived from). Profiles built from a baseline that saw a
 * handful of syscalls, or one with no runtime evidence at all (every base: both runtimes), are run the same way. The
 * calls an attacker uses to leave the container (user namespaces, ptrace, keyrings, io_uring, userfaultfd,
 * cross-process reads) must still be denied by every enforce profile, while the monitor profile lets them run.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { generateSeccomp } from '../../../lib/core/artifacts/seccomp.ts';
import type { ArtifactBaseline } from '../../../lib/core/artifacts/types.ts';
import { makeTlsDir, requireTools, runInCrun } from './crun-harness.ts';

const root = resolve(import.meta.dirname, '..', '..', '..');
const WORKLOADS = join(import.meta.dirname, 'crun-workloads');
const CHECKS = ['thread', 'socket', 'tls', 'file', 'pipe', 'timer'];
const RUNTIMES = [
  { base: 'cpython', name: 'CPython 3', args: ['/usr/bin/python3', '/w/agent.py'] },
  { base: 'nodejs', name: 'Node.js', args: ['/usr/bin/node', '/w/agent.mjs'] },
];
type Runtime = (typeof RUNTIMES)[number];

let work: string;
let tls: string;
interface DemoProfile {
  file: string;
  mode: 'monitor' | 'enforce';
  profile: unknown;
  /** The runtimes the profile is for: the bases its SeccompProfile names. */
  runtimes: Runtime[];
}
const demoProfiles: DemoProfile[] = [];

/** The runtimes whose bases a SeccompProfile says its envelope includes (`warden.dev/runtime-bases`). */
function runtimesOf(spo: { metadata: { annotations: Record<string, string> } }): Runtime[] {
  const bases = (spo.metadata.annotations['warden.dev/runtime-bases'] ?? '').split(',');
  return RUNTIMES.filter((r) => bases.includes(r.base));
}

/**
 * The OCI profile in an OCI JSON file, or in the spec of an SPO SeccompProfile (what SPO writes to the node); the
 * runtimes from the SeccompProfile of the same mode beside an OCI file.
 */
function load(file: string): Omit<DemoProfile, 'file'> {
  const mode = /\.monitor\./.test(file) ? 'monitor' : 'enforce';
  const spoFile = file.replace(/\.seccomp\.(monitor|enforce)\.json$/, '.seccompprofile.$1.yaml');
  const spo = parse(readFileSync(spoFile, 'utf8'));
  if (file.endsWith('.json'))
    return { mode, profile: JSON.parse(readFileSync(file, 'utf8')), runtimes: runtimesOf(spo) };
  const { defaultAction, architectures, syscalls } = spo.spec;
  return { mode, profile: { defaultAction, architectures, syscalls }, runtimes: runtimesOf(spo) };
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

const binds = () => [
  { source: WORKLOADS, destination: '/w' },
  { source: tls, destination: '/tls' },
];

async function expectRuns(profile: unknown, label: string, runtimes: readonly Runtime[] = RUNTIMES): Promise<void> {
  for (const rt of runtimes) {
    const r = await runInCrun(work, { args: rt.args, profile, binds: binds() });
    const context = `${rt.name} under ${label}:\n${r.out}`;
    for (const c of CHECKS) expect(r.out, context).toContain(`${c} ok`);
    expect(r.out, context).toContain('all ok');
    expect(r.status, context).toBe(0);
  }
}

beforeAll(async () => {
  requireTools([
    { cmd: 'crun', pkg: 'crun' },
    { cmd: 'unshare', pkg: 'util-linux' },
    { cmd: 'openssl', pkg: 'openssl' },
    { cmd: '/usr/bin/python3', pkg: 'python3' },
    { cmd: '/usr/bin/node', pkg: 'nodejs' },
  ]);
  work = mkdtempSync(join(tmpdir(), 'warden-crun-rt-'));
  tls = makeTlsDir(join(work, 'tls'));
  // The demo as a user runs it; its profiles are the ones a platform engineer would apply.
  const out = join(work, 'demo');
  // Asynchronous, so the test worker keeps answering vitest while the demo runs (minutes on a busy CI machine).
  const r = await new Promise<{ status: number | null; stderr: string }>((res, rej) => {
    const child = spawn(
      process.execPath,
      [join(root, 'bin', 'warden.js'), 'demo', '--json', '--out', out, '--store', `embedded:${join(work, 'store')}`],
      { cwd: work, stdio: ['ignore', 'ignore', 'pipe'], timeout: 420_000 },
    );
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr = (stderr + d).slice(-4000);
    });
    child.on('error', rej);
    child.on('close', (status) => res({ status, stderr }));
  });
  if (r.status !== 0) throw new Error(`warden demo failed (${r.status}): ${r.stderr}`);
  for (const file of [...walk(join(out, 'artifacts')), ...walk(join(out, 'cluster'))]) {
    if (!/\.seccomp\.(monitor|enforce)\.json$|\.seccompprofile\.(monitor|enforce)\.yaml$/.test(file)) continue;
    demoProfiles.push({ file: file.slice(out.length + 1), ...load(file) });
  }
}, 480_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('demo seccomp profiles under crun with real runtimes', () => {
  it('the demo wrote enforce profiles under artifacts/ and the rollout applied profiles under cluster/', async () => {
    const files = demoProfiles.map((p) => p.file);
    expect(files.filter((f) => f.startsWith('artifacts/') && f.includes('.enforce.')).length).toBeGreaterThanOrEqual(6);
    expect(files.filter((f) => f.startsWith('cluster/')).length).toBeGreaterThan(0);
  });

  it('every profile is for the runtimes its agent showed: CPython for each, Node.js where an npm MCP server runs', () => {
    const bases = (agent: string) =>
      demoProfiles.find((p) => p.file === `artifacts/${agent}/warden-${agent}.seccomp.enforce.json`)!.runtimes;
    expect(bases('support-agent').map((r) => r.base)).toEqual(['cpython']);
    expect(bases('kb-retriever').map((r) => r.base)).toEqual(['cpython']);
    expect(bases('code-runner').map((r) => r.base)).toEqual(['cpython', 'nodejs']);
    for (const p of demoProfiles) expect(p.runtimes.length, p.file).toBeGreaterThan(0);
  });

  it('every enforce profile lets its runtime start a thread, open a socket, load TLS, read files, write to a pipe', async () => {
    const enforce = demoProfiles.filter((p) => p.mode === 'enforce');
    expect(enforce.length).toBeGreaterThan(0);
    for (const p of enforce) await expectRuns(p.profile, p.file, p.runtimes);
  }, 600_000);

  it('every profile the rollout applied under cluster/ runs its runtime too (monitor or enforce)', async () => {
    for (const p of demoProfiles.filter((x) => x.file.startsWith('cluster/')))
      await expectRuns(p.profile, p.file, p.runtimes);
  }, 600_000);

  it('escape calls run under the monitor profile and are denied (EPERM) by every enforce profile', async () => {
    const parseOut = (out: string) =>
      new Map([...out.matchAll(/^(\S+) rc=(-?\d+) errno=(\d+)$/gm)].map((m) => [m[1]!, Number(m[3])]));
    const monitor = demoProfiles.find((p) => p.mode === 'monitor' && p.file.startsWith('artifacts/'))!;
    const m = await runInCrun(work, {
      args: ['/usr/bin/python3', '/w/escape.py'],
      profile: monitor.profile,
      binds: binds(),
    });
    expect(m.out).toContain('escape done');
    // The kernel itself allows these to an unprivileged container process: proof that a later EPERM is seccomp's.
    const allowedByKernel = [...parseOut(m.out)].filter(([, errno]) => errno === 0).map(([n]) => n);
    expect(allowedByKernel.length, m.out).toBeGreaterThanOrEqual(5);
    for (const p of demoProfiles.filter((x) => x.mode === 'enforce')) {
      const r = await runInCrun(work, {
        args: ['/usr/bin/python3', '/w/escape.py'],
        profile: p.profile,
        binds: binds(),
      });
      expect(r.out, p.file).toContain('escape done');
      const got = parseOut(r.out);
      for (const n of allowedByKernel) expect(`${n} errno=${got.get(n)}`, `${p.file}\n${r.out}`).toBe(`${n} errno=1`);
    }
  }, 600_000);
});

describe('profiles from thin baselines under crun', () => {
  const t0 = '2026-10-01T00:00:00.000Z';
  const t1 = '2026-11-10T00:00:00.000Z';
  const b = (keys: string[]): ArtifactBaseline => ({
    subject: 'k8s:prod/support/thin-agent',
    version: 1,
    entries: keys.map((key) => ({ key, count: 100, firstSeen: t0, lastSeen: t1, active: true })),
  });
  const enforce = (x: ArtifactBaseline) => generateSeccomp(x).profiles.enforce;

  it('a baseline of three syscalls and a python exec (the demo support agent) runs CPython', async () => {
    const base = b(['syscall:read', 'syscall:epoll_wait', 'syscall:connect', 'exec:/usr/local/bin/python3.12']);
    expect(generateSeccomp(base).envelope.warnings.join()).toContain('thin evidence');
    await expectRuns(enforce(base), 'a three-syscall python baseline', [RUNTIMES[0]!]);
  }, 300_000);

  it('a baseline of three syscalls and a node exec runs Node.js (no CPython base in it)', async () => {
    const base = b(['syscall:read', 'syscall:epoll_wait', 'syscall:connect', 'exec:/usr/bin/node']);
    expect(generateSeccomp(base).envelope.groups.map((g) => g.group)).not.toContain('base:cpython');
    await expectRuns(enforce(base), 'a three-syscall node baseline', [RUNTIMES[1]!]);
  }, 300_000);

  it('a baseline of one syscall and no runtime evidence runs both runtimes', async () => {
    await expectRuns(enforce(b(['syscall:read'])), 'a one-syscall baseline, runtime unknown');
  }, 300_000);

  it('runs as root with no_new_privs, as a non-root user without it (Kubernetes default)', async () => {
    const p = enforce(b(['syscall:read', 'exec:/usr/bin/node']));
    for (const opts of [
      { uid: 0, noNewPrivileges: true },
      { uid: 1000, noNewPrivileges: false },
    ]) {
      const r = await runInCrun(work, { args: RUNTIMES[1]!.args, profile: p, binds: binds(), ...opts });
      expect(r.out, JSON.stringify(opts)).toContain('all ok');
    }
  }, 300_000);

  it('a JVM agent runs under a JVM-detected profile and under a runtime-unknown one', async () => {
    requireTools([{ cmd: '/usr/bin/java', pkg: 'openjdk-17-jdk-headless' }]);
    for (const keys of [['syscall:read', 'exec:/usr/bin/java'], ['syscall:read']]) {
      const r = await runInCrun(work, {
        args: ['/usr/bin/java', '/w/Agent.java'],
        profile: enforce(b(keys)),
        binds: binds(),
      });
      for (const c of CHECKS) expect(r.out, `${keys}\n${r.out}`).toContain(`${c} ok`);
      expect(r.status, r.out).toBe(0);
    }
  }, 300_000);

  it('the suite can fail: a profile without the runtime bases breaks Python threads', async () => {
    const bare = enforce(b(['syscall:read', 'exec:/usr/bin/python3']));
    const observedOnly = { ...bare, syscalls: bare.syscalls.filter((r) => r.names.includes('read')) };
    const r = await runInCrun(work, { args: RUNTIMES[0]!.args, profile: observedOnly, binds: binds() });
    expect(r.status).not.toBe(0);
    expect(r.out).not.toContain('all ok');
  }, 120_000);
});

describe('prerequisites', () => {
  it('the workloads exist', async () => {
    for (const f of ['agent.py', 'agent.mjs', 'Agent.java', 'escape.py'])
      expect(existsSync(join(WORKLOADS, f)), f).toBe(true);
  });
});
