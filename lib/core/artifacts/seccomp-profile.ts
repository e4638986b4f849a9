/**
 * The OCI runtime-spec seccomp profile (what runc/crun load, and the `spec` of an SPO SeccompProfile) and a pure
 * evaluator of it: {@link seccompAllows} answers "would this profile let `syscall` through on `arch`", the question
 * the rollout's blast radius asks of every syscall of a window the profile was not generated from.
 */

/** Actions of the OCI runtime spec (libseccomp's SCMP_ACT_*). */
export const SECCOMP_ACTIONS = [
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE',
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_LOG',
  'SCMP_ACT_NOTIFY',
] as const;
export type SeccompAction = (typeof SECCOMP_ACTIONS)[number];

export interface SeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: string;
}

export interface SeccompRule {
  names: string[];
  action: SeccompAction;
  errnoRet?: number;
  args?: SeccompArg[];
}

export interface OciSeccompProfile {
  defaultAction: SeccompAction;
  defaultErrnoRet?: number;
  architectures: string[];
  syscalls: SeccompRule[];
}

/** Kernel / uname architecture names -> the OCI (libseccomp) architecture constant. */
export const SCMP_ARCH: Readonly<Record<string, string>> = {
  x86_64: 'SCMP_ARCH_X86_64',
  amd64: 'SCMP_ARCH_X86_64',
  aarch64: 'SCMP_ARCH_AARCH64',
  arm64: 'SCMP_ARCH_AARCH64',
  i386: 'SCMP_ARCH_X86',
  x86: 'SCMP_ARCH_X86',
  x32: 'SCMP_ARCH_X32',
  arm: 'SCMP_ARCH_ARM',
};

const passes = (a: SeccompAction): boolean => a === 'SCMP_ACT_ALLOW' || a === 'SCMP_ACT_LOG';

/**
 * Whether `profile` lets `syscall` (x86_64 spelling; aarch64 uses the same names) run on `arch` (default x86_64).
 * LOG counts as letting it run (it is logged, not blocked). An architecture the profile does not list is refused
 * (libseccomp's bad-arch action kills), unless the list is empty (the runtime then uses the node's native
 * architecture). A rule with argument conditions allows only some calls and is not counted as allowing the name.
 * @example seccompAllows(enforce, 'clone3', 'aarch64') // true when clone3 is on an unconditional allow rule
 */
export function seccompAllows(profile: OciSeccompProfile, syscall: string, arch = 'x86_64'): boolean {
  const want = SCMP_ARCH[arch] ?? (arch.startsWith('SCMP_ARCH_') ? arch : undefined);
  if (profile.architectures.length > 0 && (!want || !profile.architectures.includes(want))) return false;
  let conditional = false;
  for (const rule of profile.syscalls) {
    if (!rule.names.includes(syscall)) continue;
    if (rule.args && rule.args.length > 0) {
      conditional = true;
      continue;
    }
    return passes(rule.action);
  }
  return conditional ? false : passes(profile.defaultAction);
}
