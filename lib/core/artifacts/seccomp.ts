/**
 * seccomp envelope per Deployment: an OCI seccomp profile whose allow-list is the observed syscalls widened into
 * their families (an envelope, not a tight profile: an inference workload must survive a model update), plus the
 * syscalls a container runtime needs at start. Sensitive families (namespaces, tracing, kernel administration,
 * credential changes, io_uring) are never widened: only the individual calls that were observed are allowed, and
 * each is reported as a warning.
 *
 * Two variants: monitor (`SCMP_ACT_LOG`: everything runs, calls outside the envelope are logged by the kernel audit
 * subsystem) and enforce (`SCMP_ACT_ERRNO` with EPERM). A Security Profiles Operator `SeccompProfile` resource is
 * emitted for each.
 */
import { stringify } from 'yaml';
import { parseSubject } from '../observation.ts';
import type { OciSeccompProfile } from './seccomp-profile.ts';
import { familyOf, RUNTIME_START_SYSCALLS, SYSCALL_FAMILIES } from './syscall-families.ts';
import type { ArtifactBaseline, ArtifactFile, KeyEvidence, RuleProvenance } from './types.ts';
import { evidenceOf } from './types.ts';

export type SeccompMode = 'monitor' | 'enforce';

export type { OciSeccompProfile } from './seccomp-profile.ts';
export { seccompAllows } from './seccomp-profile.ts';

export interface SeccompEnvelope {
  /** family name (or `observed-sensitive`, `runtime-start`) -> syscalls allowed. */
  groups: { group: string; syscalls: string[]; provenance: RuleProvenance }[];
  allowed: string[];
  warnings: string[];
}

const EPERM = 1;

/** Computes the allow-list envelope with provenance for each group. */
export function seccompEnvelope(baseline: ArtifactBaseline): SeccompEnvelope {
  const observed = new Map<string, KeyEvidence>();
  for (const e of baseline.entries) {
    if (!e.active || !e.key.startsWith('syscall:')) continue;
    observed.set(e.key.slice('syscall:'.length), evidenceOf(e));
  }
  const warnings: string[] = [];
  const groups: SeccompEnvelope['groups'] = [];
  const prov = (rule: string, allows: string, derivedFrom: KeyEvidence[], fixedReason?: string): RuleProvenance => ({
    rule,
    allows,
    subject: baseline.subject,
    baselineVersion: baseline.version,
    derivedFrom,
    ...(fixedReason ? { fixedReason } : {}),
  });

  for (const fam of SYSCALL_FAMILIES) {
    const hits = fam.syscalls.filter((s) => observed.has(s));
    if (hits.length === 0) continue;
    const evidence = hits.map((s) => observed.get(s)!);
    if (fam.sensitive) {
      for (const s of hits)
        warnings.push(`sensitive syscall ${s} (${fam.name}) was observed and is allowed individually`);
      groups.push({
        group: `observed:${fam.name}`,
        syscalls: [...hits].sort(),
        provenance: prov(`observed:${fam.name}`, `observed ${fam.description}: ${hits.join(', ')}`, evidence),
      });
    } else {
      groups.push({
        group: `family:${fam.name}`,
        syscalls: [...fam.syscalls].sort(),
        provenance: prov(
          `family:${fam.name}`,
          `${fam.description} (family widened from ${hits.length} observed)`,
          evidence,
        ),
      });
    }
  }
  const unknown = [...observed.keys()].filter((s) => !familyOf(s));
  if (unknown.length > 0) {
    groups.push({
      group: 'observed:unclassified',
      syscalls: unknown.sort(),
      provenance: prov(
        'observed:unclassified',
        `observed syscalls outside the family table: ${unknown.join(', ')}`,
        unknown.map((s) => observed.get(s)!),
      ),
    });
  }
  const covered = new Set(groups.flatMap((g) => g.syscalls));
  const runtime = RUNTIME_START_SYSCALLS.filter((s) => !covered.has(s));
  if (runtime.length > 0) {
    groups.push({
      group: 'runtime-start',
      syscalls: [...runtime].sort(),
      provenance: prov(
        'runtime-start',
        'syscalls the container runtime issues between installing the filter and exec',
        [],
        'container runtime start (runc/crun)',
      ),
    });
  }
  if (observed.size === 0) warnings.push('no syscalls observed: the envelope holds only the runtime start set');
  const allowed = [...new Set(groups.flatMap((g) => g.syscalls))].sort();
  return { groups, allowed, warnings };
}

/** The OCI profile for one mode. */
export function ociSeccompProfile(env: SeccompEnvelope, mode: SeccompMode): OciSeccompProfile {
  return {
    defaultAction: mode === 'monitor' ? 'SCMP_ACT_LOG' : 'SCMP_ACT_ERRNO',
    ...(mode === 'enforce' ? { defaultErrnoRet: EPERM } : {}),
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: env.groups.map((g) => ({ names: g.syscalls, action: 'SCMP_ACT_ALLOW' as const })),
  };
}

/** seccomp files (OCI JSON and SPO SeccompProfile) for both modes. */
export function generateSeccomp(baseline: ArtifactBaseline): { files: ArtifactFile[]; envelope: SeccompEnvelope } {
  const subj = parseSubject(baseline.subject);
  const base = `warden-${subj?.name ?? 'agent'}`;
  const env = seccompEnvelope(baseline);
  const files: ArtifactFile[] = [];
  const rules = env.groups.map((g) => g.provenance);
  for (const mode of ['monitor', 'enforce'] as const) {
    const profile = ociSeccompProfile(env, mode);
    files.push({
      path: `${base}.seccomp.${mode}.json`,
      kind: 'seccomp',
      enforcementPoint: `OCI runtime seccomp (${mode === 'monitor' ? 'SCMP_ACT_LOG: logs, never blocks' : 'SCMP_ACT_ERRNO: blocks with EPERM'}); reference from the pod securityContext.seccompProfile (Localhost)`,
      content: `${JSON.stringify(profile, null, 2)}\n`,
      rules,
    });
    const spo = {
      apiVersion: 'security-profiles-operator.x-k8s.io/v1beta1',
      kind: 'SeccompProfile',
      metadata: {
        name: `${base}-${mode}`,
        namespace: subj?.namespace ?? 'default',
        labels: { 'app.kubernetes.io/managed-by': 'warden' },
        annotations: {
          'warden.dev/subject': baseline.subject,
          'warden.dev/baseline-version': String(baseline.version),
        },
      },
      spec: {
        defaultAction: profile.defaultAction,
        architectures: profile.architectures,
        syscalls: profile.syscalls.map((s) => ({ names: s.names, action: s.action })),
      },
    };
    files.push({
      path: `${base}.seccompprofile.${mode}.yaml`,
      kind: 'seccomp-profile-crd',
      enforcementPoint: 'Security Profiles Operator (SeccompProfile CR, installed on nodes by SPO)',
      content: stringify(spo),
      rules,
    });
  }
  return { files, envelope: env };
}
