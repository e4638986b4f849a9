import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  CLONE_NAMESPACE_FLAGS,
  generateSeccomp,
  ociSeccompProfile,
  seccompAllows,
  seccompEnvelope,
} from '../../../lib/core/artifacts/seccomp.ts';
import { RUNTIME_BASES } from '../../../lib/core/artifacts/seccomp-bases/index.ts';
import {
  SYSCALLS_AARCH64,
  SYSCALLS_X86_64,
} from '../../../lib/core/artifacts/seccomp-bases/syscall-tables.generated.ts';
import { familyOf, SYSCALL_FAMILIES, variantsOf } from '../../../lib/core/artifacts/syscall-families.ts';
import type { ArtifactBaseline } from '../../../lib/core/artifacts/types.ts';
import { retrievalBaseline, supportBaseline } from './fixtures.ts';

const seen = (
  key: string,
  count = 10,
  firstSeen = '2026-01-05T10:00:00.000Z',
  lastSeen = '2026-02-10T10:00:00.000Z',
) => ({
  key,
  count,
  firstSeen,
  lastSeen,
  active: true,
});
const baseline = (keys: string[], subject = 'k8s:prod/support/agent'): ArtifactBaseline => ({
  subject,
  version: 1,
  entries: keys.map((k) => seen(k)),
});

/** The support agent's demo baseline: three syscalls, a python exec. */
const handful = baseline(['syscall:read', 'syscall:epoll_wait', 'syscall:connect', 'exec:/usr/local/bin/python3.12']);
const SENSITIVE = SYSCALL_FAMILIES.filter((f) => f.sensitive).flatMap((f) => f.syscalls);
const CONTAINER_START = new Set(RUNTIME_BASES['container-runtime'].syscalls);

describe('seccomp envelope = runtime base + observed', () => {
  it('a baseline of three syscalls still allows what a Python or Node.js runtime needs (issue #15)', () => {
    const env = seccompEnvelope(handful);
    for (const s of ['getuid', 'ioctl', 'clock_nanosleep', 'clone3', 'madvise', 'getdents64', 'sched_getaffinity'])
      expect(env.allowed, s).toContain(s);
    for (const s of ['pipe2', 'socket', 'fchmod', 'epoll_pwait', 'eventfd2', 'statx', 'futex', 'rseq'])
      expect(env.allowed, s).toContain(s);
  });

  it('every allowed syscall has exactly one origin; observed calls are attributed to observation', () => {
    const env = seccompEnvelope(handful);
    const all = env.groups.flatMap((g) => g.syscalls);
    expect(all.length).toBe(new Set(all).size);
    expect([...all].sort()).toEqual(env.allowed);
    expect(env.groups.find((g) => g.group === 'observed')!.syscalls).toEqual(['connect', 'epoll_wait', 'read']);
    expect(env.originOf.read).toBe('observed');
    expect(env.originOf.clone3).toMatch(/^base:/);
    expect(env.originOf.pwritev2).toBe('family:file-io');
    const base = env.groups.find((g) => g.group === 'base:cpython')!.provenance;
    expect(base.fixedReason).toMatch(/python executable ran.*traced .* with strace -f/);
    expect(base.derivedFrom.map((k) => k.key)).toEqual(['exec:/usr/local/bin/python3.12']);
    expect(base.allows).toContain('CPython 3 runtime base (traced)');
  });

  it('warns when the profile rests on thin evidence, naming what was observed', () => {
    const w = seccompEnvelope(handful).warnings.find((x) => x.startsWith('thin evidence'));
    expect(w).toMatch(/only 3 distinct syscalls observed \(connect, epoll_wait, read\) over 36 days/);
    expect(w).toMatch(/of its \d+ allowed syscalls 3 were observed, \d+ come from runtime bases \(container-runtime, /);
    const rich = baseline([
      ...Object.keys(SYSCALLS_X86_64)
        .filter((s) => familyOf(s) && !familyOf(s)!.sensitive)
        .slice(0, 40)
        .map((s) => `syscall:${s}`),
      'exec:/usr/bin/node',
    ]);
    expect(seccompEnvelope(rich).evidence).toMatchObject({ observedSyscalls: 40, thin: false });
    expect(seccompEnvelope(rich).warnings.filter((x) => x.startsWith('thin'))).toEqual([]);
    const short = { ...rich, entries: rich.entries.map((e) => ({ ...e, lastSeen: '2026-01-05T12:00:00.000Z' })) };
    expect(seccompEnvelope(short).evidence.thin).toBe(true);
  });

  it('never allows a sensitive syscall that was neither observed nor needed by the container runtime', () => {
    for (const b of [handful, supportBaseline, retrievalBaseline, baseline(['syscall:read'])]) {
      const env = seccompEnvelope(b);
      const leaked = env.allowed.filter((s) => SENSITIVE.includes(s) && !CONTAINER_START.has(s));
      expect(leaked, b.subject).toEqual([]);
    }
    for (const s of ['ptrace', 'unshare', 'setns', 'mount', 'bpf', 'io_uring_setup', 'keyctl', 'personality'])
      expect(seccompEnvelope(handful).allowed).not.toContain(s);
  });

  it('an observed sensitive call is allowed alone, with a warning, and its family stays closed', () => {
    const env = seccompEnvelope({ ...supportBaseline, entries: [...supportBaseline.entries, seen('syscall:unshare')] });
    expect(env.allowed).toContain('unshare');
    expect(env.allowed).not.toContain('setns');
    expect(env.groups.find((g) => g.group === 'observed:namespaces-mounts')!.syscalls).toEqual(['unshare']);
    expect(env.warnings.join()).toContain('sensitive syscall unshare');
  });

  it('keeps an observed syscall outside the family table', () => {
    const env = seccompEnvelope(baseline(['syscall:cachestat', 'exec:/usr/bin/python3']));
    expect(env.originOf.cachestat).toBe('observed');
  });

  it.each<[string, string[], string[], boolean]>([
    ['python exec', ['exec:/usr/local/bin/python3.12'], ['cpython', 'glibc', 'musl'], false],
    ['PyPI inventory', ['pkg:pypi:boto3@1.35.0'], ['cpython', 'glibc', 'musl'], false],
    ['npm MCP stdio server', ['mcp:stdio:@modelcontextprotocol/server-filesystem'], ['nodejs', 'glibc', 'musl'], false],
    [
      'python agent starting an npm MCP server',
      ['pkg:pypi:openai@1.54.0', 'mcp:stdio:@modelcontextprotocol/server-filesystem'],
      ['cpython', 'nodejs', 'glibc', 'musl'],
      false,
    ],
    [
      'python agent starting an MCP server of unknown language',
      ['exec:/usr/bin/python3', 'mcp:stdio:server-zendesk'],
      ['cpython', 'nodejs', 'glibc', 'musl'],
      false,
    ],
    ['node image on alpine', ['image:node:20-alpine@sha256:' + 'a'.repeat(64)], ['nodejs', 'musl'], false],
    ['JVM with glibc', ['exec:/usr/bin/java', 'open:/etc/ld.so.cache'], ['jvm', 'glibc'], false],
    ['static Go binary', ['open:/sys/kernel/mm/transparent_hugepage/hpage_pmd_size'], ['go'], false],
    ['nothing known', ['syscall:read'], ['cpython', 'nodejs', 'jvm', 'go', 'glibc', 'musl'], true],
  ])('runtime detection: %s', (_n, keys, expected, undetected) => {
    const env = seccompEnvelope(baseline(keys));
    const bases = env.runtimes.bases.map((b) => b.id);
    expect(bases[0]).toBe('container-runtime');
    expect([...bases].sort()).toEqual(['container-runtime', ...expected].sort());
    expect(env.runtimes.undetected).toBe(undetected);
  });

  it('an interpreter the evidence does not show is not in the envelope; an unknown MCP server says why it brings one', () => {
    const py = seccompEnvelope(baseline(['exec:/usr/bin/python3']));
    expect(py.groups.map((g) => g.group)).not.toContain('base:nodejs');
    const node = seccompEnvelope(baseline(['exec:/usr/bin/node']));
    expect(node.groups.map((g) => g.group)).not.toContain('base:cpython');
    const mcp = seccompEnvelope(baseline(['exec:/usr/bin/python3', 'mcp:stdio:server-zendesk']));
    const why = mcp.runtimes.bases.find((b) => b.id === 'nodejs')!;
    expect(why.reason).toMatch(/MCP stdio server server-zendesk of unknown language/);
    expect(why.evidence.map((e) => e.key)).toEqual(['mcp:stdio:server-zendesk']);
  });

  it('a static Go binary gets no C library base, and a warning that the Go base is not traced', () => {
    const env = seccompEnvelope(baseline(['open:/sys/kernel/mm/transparent_hugepage/hpage_pmd_size']));
    expect(env.warnings.join()).toMatch(/Go \(static binary\) base is documented from source, not traced/);
    expect(env.groups.map((g) => g.group)).not.toContain('base:glibc');
  });
});

describe('architectures', () => {
  it('every name in a profile is a real x86_64 or aarch64 syscall', () => {
    for (const b of [handful, supportBaseline, baseline(['syscall:read'])]) {
      const unknown = seccompEnvelope(b).allowed.filter((s) => !(s in SYSCALLS_X86_64) && !(s in SYSCALLS_AARCH64));
      expect(unknown).toEqual([]);
    }
  });

  it('every allowed x86_64-only call has its aarch64 form allowed (aarch64 has only *at/p*/2 calls)', () => {
    const x86Only = new Set(['arch_prctl', 'modify_ldt', 'iopl', 'ioperm']);
    for (const b of [handful, baseline(['syscall:read']), baseline(['syscall:open', 'syscall:poll', 'syscall:fork'])]) {
      const env = seccompEnvelope(b);
      const missing = env.allowed.filter(
        (s) =>
          !(s in SYSCALLS_AARCH64) &&
          !x86Only.has(s) &&
          !variantsOf(s).some((v) => v in SYSCALLS_AARCH64 && env.allowed.includes(v)),
      );
      expect(missing).toEqual([]);
    }
  });

  it('enforce lists x86_64 and aarch64 only; monitor also logs the 32-bit ABIs', () => {
    const env = seccompEnvelope(handful);
    expect(ociSeccompProfile(env, 'enforce').architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64']);
    expect(ociSeccompProfile(env, 'monitor').architectures).toEqual(
      expect.arrayContaining(['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_X86']),
    );
    expect(seccompAllows(ociSeccompProfile(env, 'enforce'), 'openat', 'aarch64')).toBe(true);
    expect(seccompAllows(ociSeccompProfile(env, 'enforce'), 'openat', 'i386')).toBe(false);
  });
});

describe('OCI profiles', () => {
  const env = seccompEnvelope(handful);
  const enforce = ociSeccompProfile(env, 'enforce');
  const monitor = ociSeccompProfile(env, 'monitor');

  it('monitor logs (never blocks) and enforce blocks with EPERM, over the same allow-list', () => {
    expect(monitor.defaultAction).toBe('SCMP_ACT_LOG');
    expect(enforce).toMatchObject({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1 });
    const allows = (p: typeof enforce) =>
      p.syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW').flatMap((r) => r.names);
    expect(allows(monitor).filter((s) => s !== 'clone3')).toEqual(allows(enforce));
  });

  it('clone is allowed without namespace flags, clone3 answers ENOSYS in enforce (callers fall back to clone)', () => {
    expect(enforce.syscalls).toContainEqual({
      names: ['clone'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
    });
    expect(enforce.syscalls).toContainEqual({ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 });
    expect(monitor.syscalls).toContainEqual({ names: ['clone3'], action: 'SCMP_ACT_ALLOW' });
    const ns = seccompEnvelope({ ...handful, entries: [...handful.entries, seen('syscall:unshare')] });
    expect(ociSeccompProfile(ns, 'enforce').syscalls.some((r) => r.args)).toBe(false);
  });

  it('seccompAllows agrees with the envelope on every known syscall name', () => {
    for (const s of Object.keys(SYSCALLS_X86_64)) expect(seccompAllows(enforce, s), s).toBe(env.allowed.includes(s));
  });

  it('property: any observed set keeps the container start and libc bases and no unobserved sensitive call', () => {
    const names = Object.keys(SYSCALLS_X86_64);
    fc.assert(
      fc.property(fc.subarray(names, { maxLength: 60 }), (obs) => {
        const e = seccompEnvelope(baseline([...obs.map((s) => `syscall:${s}`), 'exec:/usr/bin/python3']));
        for (const s of RUNTIME_BASES['container-runtime'].syscalls) if (!e.allowed.includes(s)) return false;
        for (const s of RUNTIME_BASES.glibc.syscalls) if (!e.allowed.includes(s)) return false;
        return e.allowed.every((s) => !SENSITIVE.includes(s) || obs.includes(s) || CONTAINER_START.has(s));
      }),
      { numRuns: 60 },
    );
  });
});

describe('Security Profiles Operator resources', () => {
  const files = generateSeccomp(supportBaseline).files;
  const doc = (suffix: string) => parse(files.find((f) => f.path.endsWith(suffix))!.content);

  it('writes OCI JSON, a SeccompProfile and a Deployment binding per mode', () => {
    expect(files.map((f) => f.path)).toEqual([
      'warden-support-agent.seccomp.monitor.json',
      'warden-support-agent.seccompprofile.monitor.yaml',
      'warden-support-agent.seccomp-binding.monitor.yaml',
      'warden-support-agent.seccomp.enforce.json',
      'warden-support-agent.seccompprofile.enforce.yaml',
      'warden-support-agent.seccomp-binding.enforce.yaml',
    ]);
  });

  it('one cluster-scoped name for both modes: switching mode never renames what pods use', () => {
    const mon = doc('seccompprofile.monitor.yaml');
    const enf = doc('seccompprofile.enforce.yaml');
    expect(mon.metadata.namespace).toBeUndefined();
    expect(mon.metadata.name).toBe(enf.metadata.name);
    expect(mon.metadata.name).toMatch(/^warden-support-support-agent-[0-9a-f]{8}$/);
    expect([mon.spec.defaultAction, enf.spec.defaultAction]).toEqual(['SCMP_ACT_LOG', 'SCMP_ACT_ERRNO']);
    const bm = doc('seccomp-binding.monitor.yaml');
    const be = doc('seccomp-binding.enforce.yaml');
    expect(bm.metadata).toEqual({ name: 'support-agent', namespace: 'support' });
    expect(bm.spec.template.spec).toEqual(be.spec.template.spec);
    expect(bm.spec.template.spec.securityContext.seccompProfile).toEqual({
      type: 'Localhost',
      localhostProfile: `operator/${mon.metadata.name}.json`,
    });
    // The pod template changes with the mode, so applying the patch restarts pods onto the switched content.
    expect(bm.spec.template.metadata.annotations['warden.dev/seccomp-mode']).toBe('monitor');
    expect(be.spec.template.metadata.annotations['warden.dev/seccomp-mode']).toBe('enforce');
  });

  it('names cannot collide across namespaces, and stay DNS labels', () => {
    const of = (s: string) =>
      parse(
        generateSeccomp({ ...supportBaseline, subject: s }).files.find((f) =>
          f.path.endsWith('seccompprofile.enforce.yaml'),
        )!.content,
      );
    const a = of('k8s:prod/a-b/c').metadata.name;
    const b = of('k8s:prod/a/b-c').metadata.name;
    const c = of('k8s:staging/a-b/c').metadata.name;
    expect(new Set([a, b, c]).size).toBe(3);
    const long = of(`k8s:prod/${'n'.repeat(63)}/${'d'.repeat(63)}`).metadata.name;
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });
});
