/**
 * seccomp envelope per Deployment = the runtime bases of the runtimes detected for it (./seccomp-bases, like SPO's
 * `baseProfileName`) + what the node agent observed it calling, both widened into their families (an envelope, not
 * a tight profile: an agent must survive a library update or a code path the observation window did not exercise)
 * + the other spellings of every allowed operation (the aarch64 `*at`/`p*` forms, newer libc forms). Sensitive
 * families (namespaces, tracing, kernel administration, credential changes, io_uring) are never widened: only calls
 * observed (each reported as a warning) or in a runtime base (the container runtime's credential calls).
 *
 * Every allowed syscall has exactly one origin, in this order: observed, runtime base, family widening, variant.
 * The provenance of each group names it, so "which calls come from the base and which from observation" is answered
 * per syscall. A profile that rests on thin evidence (few observed calls, a short window, no runtime recognised)
 * carries a warning.
 *
 * Two variants: monitor (`SCMP_ACT_LOG`: everything runs, calls outside the envelope are logged by the kernel and
 * shipped by the node agent as `seccomp:logged:<name>`) and enforce (`SCMP_ACT_ERRNO`, EPERM). Both list x86_64 and
 * aarch64 (Graviton); the monitor variant also lists the 32-bit ABIs so their calls are logged, where enforce
 * refuses them (libseccomp's bad-architecture action).
 */
import { detectRuntimes, type RuntimeDetection } from './runtime-detect.ts';
import { RUNTIME_BASES } from './seccomp-bases/index.ts';
import type { OciSeccompProfile } from './seccomp-profile.ts';
import { seccompFiles } from './seccomp-spo.ts';
import type { SeccompEnvelope, SeccompGroup, SeccompMode, SeccompOrigin } from './seccomp-types.ts';
import { familyOf, NEVER_RETURNING_SYSCALLS, SYSCALL_FAMILIES, variantsOf } from './syscall-families.ts';
import type { ArtifactBaseline, ArtifactFile, KeyEvidence, RuleProvenance } from './types.ts';
import { evidenceOf } from './types.ts';

export type { OciSeccompProfile } from './seccomp-profile.ts';
export { seccompAllows } from './seccomp-profile.ts';
export type { SeccompEnvelope, SeccompGroup, SeccompMode, SeccompOrigin } from './seccomp-types.ts';

const EPERM = 1;
/** Fewer distinct observed syscalls than this, or a shorter observed span, is thin evidence. */
export const THIN_EVIDENCE = { minSyscalls: 20, minSpanDays: 1 } as const;

const ENFORCE_ARCHES = ['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64'];
const MONITOR_ARCHES = [...ENFORCE_ARCHES, 'SCMP_ARCH_X86', 'SCMP_ARCH_X32', 'SCMP_ARCH_ARM'];
const NAME = /^[a-z0-9_]{1,64}$/;

const list = (xs: readonly string[], max = 12) =>
  xs.length <= max ? xs.join(', ') : `${xs.slice(0, max).join(', ')} and ${xs.length - max} more`;

/** Computes the allow-list envelope with one provenance record per group. */
export function seccompEnvelope(baseline: ArtifactBaseline): SeccompEnvelope {
  const observed = new Map<string, KeyEvidence>();
  for (const e of baseline.entries) {
    if (!e.active || !e.key.startsWith('syscall:')) continue;
    observed.set(e.key.slice('syscall:'.length), evidenceOf(e));
  }
  const runtimes = detectRuntimes(baseline);
  const warnings: string[] = [];
  const groups: SeccompGroup[] = [];
  const originOf: Record<string, string> = {};
  const prov = (rule: string, allows: string, derivedFrom: KeyEvidence[], fixedReason?: string): RuleProvenance => ({
    rule,
    allows,
    subject: baseline.subject,
    baselineVersion: baseline.version,
    derivedFrom,
    ...(fixedReason ? { fixedReason } : {}),
  });
  /** Adds the not yet allowed `names` as one group. */
  const add = (group: string, origin: SeccompOrigin, names: Iterable<string>, mk: (s: string[]) => RuleProvenance) => {
    const fresh = [...new Set(names)].filter((s) => NAME.test(s) && !(s in originOf)).sort();
    if (fresh.length === 0) return;
    for (const s of fresh) originOf[s] = group;
    groups.push({ group, origin, syscalls: fresh, provenance: mk(fresh) });
  };

  const plain = [...observed.keys()].filter((s) => !familyOf(s)?.sensitive);
  add('observed', 'observed', plain, (s) =>
    prov(
      'observed',
      `counted by the node agent: ${list(s, 40)}`,
      s.map((x) => observed.get(x)!),
    ),
  );
  for (const fam of SYSCALL_FAMILIES.filter((f) => f.sensitive)) {
    const hits = fam.syscalls.filter((s) => observed.has(s));
    for (const s of hits)
      warnings.push(`sensitive syscall ${s} (${fam.name}) was observed and is allowed individually`);
    add(`observed:${fam.name}`, 'observed', hits, (s) =>
      prov(
        `observed:${fam.name}`,
        `observed ${fam.description}: ${s.join(', ')}`,
        s.map((x) => observed.get(x)!),
      ),
    );
  }
  for (const b of runtimes.bases) {
    const base = RUNTIME_BASES[b.id];
    add(`base:${b.id}`, 'base', base.syscalls, (s) =>
      prov(
        `base:${b.id}`,
        `${base.label} runtime base (${base.source}): ${list(s, 200)}`,
        b.evidence,
        `${b.reason}; ${base.origin}`,
      ),
    );
  }
  // Base calls widen like observed ones: a runtime that fchmods after a copy today may ftruncate tomorrow.
  const inBase = new Set(runtimes.bases.flatMap((b) => RUNTIME_BASES[b.id].syscalls));
  for (const fam of SYSCALL_FAMILIES.filter((f) => !f.sensitive)) {
    const seen = fam.syscalls.filter((s) => observed.has(s));
    const based = fam.syscalls.filter((s) => !observed.has(s) && inBase.has(s));
    if (seen.length + based.length === 0) continue;
    const from = [
      ...(seen.length ? [`${seen.length} observed`] : []),
      ...(based.length ? [`${based.length} runtime-base`] : []),
    ];
    add(`family:${fam.name}`, 'family', fam.syscalls, (s) =>
      prov(
        `family:${fam.name}`,
        `${fam.description} (family widened from ${from.join(' and ')} calls): ${list(s, 80)}`,
        seen.map((x) => observed.get(x)!),
      ),
    );
  }
  add('variants', 'variant', Object.keys(originOf).flatMap(variantsOf), (s) =>
    prov(
      'variants',
      `other spellings of allowed operations: ${list(s, 80)}`,
      [],
      'same operation as an allowed syscall: the aarch64 form (aarch64 has only the *at, p* and *2 calls) or the ' +
        'form another libc or runtime version uses',
    ),
  );
  add('never-returns', 'base', NEVER_RETURNING_SYSCALLS, (s) =>
    prov('never-returns', s.join(', '), [], 'never return to user space, so the node agent cannot count them'),
  );

  const allowed = Object.keys(originOf).sort();
  const evidence = evidenceSummary(observed, runtimes);
  if (evidence.thin) warnings.push(thinWarning(baseline.subject, observed, evidence, runtimes, groups, allowed));
  for (const b of runtimes.bases)
    if (RUNTIME_BASES[b.id].source === 'documented' && b.evidence.length > 0)
      warnings.push(
        `the ${RUNTIME_BASES[b.id].label} base is documented from source, not traced: check the monitor phase's ` +
          'logged calls before enforcing',
      );
  return { groups, allowed, originOf, runtimes, evidence, warnings };
}

function evidenceSummary(observed: Map<string, KeyEvidence>, runtimes: RuntimeDetection): SeccompEnvelope['evidence'] {
  const seen = [...observed.values()];
  const first = Math.min(...seen.map((k) => Date.parse(k.firstSeen)));
  const last = Math.max(...seen.map((k) => Date.parse(k.lastSeen)));
  const spanDays = seen.length === 0 || !Number.isFinite(first + last) ? 0 : (last - first) / 86_400_000;
  const thin = observed.size < THIN_EVIDENCE.minSyscalls || spanDays < THIN_EVIDENCE.minSpanDays || runtimes.undetected;
  return { observedSyscalls: observed.size, spanDays: Math.round(spanDays * 10) / 10, thin };
}

function thinWarning(
  subject: string,
  observed: Map<string, KeyEvidence>,
  ev: SeccompEnvelope['evidence'],
  runtimes: RuntimeDetection,
  groups: SeccompGroup[],
  allowed: string[],
): string {
  const count = (o: SeccompOrigin) => groups.filter((g) => g.origin === o).reduce((n, g) => n + g.syscalls.length, 0);
  const why = [
    observed.size === 0
      ? 'no syscalls observed'
      : `only ${observed.size} distinct syscalls observed (${list([...observed.keys()].sort(), 8)}) over ${ev.spanDays} days`,
    ...(runtimes.undetected ? ['no runtime recognised, so every runtime base is included'] : []),
  ];
  return (
    `thin evidence: the seccomp profile of ${subject} rests on ${why.join('; ')}; of its ${allowed.length} allowed ` +
    `syscalls ${count('observed')} were observed, ${count('base')} come from runtime bases ` +
    `(${runtimes.bases.map((b) => b.id).join(', ')}) and ${count('family') + count('variant')} from widening: ` +
    'keep it in monitor mode and read its logged calls (seccomp:logged:*) before enforcing'
  );
}

/** clone(2) flags that create namespaces: CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET (Docker's mask). */
export const CLONE_NAMESPACE_FLAGS = 0x7e020000;
const ENOSYS = 38;

/**
 * The OCI profile for one mode. Unless a namespace call was observed, clone is allowed only without namespace flags
 * and clone3 (whose flags are in memory, out of seccomp's reach) answers ENOSYS in enforce mode so glibc, libuv, the
 * JVM and Go fall back to clone, as Docker's and containerd's default profiles do; monitor mode allows clone3 so it
 * changes nothing.
 */
export function ociSeccompProfile(env: SeccompEnvelope, mode: SeccompMode): OciSeccompProfile {
  const nsObserved = env.groups.some((g) => g.group === 'observed:namespaces-mounts');
  const guarded = new Set(nsObserved ? [] : ['clone', 'clone3']);
  const rules: OciSeccompProfile['syscalls'] = env.groups
    .map((g) => ({ names: g.syscalls.filter((s) => !guarded.has(s)), action: 'SCMP_ACT_ALLOW' as const }))
    .filter((r) => r.names.length > 0);
  if (guarded.size > 0) {
    if (env.allowed.includes('clone'))
      rules.push({
        names: ['clone'],
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
      });
    if (env.allowed.includes('clone3'))
      rules.push(
        mode === 'enforce'
          ? { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS }
          : { names: ['clone3'], action: 'SCMP_ACT_ALLOW' },
      );
  }
  return {
    defaultAction: mode === 'monitor' ? 'SCMP_ACT_LOG' : 'SCMP_ACT_ERRNO',
    ...(mode === 'enforce' ? { defaultErrnoRet: EPERM } : {}),
    architectures: mode === 'monitor' ? [...MONITOR_ARCHES] : [...ENFORCE_ARCHES],
    syscalls: rules,
  };
}

/** seccomp files for both modes: OCI JSON, the SPO SeccompProfile, and the Deployment patch that binds it. */
export function generateSeccomp(baseline: ArtifactBaseline): {
  files: ArtifactFile[];
  envelope: SeccompEnvelope;
  profiles: Record<SeccompMode, OciSeccompProfile>;
} {
  const envelope = seccompEnvelope(baseline);
  const profiles = { monitor: ociSeccompProfile(envelope, 'monitor'), enforce: ociSeccompProfile(envelope, 'enforce') };
  const rules = envelope.groups.map((g) => g.provenance);
  return { files: seccompFiles(baseline, envelope, profiles, rules), envelope, profiles };
}
