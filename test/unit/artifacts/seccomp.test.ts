import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { generateSeccomp, ociSeccompProfile, seccompEnvelope } from '../../../lib/core/artifacts/seccomp.ts';
import { familyOf, SYSCALL_FAMILIES } from '../../../lib/core/artifacts/syscall-families.ts';
import { retrievalBaseline, supportBaseline } from './fixtures.ts';

describe('seccomp envelope', () => {
  it('widens observed syscalls into their families', () => {
    const env = seccompEnvelope(supportBaseline);
    expect(env.allowed).toContain('pread64'); // file-io family, widened from read
    expect(env.allowed).toContain('accept4'); // network family, widened from connect
    expect(env.allowed).toContain('execve'); // runtime start
    expect(env.allowed).not.toContain('ptrace');
    expect(env.allowed).not.toContain('unshare');
    expect(env.groups.find((g) => g.group === 'family:network')!.provenance.derivedFrom.map((k) => k.key)).toEqual([
      'syscall:connect',
    ]);
  });

  it('never widens sensitive families: only the observed call, with a warning', () => {
    const b = {
      ...supportBaseline,
      entries: [...supportBaseline.entries, { ...supportBaseline.entries[0]!, key: 'syscall:unshare' }],
    };
    const env = seccompEnvelope(b);
    expect(env.allowed).toContain('unshare');
    expect(env.allowed).not.toContain('mount');
    expect(env.allowed).not.toContain('setns');
    expect(env.warnings.join()).toContain('unshare');
  });

  it('keeps unknown syscalls individually', () => {
    const b = { ...retrievalBaseline, entries: [{ ...retrievalBaseline.entries[0]!, key: 'syscall:cachestat' }] };
    const env = seccompEnvelope(b);
    expect(env.groups.find((g) => g.group === 'observed:unclassified')!.syscalls).toEqual(['cachestat']);
  });

  it('has monitor (LOG) and enforce (ERRNO) variants with the same allow-list', () => {
    const env = seccompEnvelope(supportBaseline);
    const mon = ociSeccompProfile(env, 'monitor');
    const enf = ociSeccompProfile(env, 'enforce');
    expect(mon.defaultAction).toBe('SCMP_ACT_LOG');
    expect(enf.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(enf.defaultErrnoRet).toBe(1);
    expect(mon.syscalls).toEqual(enf.syscalls);
  });

  it('emits SPO SeccompProfile resources', () => {
    const { files } = generateSeccomp(supportBaseline);
    expect(files.map((f) => f.path)).toEqual([
      'warden-support-agent.seccomp.monitor.json',
      'warden-support-agent.seccompprofile.monitor.yaml',
      'warden-support-agent.seccomp.enforce.json',
      'warden-support-agent.seccompprofile.enforce.yaml',
    ]);
    const spo = parse(files[3]!.content);
    expect(spo.kind).toBe('SeccompProfile');
    expect(spo.spec.defaultAction).toBe('SCMP_ACT_ERRNO');
  });

  it('differs between two agents of different classes', () => {
    const a = seccompEnvelope(supportBaseline).allowed;
    const b = seccompEnvelope(retrievalBaseline).allowed;
    expect(a).toContain('connect');
    expect(b).not.toContain('connect');
  });

  it('family table has no syscall in two families', () => {
    const seen = new Map<string, string>();
    for (const f of SYSCALL_FAMILIES)
      for (const s of f.syscalls) {
        expect(seen.get(s), `${s} in ${f.name} and ${seen.get(s)}`).toBeUndefined();
        seen.set(s, f.name);
      }
    expect(familyOf('openat')?.name).toBe('file-meta');
  });
});
