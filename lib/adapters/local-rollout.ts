/**
 * Local adapters for the rollout: a GitOps-directory applier (writes manifests under DIR/<mode>/, keeps the
 * previous set for rollback), a review gate that answers from a policy (auto-merge for the demo, or a callback in
 * tests), and a pull-request port that writes the branch contents to a directory when no GitHub repository is
 * configured. These are real implementations for people without a cluster or a repository, not test doubles.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { safeFileName } from '../core/artifacts/file-name.ts';
import { canonicalPolicy } from '../core/iam/policy.ts';
import type {
  ClusterApplier,
  EnforcementMode,
  Manifest,
  PolicyFileLocator,
  PullRequestRef,
  PullRequestRequest,
  PullRequests,
  ReviewGate,
} from '../ports.ts';

/**
 * One directory name for a subject or branch: punctuation to `_` as before (existing directories keep their names),
 * then safeFileName, so `..`, hidden and over-long names become a slug plus hash and never leave the directory.
 */
const safe = (s: string) => safeFileName(s.replace(/[^A-Za-z0-9._-]+/g, '_'));

/** `root/rel`, refused when `rel` (a path inside a branch, from generated file names) would leave `root`. */
function inside(root: string, rel: string): string {
  const base = resolve(root);
  const p = resolve(base, rel);
  if (!p.startsWith(base + sep)) throw new Error(`refusing to write ${JSON.stringify(rel)}: it leaves ${root}`);
  return p;
}

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
    for (const m of manifests) writeFileSync(inside(cur, m.path), m.content);
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
      const p = inside(root, f.path);
      mkdirSync(join(p, '..'), { recursive: true });
      writeFileSync(p, f.content);
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

const MAX_POLICY_FILE = 256 * 1024;

/**
 * Finds the file of a local IaC checkout that holds a policy today: a JSON file whose content is the policy document.
 * Files larger than a policy can be, and directories like node_modules and .git, are skipped.
 */
export class DirectoryPolicyFiles implements PolicyFileLocator {
  constructor(private readonly root: string) {}
  async locate(policy: { document: unknown }): Promise<string | undefined> {
    const want = canonicalPolicy(policy.document);
    const walk = (dir: string, depth: number): string | undefined => {
      if (depth > 8 || !existsSync(dir)) return undefined;
      for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
        const p = join(dir, e.name);
        if (e.isDirectory()) {
          if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
          const hit = walk(p, depth + 1);
          if (hit) return hit;
        } else if (e.name.endsWith('.json') && statSync(p).size <= MAX_POLICY_FILE) {
          try {
            if (canonicalPolicy(JSON.parse(readFileSync(p, 'utf8'))) === want) return relative(this.root, p);
          } catch {
            // not JSON: not a policy file
          }
        }
      }
      return undefined;
    };
    return walk(this.root, 0);
  }
}
