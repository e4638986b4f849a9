/**
 * Re-derives Warden's seccomp runtime bases by tracing the real runtimes on this machine with `strace -f`, and the
 * x86_64 / aarch64 syscall name tables from the kernel UAPI headers. Writes
 * lib/core/artifacts/seccomp-bases/traced.generated.ts and syscall-tables.generated.ts (commit both).
 *
 *   npx tsx scripts/derive-seccomp-bases.ts            # trace everything available, write the files
 *   npx tsx scripts/derive-seccomp-bases.ts --check    # trace, compare with the committed bases, write nothing;
 *                                                      # exit 1 listing traced calls the envelope a runtime gets
 *                                                      # from its committed base would not allow (--strict: calls
 *                                                      # missing from the base itself, even if widening covers them)
 *   npx tsx scripts/derive-seccomp-bases.ts --rounds 5 --only cpython,nodejs
 *
 * Workloads (scripts/seccomp-workloads/): cpython.py, nodejs.mjs, Jvm.java, libc.c (built with gcc for glibc and with
 * musl-gcc for musl) and a shell entrypoint; `container-start` is what crun's container process calls between
 * installing the filter and exec (traced through `crun run` in a private mount namespace with a cgroup2 mount). Each
 * workload runs `--rounds` times (default 3); the base is the union, and calls seen in only some rounds are printed
 * (they depend on timing: the envelope's family widening is what covers them). Needs root, strace, crun, python3,
 * node, java + javac, gcc, musl-gcc (Debian: musl-tools), openssl. A runtime whose tools are missing is skipped and
 * its committed base kept, with a message. Go has no toolchain here: its base is documented by hand (go.ts).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seccompEnvelope } from '../lib/core/artifacts/seccomp.ts';
import {
  TRACED_BASES,
  type TracedBase,
  type TracedRuntime,
} from '../lib/core/artifacts/seccomp-bases/traced.generated.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const WORKLOADS = join(ROOT, 'scripts', 'seccomp-workloads');
const OUT_DIR = join(ROOT, 'lib', 'core', 'artifacts', 'seccomp-bases');

const args = process.argv.slice(2);
const check = args.includes('--check') || args.includes('--strict');
const strict = args.includes('--strict');
const rounds = Number(args[args.indexOf('--rounds') + 1] ?? 3) || 3;
const only = args.includes('--only') ? new Set(args[args.indexOf('--only') + 1]!.split(',')) : undefined;

const sh = (cmd: string, argv: string[], opts: { env?: NodeJS.ProcessEnv } = {}) =>
  spawnSync(cmd, argv, { encoding: 'utf8', timeout: 180_000, env: { ...process.env, ...opts.env } });
const has = (cmd: string) => sh('sh', ['-c', `command -v ${cmd}`]).status === 0;
const firstLine = (s: string) => s.trim().split('\n')[0]!.trim();

/** Syscall names in an `strace -f -qq` output (`<pid> name(` and `<pid> <... name resumed>`). */
export function tracedNames(trace: string, pidFilter?: (pid: string, line: number) => boolean): Set<string> {
  const out = new Set<string>();
  trace.split('\n').forEach((line, i) => {
    const m = /^(\d+)\s+(?:<\.\.\. )?([a-z_][a-z0-9_]*)(?:\(| resumed>)/.exec(line);
    if (!m || (pidFilter && !pidFilter(m[1]!, i))) return;
    const hex = /^syscall_0x([0-9a-f]+)$/.exec(m[2]!);
    out.add(hex ? `nr:${Number.parseInt(hex[1]!, 16)}` : m[2]!);
  });
  return out;
}

function strace(argv: string[], env: NodeJS.ProcessEnv, expect: string): Set<string> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-trace-'));
  try {
    const file = join(dir, 'trace');
    const r = sh('strace', ['-f', '-qq', '-o', file, ...argv], { env });
    if (r.status !== 0 || !r.stdout.includes(expect))
      throw new Error(`${argv.join(' ')} failed under strace (status ${r.status}): ${r.stderr.slice(-800)}`);
    return tracedNames(readFileSync(file, 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * What a container runtime's container process calls between installing the filter and exec: the thread that ran
 * seccomp(SECCOMP_SET_MODE_FILTER, ..., {filter}) or prctl(PR_SET_SECCOMP, ..., {filter}), from there to its execve.
 * With `noNewPrivileges: false` (Kubernetes' default: allowPrivilegeEscalation is true unless set) runc and crun
 * install the filter before dropping privileges, so the credential calls come after it.
 */
function traceContainerStart(work: string, runtime: 'crun' | 'runc', noNewPrivileges: boolean): Set<string> {
  const bundle = mkdtempSync(join(work, 'bundle-'));
  for (const d of ['usr', 'lib', 'lib64', 'bin', 'etc', 'proc', 'dev', 'sys', 'tmp'])
    mkdirSync(join(bundle, 'rootfs', d), { recursive: true });
  execFileSync('crun', ['spec'], { cwd: bundle });
  const cfg = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
  cfg.process.args = ['/bin/true'];
  cfg.process.terminal = false;
  cfg.process.noNewPrivileges = noNewPrivileges;
  cfg.root.readonly = false;
  delete cfg.linux.resources;
  for (const d of ['usr', 'lib', 'lib64', 'bin', 'etc'])
    cfg.mounts.push({ destination: `/${d}`, type: 'bind', source: `/${d}`, options: ['rbind', 'ro'] });
  // A real rule, so the runtime cannot skip loading a filter that would allow everything.
  cfg.linux.seccomp = {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64'],
    syscalls: [{ names: ['kexec_load'], action: 'SCMP_ACT_ERRNO' }],
  };
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(cfg));
  const file = join(bundle, 'trace');
  const id = `warden-derive-${process.pid}-${bundle.slice(-6)}`;
  const r = sh('unshare', [
    '-m',
    '--propagation',
    'private',
    'sh',
    '-c',
    `mount -t cgroup2 none /sys/fs/cgroup && exec strace -f -qq -o ${file} ${runtime} run --bundle ${bundle} ${id}`,
  ]);
  if (r.status !== 0) throw new Error(`${runtime} run under strace failed: ${r.stderr.slice(-800)}`);
  const lines = readFileSync(file, 'utf8').split('\n');
  const at = lines.findIndex((l) => /(seccomp\(SECCOMP_SET_MODE_FILTER|prctl\(PR_SET_SECCOMP), [^{]*\{len=/.test(l));
  if (at < 0) throw new Error(`no seccomp filter installed in the ${runtime} trace`);
  const tid = lines[at]!.split(/\s+/)[0]!;
  // strace splits a call another thread interrupted: skip the filter call's own `<... resumed>` line.
  const resumed = lines[at]!.includes('<unfinished ...>')
    ? lines.findIndex((l, i) => i > at && l.startsWith(`${tid} <... `) && / resumed>/.test(l))
    : -1;
  const from = resumed < 0 ? at : resumed;
  const execAt = lines.findIndex((l, i) => i > from && l.startsWith(`${tid} `) && /\bexecve\(/.test(l));
  return tracedNames(lines.join('\n'), (p, i) => p === tid && i > from && (execAt < 0 || i <= execAt));
}

interface Job {
  runtime: TracedRuntime;
  needs: string[];
  version: () => string;
  workload: string;
  run: (work: string, tls: string) => Set<string>;
}

const ENTRYPOINT =
  'set -e; [ -r /etc/os-release ]; . /etc/os-release; export APP_ENV=prod; mkdir -p /tmp/app; cd /tmp/app; ' +
  'echo "$ID" | tr a-z A-Z > id.txt; cat id.txt | wc -c > /dev/null; ls -la /etc > /dev/null; sleep 0.01; exec /bin/true';

const JOBS: Job[] = [
  {
    runtime: 'container-start',
    needs: ['crun', 'runc', 'unshare', 'strace'],
    version: () => `${firstLine(sh('crun', ['--version']).stdout)}; ${firstLine(sh('runc', ['--version']).stdout)}`,
    workload:
      'crun run and runc run of /bin/true, noNewPrivileges true and false: the filtered thread from the filter to exec',
    run: (work) =>
      new Set(
        (['crun', 'runc'] as const).flatMap((rt) =>
          [true, false].flatMap((nnp) => [...traceContainerStart(work, rt, nnp)]),
        ),
      ),
  },
  {
    runtime: 'glibc',
    needs: ['gcc', 'strace'],
    version: () => firstLine(sh('ldd', ['--version']).stdout),
    workload: 'scripts/seccomp-workloads/libc.c built with gcc, and a /bin/sh entrypoint script',
    run: (work) => {
      execFileSync('gcc', ['-O1', '-pthread', '-o', join(work, 'libc-glibc'), join(WORKLOADS, 'libc.c')]);
      const a = strace([join(work, 'libc-glibc')], {}, 'libc workload ok');
      const b = strace(['/bin/sh', '-c', `${ENTRYPOINT}; echo`], {}, '');
      return new Set([...a, ...b]);
    },
  },
  {
    runtime: 'musl',
    needs: ['musl-gcc', 'strace'],
    version: () => firstLine(sh('/lib/ld-musl-x86_64.so.1', []).stderr.split('\n')[1] ?? 'musl'),
    workload: 'scripts/seccomp-workloads/libc.c built with musl-gcc (dynamic, /lib/ld-musl-x86_64.so.1)',
    run: (work) => {
      execFileSync('musl-gcc', ['-O1', '-pthread', '-o', join(work, 'libc-musl'), join(WORKLOADS, 'libc.c')]);
      return strace([join(work, 'libc-musl')], {}, 'libc workload ok');
    },
  },
  {
    runtime: 'cpython',
    needs: ['/usr/bin/python3', 'strace', 'openssl'],
    version: () => `${firstLine(sh('/usr/bin/python3', ['--version']).stdout)} (/usr/bin/python3)`,
    workload: 'scripts/seccomp-workloads/cpython.py',
    run: (_w, tls) =>
      strace(['/usr/bin/python3', join(WORKLOADS, 'cpython.py')], { WARDEN_TLS_DIR: tls }, 'cpython workload ok'),
  },
  {
    runtime: 'nodejs',
    needs: ['/usr/bin/node', 'strace', 'openssl'],
    version: () => `Node.js ${firstLine(sh('/usr/bin/node', ['--version']).stdout)} (/usr/bin/node)`,
    workload: 'scripts/seccomp-workloads/nodejs.mjs',
    run: (_w, tls) =>
      strace(['/usr/bin/node', join(WORKLOADS, 'nodejs.mjs')], { WARDEN_TLS_DIR: tls }, 'nodejs workload ok'),
  },
  {
    runtime: 'jvm',
    needs: ['java', 'javac', 'strace'],
    version: () => firstLine(sh('java', ['-version']).stderr),
    workload: 'scripts/seccomp-workloads/Jvm.java (compiled with javac, run with java -cp)',
    run: (work) => {
      execFileSync('javac', ['-d', work, join(WORKLOADS, 'Jvm.java')]);
      return strace(['java', '-cp', work, 'Jvm'], {}, 'jvm workload ok');
    },
  },
];

/** `name -> nr` from `#define __NR_<name> <value>` lines, resolving aliases (`__NR3264_*`). */
function syscallTable(defines: string): Record<string, number> {
  const raw = new Map<string, string>();
  for (const m of defines.matchAll(/^#define (__NR3264_\w+|__NR_\w+) (\S+)$/gm)) raw.set(m[1]!, m[2]!);
  const value = (v: string, depth = 0): number | undefined =>
    /^\d+$/.test(v) ? Number(v) : depth < 4 && raw.has(v) ? value(raw.get(v)!, depth + 1) : undefined;
  const out: Record<string, number> = {};
  for (const [k, v] of raw) {
    if (!k.startsWith('__NR_') || k === '__NR_syscalls' || k === '__NR_arch_specific_syscall') continue;
    const n = value(v);
    if (n !== undefined) out[k.slice('__NR_'.length)] = n;
  }
  return Object.fromEntries(Object.entries(out).sort((a, b) => a[1] - b[1]));
}

function tables(): string {
  const x86 = syscallTable(
    execFileSync('gcc', ['-E', '-dM', '-x', 'c', '-'], {
      input: '#include <asm/unistd_64.h>\n',
      encoding: 'utf8',
    }),
  );
  // arm64's uapi asm/unistd.h is asm-generic with these switches (arch/arm64/include/uapi/asm/unistd.h).
  const arm64 = syscallTable(
    execFileSync('gcc', ['-E', '-dM', '-x', 'c', '-'], {
      input: [
        '#define __BITS_PER_LONG 64',
        '#define __ARCH_WANT_RENAMEAT',
        '#define __ARCH_WANT_NEW_STAT',
        '#define __ARCH_WANT_SET_GET_RLIMIT',
        '#define __ARCH_WANT_SYS_CLONE3',
        '#define __ARCH_WANT_MEMFD_SECRET',
        '#include <asm-generic/unistd.h>',
        '',
      ].join('\n'),
      encoding: 'utf8',
    }),
  );
  const headers = firstLine(sh('dpkg-query', ['-W', '-f', '${Package} ${Version}', 'linux-libc-dev']).stdout);
  const obj = (t: Record<string, number>) =>
    `{\n${Object.entries(t)
      .map(([k, v]) => `  ${k}: ${v},`)
      .join('\n')}\n}`;
  return `/**
 * Syscall name -> number tables, generated by scripts/derive-seccomp-bases.ts from the kernel UAPI headers
 * (${headers}): x86_64 from asm/unistd_64.h, aarch64 from asm-generic/unistd.h with arm64's switches.
 * Calls added to kernels newer than these headers are missing (the node agent reports them as \`nr:<n>\`).
 * Do not edit by hand.
 */

export const SYSCALLS_X86_64: Readonly<Record<string, number>> = ${obj(x86)};

export const SYSCALLS_AARCH64: Readonly<Record<string, number>> = ${obj(arm64)};
`;
}

function render(bases: Record<TracedRuntime, TracedBase>): string {
  const body = Object.values(bases)
    .map(
      (b) => `  '${b.runtime}': {
    runtime: '${b.runtime}',
    runtimeVersion: ${JSON.stringify(b.runtimeVersion)},
    workload: ${JSON.stringify(b.workload)},
    tracedOn: ${JSON.stringify(b.tracedOn)},
    derivedAt: '${b.derivedAt}',
    syscalls: [${b.syscalls.map((s) => `'${s}'`).join(', ')}],
  },`,
    )
    .join('\n');
  return `/**
 * Runtime base syscall sets traced on real runtimes by scripts/derive-seccomp-bases.ts (strace -f of the workloads in
 * scripts/seccomp-workloads/). Re-derive with \`npx tsx scripts/derive-seccomp-bases.ts\`; check with \`--check\`.
 * Do not edit by hand.
 */

export const TRACED_RUNTIMES = ['container-start', 'glibc', 'musl', 'cpython', 'nodejs', 'jvm'] as const;
export type TracedRuntime = (typeof TRACED_RUNTIMES)[number];

export interface TracedBase {
  runtime: TracedRuntime;
  runtimeVersion: string;
  workload: string;
  /** Kernel, architecture and tracer the set was derived with. */
  tracedOn: string;
  derivedAt: string;
  syscalls: readonly string[];
}

export const TRACED_BASES: Readonly<Record<TracedRuntime, TracedBase>> = {
${body}
};
`;
}

/** Evidence that selects each runtime's base, so --check can build the envelope that runtime's workloads get. */
const EVIDENCE: Record<TracedRuntime, string> = {
  'container-start': 'open:/etc/ld.so.cache',
  glibc: 'open:/etc/ld.so.cache',
  musl: 'exec:/lib/ld-musl-x86_64.so.1',
  cpython: 'exec:/usr/bin/python3',
  nodejs: 'exec:/usr/bin/node',
  jvm: 'exec:/usr/bin/java',
};

/** What an envelope built from the committed bases (no observed syscalls) allows for this runtime's workloads. */
function envelopeOf(runtime: TracedRuntime): Set<string> {
  const t = '2000-01-01T00:00:00.000Z';
  const entry = { key: EVIDENCE[runtime], count: 1, firstSeen: t, lastSeen: t, active: true };
  return new Set(seccompEnvelope({ subject: 'local:derive-check', version: 0, entries: [entry] }).allowed);
}

function main(): void {
  if (process.getuid?.() !== 0) throw new Error('run as root: crun and strace of the container start need it');
  const work = mkdtempSync(join(tmpdir(), 'warden-derive-'));
  const tls = join(work, 'tls');
  mkdirSync(tls);
  if (has('openssl'))
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        join(tls, 'key.pem'),
        '-out',
        join(tls, 'cert.pem'),
      ].concat(['-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost']),
      { stdio: 'ignore' },
    );
  const tracedOn = `Linux ${firstLine(sh('uname', ['-r']).stdout)} ${firstLine(sh('uname', ['-m']).stdout)}, ${firstLine(sh('strace', ['-V']).stdout)}`;
  const next: Record<TracedRuntime, TracedBase> = { ...TRACED_BASES };
  const missingInCommitted: string[] = [];
  try {
    for (const job of JOBS) {
      if (only && !only.has(job.runtime)) continue;
      const lacking = job.needs.filter((n) => (n.startsWith('/') ? sh('test', ['-x', n]).status !== 0 : !has(n)));
      if (lacking.length > 0) {
        console.log(`${job.runtime}: skipped, missing ${lacking.join(', ')}; the committed base is kept`);
        continue;
      }
      const perRound: Set<string>[] = [];
      for (let i = 0; i < rounds; i++) perRound.push(job.run(work, tls));
      const union = [...new Set(perRound.flatMap((s) => [...s]))].sort();
      const unstable = union.filter((s) => perRound.some((r) => !r.has(s)));
      const committed = new Set(TRACED_BASES[job.runtime].syscalls);
      const added = union.filter((s) => !committed.has(s));
      const gone = [...committed].filter((s) => !union.includes(s));
      console.log(
        `${job.runtime}: ${union.length} syscalls (${job.version()})` +
          (unstable.length ? `; seen in only some of ${rounds} rounds: ${unstable.join(', ')}` : '') +
          (added.length ? `; NOT in the committed base: ${added.join(', ')}` : '') +
          (gone.length ? `; committed but not traced now: ${gone.join(', ')}` : ''),
      );
      const covered = envelopeOf(job.runtime);
      const uncovered = union.filter((x) => !covered.has(x));
      if (uncovered.length) console.log(`  ${job.runtime}: NOT allowed by its envelope: ${uncovered.join(', ')}`);
      const failing = strict ? added : uncovered;
      if (failing.length) missingInCommitted.push(`${job.runtime}: ${failing.join(', ')}`);
      next[job.runtime] = {
        runtime: job.runtime,
        runtimeVersion: job.version(),
        workload: job.workload,
        tracedOn,
        derivedAt: new Date().toISOString().slice(0, 10),
        syscalls: union,
      };
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  if (check) {
    if (missingInCommitted.length) {
      const what = strict ? 'committed bases lack traced calls' : 'envelopes from the committed bases would deny';
      console.error(`${what}:\n  ${missingInCommitted.join('\n  ')}`);
      process.exit(1);
    }
    console.log(
      strict ? 'committed bases hold every traced call' : 'envelopes from the committed bases allow every traced call',
    );
    return;
  }
  const files = [join(OUT_DIR, 'traced.generated.ts'), join(OUT_DIR, 'syscall-tables.generated.ts')];
  writeFileSync(files[0]!, render(next));
  writeFileSync(files[1]!, tables());
  execFileSync(join(ROOT, 'node_modules', '.bin', 'biome'), ['format', '--write', ...files], { stdio: 'ignore' });
  console.log(`wrote ${join(OUT_DIR, 'traced.generated.ts')} and syscall-tables.generated.ts`);
}

main();
