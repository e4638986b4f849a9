/**
 * Runtime base profiles, like the Security Profiles Operator's `baseProfileName`: the syscalls a container runtime,
 * a C library and a language runtime make whatever the application does, which a profile built only from what the
 * node agent counted would miss (a baseline of `read`, `epoll_wait`, `connect` cannot start a thread). A seccomp
 * envelope is the bases of the runtimes detected for the workload plus what the workload was observed doing.
 *
 * Traced bases come from scripts/derive-seccomp-bases.ts (strace -f of real runtimes on this project's machines);
 * the Go bases are documented from source (no Go toolchain here) and say so.
 */
import { GO_PROGRAM_SYSCALLS, GO_RUNTIME_SYSCALLS } from './go.ts';
import { TRACED_BASES, type TracedBase } from './traced.generated.ts';

export const RUNTIME_IDS = ['container-runtime', 'glibc', 'musl', 'cpython', 'nodejs', 'jvm', 'go'] as const;
export type RuntimeId = (typeof RUNTIME_IDS)[number];

export interface RuntimeBase {
  id: RuntimeId;
  label: string;
  /** `traced`: derived by tracing the real runtime here; `documented`: read from the runtime's source, not traced. */
  source: 'traced' | 'documented' | 'traced+documented';
  /** One line: how the set was derived (versions, workload, tool), for provenance. */
  origin: string;
  syscalls: readonly string[];
}

const traced = (b: TracedBase) =>
  `traced ${b.derivedAt} with strace -f on ${b.tracedOn}: ${b.runtimeVersion}; workload ${b.workload}`;

const union = (...sets: (readonly string[])[]) => [...new Set(sets.flat())].sort();

const start = TRACED_BASES['container-start'];

export const RUNTIME_BASES: Readonly<Record<RuntimeId, RuntimeBase>> = {
  'container-runtime': {
    id: 'container-runtime',
    label: 'container runtime start (runc, crun)',
    source: 'traced+documented',
    origin:
      `${traced(start)}; plus the Go runtime calls runc init (a Go program) can make on the filtered thread ` +
      '(documented from Go source, not traced)',
    syscalls: union(start.syscalls, GO_RUNTIME_SYSCALLS),
  },
  glibc: {
    id: 'glibc',
    label: 'glibc dynamic loader and C library, shell entrypoint',
    source: 'traced',
    origin: traced(TRACED_BASES.glibc),
    syscalls: TRACED_BASES.glibc.syscalls,
  },
  musl: {
    id: 'musl',
    label: 'musl dynamic loader and C library',
    source: 'traced',
    origin: traced(TRACED_BASES.musl),
    syscalls: TRACED_BASES.musl.syscalls,
  },
  cpython: {
    id: 'cpython',
    label: 'CPython 3',
    source: 'traced',
    origin: traced(TRACED_BASES.cpython),
    syscalls: TRACED_BASES.cpython.syscalls,
  },
  nodejs: {
    id: 'nodejs',
    label: 'Node.js',
    source: 'traced',
    origin: traced(TRACED_BASES.nodejs),
    syscalls: TRACED_BASES.nodejs.syscalls,
  },
  jvm: {
    id: 'jvm',
    label: 'JVM (OpenJDK HotSpot)',
    source: 'traced',
    origin: traced(TRACED_BASES.jvm),
    syscalls: TRACED_BASES.jvm.syscalls,
  },
  go: {
    id: 'go',
    label: 'Go (static binary)',
    source: 'documented',
    origin:
      'documented from the Go 1.21-1.23 runtime and standard library source (runtime/sys_linux_*.s, os, os/exec, ' +
      'net, internal/poll); NOT traced: no Go toolchain on the machines this base was built on',
    syscalls: union(GO_PROGRAM_SYSCALLS),
  },
};
