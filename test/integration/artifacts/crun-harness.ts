/**
 * Runs the host's real programs in a crun container under a given seccomp profile (no Docker): an empty rootfs with
 * the host's /usr, /lib, /lib64, /bin, /etc bind-mounted read-only, a tmpfs /tmp, the host network namespace (so
 * loopback is up), a cgroup2 hierarchy mounted in a private mount namespace (the host's cgroups are hybrid), and no
 * `linux.resources`. What runs inside is the host's CPython and Node.js, the runtimes an agent container carries.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Fails (never skips) with what to install when a prerequisite is missing. */
export function requireTools(tools: { cmd: string; pkg: string }[]): void {
  for (const t of tools) {
    const r = spawnSync('sh', ['-c', `command -v ${t.cmd}`]);
    if (r.status !== 0)
      throw new Error(`${t.cmd} is missing: install the Debian package ${t.pkg} (scripts/setup.sh does)`);
  }
  if (process.getuid?.() !== 0) throw new Error('the crun tests need root (a private mount namespace and cgroup2)');
}

export interface CrunRun {
  /** Container argv. */
  args: string[];
  profile: unknown;
  /** Extra read-only bind mounts (host path -> container path). */
  binds?: { source: string; destination: string }[];
  uid?: number;
  /** Kubernetes' default is false (allowPrivilegeEscalation defaults to true). */
  noNewPrivileges?: boolean;
  env?: string[];
  /** A cgroup2 path (relative to the hierarchy root) to run in, e.g. one the node agent watches. */
  cgroupsPath?: string;
}

let seq = 0;

/** Runs one container to completion (asynchronously: the test worker stays responsive); status and output. */
export async function runInCrun(work: string, run: CrunRun): Promise<{ status: number; out: string }> {
  const bundle = mkdtempSync(join(work, 'bundle-'));
  for (const d of ['usr', 'lib', 'lib64', 'bin', 'etc', 'tmp', 'proc', 'dev', 'sys'])
    mkdirSync(join(bundle, 'rootfs', d), { recursive: true });
  execFileSync('crun', ['spec'], { cwd: bundle });
  const cfg = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
  cfg.process.args = run.args;
  cfg.process.terminal = false;
  cfg.process.cwd = '/tmp';
  cfg.process.user = { uid: run.uid ?? 1000, gid: run.uid ?? 1000 };
  cfg.process.noNewPrivileges = run.noNewPrivileges ?? false;
  cfg.process.env = ['PATH=/usr/local/bin:/usr/bin:/bin', 'HOME=/tmp', ...(run.env ?? [])];
  cfg.root.readonly = true;
  delete cfg.linux.resources;
  cfg.linux.namespaces = cfg.linux.namespaces.filter((n: { type: string }) => n.type !== 'network');
  const binds = [
    ...['usr', 'lib', 'lib64', 'bin', 'etc'].map((d) => ({ source: `/${d}`, destination: `/${d}` })),
    ...(run.binds ?? []),
  ];
  for (const b of run.binds ?? []) mkdirSync(join(bundle, 'rootfs', b.destination), { recursive: true });
  cfg.mounts.push(
    { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] },
    ...binds.map((b) => ({ ...b, type: 'bind', options: ['rbind', 'ro'] })),
  );
  cfg.linux.seccomp = run.profile;
  if (run.cgroupsPath) cfg.linux.cgroupsPath = run.cgroupsPath;
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(cfg));
  const id = `warden-test-${process.pid}-${++seq}`;
  return new Promise((resolve) => {
    const child = spawn(
      'unshare',
      [
        '-m',
        '--propagation',
        'private',
        'sh',
        '-c',
        `mount -t cgroup2 none /sys/fs/cgroup && exec crun run --bundle ${bundle} ${id}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], timeout: 90_000 },
    );
    let out = '';
    const take = (d: Buffer) => {
      out = (out + d.toString('utf8')).slice(-64_000);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', (e) => resolve({ status: -1, out: `${out}${String(e)}` }));
    child.on('close', (code, signal) => resolve({ status: code ?? (signal ? 128 : -1), out }));
  });
}

/** A self-signed certificate for `localhost` (cert.pem, key.pem) in `dir`, made with openssl. */
export function makeTlsDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost']
      .concat(['-addext', 'subjectAltName=DNS:localhost'])
      .concat(['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]),
    { stdio: 'ignore' },
  );
  execFileSync('chmod', ['-R', 'a+rX', dir]);
  return dir;
}
