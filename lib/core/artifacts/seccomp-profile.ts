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

const ENOSYS = 38;

/** ALLOW and LOG let the call run; ERRNO(ENOSYS) makes the caller fall back to an older form (clone3 -> clone). */
const passes = (r: { action: SeccompAction; errnoRet?: number }): boolean =>
  r.action === 'SCMP_ACT_ALLOW' ||
  r.action === 'SCMP_ACT_LOG' ||
  (r.action === 'SCMP_ACT_ERRNO' && r.errnoRet === ENOSYS);

/**
 * Whether `profile` lets `syscall` (x86_64 spelling; aarch64 uses the same names) run on `arch` (default x86_64).
 * LOG counts as letting it run (logged, not blocked); so does an ENOSYS answer, which makes glibc, libuv, the JVM
 * and Go fall back to an older form the profile allows (clone3 -> clone, as Docker's default profile does). An
 * architecture the profile does not list is refused (libseccomp's bad-arch action kills), unless the list is empty
 * (the runtime then uses the node's native architecture). Names only: a rule with argument conditions is judged by
 * its action (clone is allowed without namespace flags: counts of `clone` are allowed; a clone with namespace flags
 * shows up as a logged event of the monitor profile instead).
 * @example seccompAllows(enforce, 'clone3', 'aarch64') // true: ENOSYS, the caller falls back to clone
 */
export function seccompAllows(profile: OciSeccompProfile, syscall: string, arch = 'x86_64'): boolean {
  const want = SCMP_ARCH[arch] ?? (arch.startsWith('SCMP_ARCH_') ? arch : undefined);
  if (profile.architectures.length > 0 && (!want || !profile.architectures.includes(want))) return false;
  const rules = profile.syscalls.filter((r) => r.names.includes(syscall));
  const rule = rules.find((r) => !r.args || r.args.length === 0) ?? rules[0];
  return rule ? passes(rule) : passes({ action: profile.defaultAction });
}
