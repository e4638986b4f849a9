/**
 * Local adapters for the rollout: a GitOps-directory applier (writes manifests under DIR/<mode>/, keeps the
 * previous set for rollback), a review gate that answers from a policy (auto-merge for the demo, or a callback in
 * tests), and a pull-request port that writes the branch contents to a directory when no GitHub repository is
 * configured. These are real implementations for people without a cluster or a repository, not test doubles.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  ClusterApplier,
  EnforcementMode,
  Manifest,
  PullRequestRef,
  PullRequestRequest,
  PullRequests,
} from '../ports.ts';
import type { ReviewGate } from './steps.ts';

const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_');

export class DirectoryApplier implements ClusterApplier {
  readonly description: string;
  constructor(private readonly dir: string) {
    this.description = `directory ${dir}`;
  }

  async apply(subject: string, mode: EnforcementMode, manifests: Manifest[]): Promise<{ applied: string[] }> {
    const cur = join(this.dir, safe(subject), 'current');
    const prev = join(this.dir, safe(subject), 'previous');
    if (existsSync(cur)) {
      rmSync(prev, { recursive: true, force: true });
      cpSync(cur, prev, { recursive: true });
      rmSync(cur, { recursive: true, force: true });
    }
    mkdirSync(cur, { recursive: true });
    writeFileSync(join(cur, 'MODE'), `${mode}\n`);
    for (const m of manifests) writeFileSync(join(cur, m.path), m.content);
    return { applied: manifests.map((m) => `${mode}:${m.path}`) };
  }

  async rollback(subject: string): Promise<{ restored: string[] }> {
    const cur = join(this.dir, safe(subject), 'current');
    const prev = join(this.dir, safe(subject), 'previous');
    rmSync(cur, { recursive: true, force: true });
    if (!existsSync(prev)) return { restored: [] };
    cpSync(prev, cur, { recursive: true });
    return { restored: readdirSync(cur).filter((f) => f !== 'MODE') };
  }
}

export class DirectoryPullRequests implements PullRequests {
  private n = 0;
  constructor(private readonly dir: string) {}
  async open(req: PullRequestRequest): Promise<PullRequestRef> {
    this.n += 1;
    const root = join(this.dir, safe(req.branch));
    for (const f of req.files) {
      mkdirSync(join(root, f.path, '..'), { recursive: true });
      writeFileSync(join(root, f.path), f.content);
    }
    writeFileSync(join(root, 'PULL_REQUEST.md'), `# ${req.title}\n\n${req.body}\n`);
    return { number: this.n, url: `file://${root}`, branch: req.branch };
  }
}

/** Answers every review with the same outcome (the demo's reviewer merges). */
export class FixedReviewGate implements ReviewGate {
  constructor(
    private readonly merged: boolean,
    private readonly by = 'local-reviewer',
  ) {}
  async awaitReview(): Promise<{ merged: boolean; by: string }> {
    return { merged: this.merged, by: this.by };
  }
}
