/**
 * ClusterApplier through a GitOps repository: "applying" opens a pull request that writes the manifests under
 * `<root>/<namespace>/<deployment>/` (monitor or enforce variant), and a rollback opens one that restores the
 * previous set. Argo CD or Flux then syncs what reviewers merged. Nothing is applied to the cluster directly.
 * What was proposed per subject is kept in the store (AppliedHistory): the rollback runs in a later invocation.
 */
import { parseSubject } from '../core/observation.ts';
import type { ClusterApplier, EnforcementMode, Manifest, PullRequests } from '../ports.ts';
import type { AppliedHistory } from './applied-history.ts';

/** Where a subject's manifests live in a GitOps tree: `<root>/<cluster>/<namespace>/<deployment>`. */
export function manifestDir(root: string, subject: string): string {
  const p = parseSubject(subject);
  if (p?.kind !== 'k8s') throw new Error(`manifests are applied to k8s subjects only, got ${subject}`);
  return `${root}/${p.scope}/${p.namespace}/${p.name}`;
}

export class GitOpsApplier implements ClusterApplier {
  readonly description: string;

  constructor(
    private readonly prs: PullRequests,
    private readonly history: AppliedHistory,
    private readonly root = 'warden',
  ) {
    this.description = `GitOps pull requests under ${root}/`;
  }

  private dir(subject: string): string {
    return manifestDir(this.root, subject);
  }

  async apply(subject: string, mode: EnforcementMode, manifests: Manifest[]): Promise<{ applied: string[] }> {
    const dir = this.dir(subject);
    const stamp = Date.now().toString(36);
    const pr = await this.prs.open({
      branch: `warden/apply-${mode}-${subject.replace(/[^A-Za-z0-9-]+/g, '-')}-${stamp}`,
      title: `Warden: ${mode} artifacts for ${subject}`,
      body: `Generated ${mode === 'monitor' ? 'monitor-mode (log only)' : 'enforcing'} artifacts for \`${subject}\`.\n\n${manifests.map((m) => `- ${m.path}`).join('\n')}`,
      files: manifests.map((m) => ({ path: `${dir}/${m.path}`, content: m.content })),
    });
    await this.history.record(subject, mode, manifests);
    return { applied: manifests.map((m) => `${mode}:${dir}/${m.path} (PR #${pr.number})`) };
  }

  async rollback(subject: string): Promise<{ restored: string[] }> {
    const prev = (await this.history.rollBack(subject)).restored;
    const dir = this.dir(subject);
    const files = prev ? prev.manifests.map((m) => ({ path: `${dir}/${m.path}`, content: m.content })) : [];
    const pr = await this.prs.open({
      branch: `warden/rollback-${subject.replace(/[^A-Za-z0-9-]+/g, '-')}-${Date.now().toString(36)}`,
      title: `Warden: roll back artifacts for ${subject}`,
      body: prev
        ? `Restores the previous (${prev.mode}) artifacts of \`${subject}\`.`
        : `No earlier Warden artifacts for \`${subject}\`: remove the files under \`${dir}/\` in this PR's review.`,
      files,
    });
    return { restored: files.map((f) => `${f.path} (PR #${pr.number})`) };
  }
}
