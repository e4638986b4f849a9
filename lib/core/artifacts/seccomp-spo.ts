/**
 * The files of a seccomp envelope: the OCI profile JSON per mode (for kubelet `Localhost` profiles or any OCI
 * runtime), the Security Profiles Operator `SeccompProfile` per mode, and the Deployment patch that makes the pods
 * use it.
 *
 * SPO (>= 0.9, API v1) SeccompProfiles are cluster-scoped, so the name carries the namespace and Deployment plus a hash of
 * the subject: two Deployments in two namespaces (or `a-b`/`c` and `a`/`b-c`) never share a name. Monitor and enforce
 * are two contents of ONE name: the rollout applies the monitor content, then the enforce content, and the pods keep
 * referencing `operator/<name>.json`. seccomp filters are installed at container start, so a switched profile takes
 * effect when pods restart: the patch carries the mode and a content hash as pod-template annotations, so applying
 * it rolls the Deployment exactly when the profile changed. A ProfileBinding is not used: it binds by image across a
 * whole namespace, not by Deployment.
 */
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import { parseSubject } from '../observation.ts';
import type { OciSeccompProfile } from './seccomp-profile.ts';
import type { SeccompEnvelope, SeccompMode } from './seccomp-types.ts';
import type { ArtifactBaseline, ArtifactFile, RuleProvenance } from './types.ts';

/** SPO's v1 API: the cluster-scoped, storage version (v1beta1 is namespaced and types errnoRet as a string). */
const SPO_API = 'security-profiles-operator.x-k8s.io/v1';
const MAX_NAME = 63;

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');

/**
 * Cluster-scoped SeccompProfile name for a subject: `warden-<namespace>-<deployment>-<8 hex of sha256(subject)>`,
 * a DNS label (<= 63 characters, the readable part cut first).
 * @example spoProfileName('k8s:prod/support/support-agent') // 'warden-support-support-agent-<hash>'
 */
export function spoProfileName(subject: string): string {
  const s = parseSubject(subject);
  const hash = createHash('sha256').update(subject).digest('hex').slice(0, 8);
  const readable = slug(s?.kind === 'k8s' ? `${s.namespace}-${s.name}` : (s?.name ?? subject)) || 'agent';
  const room = MAX_NAME - 'warden-'.length - hash.length - 1;
  return `warden-${readable.slice(0, room).replace(/-+$/, '')}-${hash}`;
}

/** The path kubelet resolves under its seccomp root for an SPO-installed profile (SPO's `status.localhostProfile`). */
export const spoLocalhostProfile = (name: string) => `operator/${name}.json`;

const contentHash = (p: OciSeccompProfile) => createHash('sha256').update(JSON.stringify(p)).digest('hex').slice(0, 16);

function spoResource(baseline: ArtifactBaseline, env: SeccompEnvelope, mode: SeccompMode, p: OciSeccompProfile) {
  return {
    apiVersion: SPO_API,
    kind: 'SeccompProfile',
    metadata: {
      name: spoProfileName(baseline.subject),
      labels: { 'app.kubernetes.io/managed-by': 'warden' },
      annotations: {
        'warden.dev/subject': baseline.subject,
        'warden.dev/baseline-version': String(baseline.version),
        'warden.dev/mode': mode,
        'warden.dev/runtime-bases': env.runtimes.bases.map((b) => b.id).join(','),
        'warden.dev/content-hash': contentHash(p),
      },
    },
    // SPO has no defaultErrnoRet: SCMP_ACT_ERRNO defaults to EPERM in runc and crun, as in the OCI file. The rules
    // are OCI rules as they are (SPO writes the spec to the node as the OCI profile: errnoRet and args keep their types).
    spec: {
      defaultAction: p.defaultAction,
      architectures: p.architectures,
      syscalls: p.syscalls,
    },
  };
}

/** A server-side-apply patch of the Deployment: pod-level Localhost seccomp profile + annotations that roll it. */
function deploymentPatch(subject: string, mode: SeccompMode, p: OciSeccompProfile) {
  const s = parseSubject(subject);
  const name = spoProfileName(subject);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: s?.name ?? subject, namespace: s?.namespace ?? 'default' },
    spec: {
      template: {
        metadata: {
          annotations: {
            'warden.dev/seccomp-profile': name,
            'warden.dev/seccomp-mode': mode,
            'warden.dev/seccomp-content-hash': contentHash(p),
          },
        },
        spec: {
          securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: spoLocalhostProfile(name) } },
        },
      },
    },
  };
}

/** The six files of a seccomp envelope (three per mode). */
export function seccompFiles(
  baseline: ArtifactBaseline,
  env: SeccompEnvelope,
  profiles: Record<SeccompMode, OciSeccompProfile>,
  rules: RuleProvenance[],
): ArtifactFile[] {
  const subj = parseSubject(baseline.subject);
  const stem = `warden-${subj?.name ?? 'agent'}`;
  const name = spoProfileName(baseline.subject);
  const files: ArtifactFile[] = [];
  for (const mode of ['monitor', 'enforce'] as const) {
    const p = profiles[mode];
    const what =
      mode === 'monitor' ? 'SCMP_ACT_LOG: logs what enforce would deny, never blocks' : 'SCMP_ACT_ERRNO: blocks, EPERM';
    files.push(
      {
        path: `${stem}.seccomp.${mode}.json`,
        kind: 'seccomp',
        enforcementPoint: `OCI runtime seccomp (${what}); kubelet Localhost profile or any OCI runtime`,
        content: `${JSON.stringify(p, null, 2)}\n`,
        rules,
      },
      {
        path: `${stem}.seccompprofile.${mode}.yaml`,
        kind: 'seccomp-profile-crd',
        enforcementPoint: `Security Profiles Operator SeccompProfile ${name} (cluster-scoped; ${mode} content, same name in both modes)`,
        content: stringify(spoResource(baseline, env, mode, p)),
        rules,
      },
    );
    if (subj?.kind === 'k8s')
      files.push({
        path: `${stem}.seccomp-binding.${mode}.yaml`,
        kind: 'seccomp-binding',
        enforcementPoint: `Deployment ${subj.namespace}/${subj.name} pod securityContext -> ${spoLocalhostProfile(name)} (server-side apply; rolls the pods)`,
        content: stringify(deploymentPatch(baseline.subject, mode, p)),
        rules: [
          {
            rule: 'binding',
            allows: `pods of ${subj.namespace}/${subj.name} run under SeccompProfile ${name} (${mode})`,
            subject: baseline.subject,
            baselineVersion: baseline.version,
            derivedFrom: [],
            fixedReason: 'binds the generated profile to this Deployment only',
          },
        ],
      });
  }
  return files;
}
