import { describe, expect, it } from 'vitest';
import { type OciSeccompProfile, seccompAllows } from '../../../lib/core/artifacts/seccomp-profile.ts';

const enforce: OciSeccompProfile = {
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: 1,
  architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64'],
  syscalls: [
    { names: ['read', 'write', 'clone3'], action: 'SCMP_ACT_ALLOW' },
    { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }] },
    { names: ['unshare'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 0, op: 'SCMP_CMP_NE' }] },
    { names: ['ptrace'], action: 'SCMP_ACT_ERRNO' },
    { names: ['fork'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
  ],
};
const monitor: OciSeccompProfile = { ...enforce, defaultAction: 'SCMP_ACT_LOG', defaultErrnoRet: undefined };

describe('seccompAllows', () => {
  it.each<[string, OciSeccompProfile, string, string | undefined, boolean]>([
    ['listed name, default arch', enforce, 'clone3', undefined, true],
    ['listed name on aarch64', enforce, 'read', 'aarch64', true],
    ['listed name under its SCMP constant', enforce, 'read', 'SCMP_ARCH_AARCH64', true],
    ['unlisted name falls to ERRNO', enforce, 'mount', 'x86_64', false],
    ['unknown number falls to the default', enforce, 'nr:451', 'x86_64', false],
    ['explicit deny rule', enforce, 'ptrace', 'x86_64', false],
    ['a conditional rule is judged by its action (allow)', enforce, 'personality', 'x86_64', true],
    ['a conditional rule is judged by its action (deny)', enforce, 'unshare', 'x86_64', false],
    ['ENOSYS lets the caller fall back', enforce, 'fork', 'x86_64', true],
    ['architecture the profile does not list', enforce, 'read', 'i386', false],
    ['unknown architecture', enforce, 'read', 'riscv64', false],
    ['monitor default LOG lets it run', monitor, 'mount', 'x86_64', true],
    ['monitor keeps explicit denials', monitor, 'ptrace', 'x86_64', false],
  ])('%s', (_n, profile, syscall, arch, expected) => {
    expect(seccompAllows(profile, syscall, arch)).toBe(expected);
  });

  it('an empty architecture list means the native one: any arch passes', () => {
    expect(seccompAllows({ ...enforce, architectures: [] }, 'read', 'aarch64')).toBe(true);
  });
});
