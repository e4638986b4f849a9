/**
 * Runs a real workload under its generated seccomp envelope with crun (no Docker needed): the workload's syscalls
 * are observed with strace on the host, turned into a baseline, widened into an envelope, and the same workload
 * then runs in a busybox container under the enforce profile. A variant that calls personality(2) (outside the
 * envelope) is denied with EPERM in enforce mode and allowed but logged by the kernel in monitor mode.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSeccomp } from '../../../lib/core/artifacts/seccomp.ts';
import type { ArtifactBaseline } from '../../../lib/core/artifacts/types.ts';

const BUSYBOX = '/bin/busybox';
const WORKLOAD =
  'echo hello > /tmp/out.txt; cat /tmp/out.txt; ls / > /dev/null; wc -c /tmp/out.txt; sleep 0.1; echo done';
const VARIANT = `${WORKLOAD}; linux64 true; echo personality-rc=$?`;

function need(cmd: string, pkg: string): void {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`]);
  if (r.status !== 0) throw new Error(`${cmd} is missing: install the Debian package ${pkg} (scripts/setup.sh does)`);
}

let dir: string;

beforeAll(() => {
  need('crun', 'crun');
  need('strace', 'strace');
  need('unshare', 'util-linux');
  if (!existsSync(BUSYBOX)) throw new Error('/bin/busybox is missing: install busybox-static');
  dir = mkdtempSync(join(tmpdir(), 'warden-crun-'));
  const rootfs = join(dir, 'rootfs');
  for (const d of ['bin', 'tmp', 'proc', 'dev', 'sys']) mkdirSync(join(rootfs, d), { recursive: true });
  copyFileSync(BUSYBOX, join(rootfs, 'bin', 'busybox'));
  execFileSync('chmod', ['755', join(rootfs, 'bin', 'busybox')]);
  for (const a of ['sh', 'echo', 'cat', 'ls', 'wc', 'sleep', 'linux64', 'true'])
    symlinkSync('busybox', join(rootfs, 'bin', a));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Observes the workload's syscalls on the host with strace -f. */
function observeSyscalls(script: string): Map<string, number> {
  const trace = join(dir, 'trace.txt');
  execFileSync('strace', ['-f', '-qq', '-o', trace, BUSYBOX, 'sh', '-c', script], { stdio: 'ignore' });
  const counts = new Map<string, number>();
  for (const line of readFileSync(trace, 'utf8').split('\n')) {
    const m = /^(?:\d+\s+)?([a-z0-9_]+)\(/.exec(line);
    if (m) counts.set(m[1]!, (counts.get(m[1]!) ?? 0) + 1);
  }
  return counts;
}

function runInCrun(id: string, script: string, profile: unknown): { status: number; out: string } {
  const bundle = join(dir, id);
  mkdirSync(bundle, { recursive: true });
  execFileSync('ln', ['-sfn', join(dir, 'rootfs'), join(bundle, 'rootfs')]);
  execFileSync('crun', ['spec'], { cwd: bundle });
  const cfg = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
  cfg.process.args = ['/bin/sh', '-c', script];
  cfg.process.terminal = false;
  cfg.root.readonly = false;
  delete cfg.linux.resources;
  cfg.linux.seccomp = profile;
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(cfg));
  // crun needs a cgroup2 hierarchy at /sys/fs/cgroup: mount one in a private mount namespace (hybrid host cgroups).
  const r = spawnSync(
    'unshare',
    [
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      `mount -t cgroup2 none /sys/fs/cgroup && exec crun run --bundle ${bundle} ${id}-${process.pid}`,
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

describe('generated seccomp envelope under crun', () => {
  let baseline: ArtifactBaseline;
  beforeAll(() => {
    const observed = observeSyscalls(WORKLOAD);
    expect(observed.size).toBeGreaterThan(10);
    expect(observed.has('personality')).toBe(false);
    const t = new Date().toISOString();
    baseline = {
      subject: 'local:crun-workload',
      version: 1,
      entries: [...observed].map(([name, count]) => ({
        key: `syscall:${name}`,
        count,
        firstSeen: t,
        lastSeen: t,
        active: true,
      })),
    };
  });

  const profile = (mode: 'monitor' | 'enforce') =>
    JSON.parse(generateSeccomp(baseline).files.find((f) => f.path.endsWith(`seccomp.${mode}.json`))!.content);

  it('the workload completes normally under the enforce profile', () => {
    const r = runInCrun('ok', WORKLOAD, profile('enforce'));
    expect(r.out).toContain('hello');
    expect(r.out).toContain('done');
    expect(r.status).toBe(0);
  });

  it('a syscall outside the envelope is denied with EPERM in enforce mode', () => {
    const r = runInCrun('deny', VARIANT, profile('enforce'));
    expect(r.out).toContain('done');
    expect(r.out).toMatch(/personality-rc=[1-9]/);
    expect(r.out).toMatch(/not permitted|personality/i);
  });

  it('the same call runs but is logged by the kernel in monitor mode', () => {
    const before = execFileSync('dmesg', { encoding: 'utf8' }).split('\n').length;
    const r = runInCrun('log', VARIANT, profile('monitor'));
    expect(r.out).toContain('personality-rc=0');
    const after = execFileSync('dmesg', { encoding: 'utf8' })
      .split('\n')
      .slice(before - 1);
    // x86_64 personality is syscall 135; SCMP_ACT_LOG produces an audit SECCOMP record (type=1326).
    expect(after.some((l) => l.includes('type=1326') && l.includes('syscall=135'))).toBe(true);
  });
});
