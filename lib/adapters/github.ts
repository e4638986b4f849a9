/**
 * PullRequests over the GitHub REST API (@octokit/rest): creates a branch from the base branch head, commits each
 * file with the contents API, and opens the pull request. `baseUrl` points at GitHub Enterprise or, in tests, at a
 * local server speaking the same endpoints.
 */
import { Octokit } from '@octokit/rest';
import { canonicalPolicy } from '../core/iam/policy.ts';
import type { PolicyFileLocator, PullRequestRef, PullRequestRequest, PullRequests } from '../ports.ts';

/** Most JSON files read from the repository tree when looking for the file that holds a policy. */
const MAX_POLICY_CANDIDATES = 100;

export interface GitHubOptions {
  owner: string;
  repo: string;
  /** Branch the pull request targets (default `main`). */
  base?: string;
  token?: string;
  baseUrl?: string;
  /** Injected client (tests, custom retries). */
  octokit?: Octokit;
}

export class GitHubPullRequests implements PullRequests, PolicyFileLocator {
  private readonly gh: Octokit;
  private readonly base: string;

  constructor(private readonly opts: GitHubOptions) {
    this.gh =
      opts.octokit ??
      new Octokit({ auth: opts.token, ...(opts.baseUrl ? { baseUrl: opts.baseUrl } : {}), userAgent: 'warden' });
    this.base = opts.base ?? 'main';
  }

  /**
   * The repository file that holds a policy today: a JSON file of the base branch whose content is the policy
   * document. Files whose path names the policy are read first; at most {@link MAX_POLICY_CANDIDATES} are read.
   */
  async locate(policy: { name: string; document: unknown }): Promise<string | undefined> {
    const { owner, repo } = this.opts;
    const want = canonicalPolicy(policy.document);
    const tree = await this.gh.git.getTree({ owner, repo, tree_sha: this.base, recursive: 'true' });
    const hint = policy.name.toLowerCase();
    const candidates = tree.data.tree
      .filter((e) => e.type === 'blob' && e.path?.endsWith('.json') && (e.size ?? 0) <= 256 * 1024)
      .sort((a, b) => Number(b.path!.toLowerCase().includes(hint)) - Number(a.path!.toLowerCase().includes(hint)))
      .slice(0, MAX_POLICY_CANDIDATES);
    for (const e of candidates) {
      const blob = await this.gh.git.getBlob({ owner, repo, file_sha: e.sha! });
      try {
        const text = Buffer.from(blob.data.content, 'base64').toString('utf8');
        if (canonicalPolicy(JSON.parse(text)) === want) return e.path!;
      } catch {
        // not JSON: not a policy file
      }
    }
    return undefined;
  }

  async open(req: PullRequestRequest): Promise<PullRequestRef> {
    const { owner, repo } = this.opts;
    const head = await this.gh.git.getRef({ owner, repo, ref: `heads/${this.base}` });
    await this.gh.git.createRef({ owner, repo, ref: `refs/heads/${req.branch}`, sha: head.data.object.sha });
    for (const f of req.files) {
      let sha: string | undefined;
      try {
        const existing = await this.gh.repos.getContent({ owner, repo, path: f.path, ref: req.branch });
        if (!Array.isArray(existing.data) && 'sha' in existing.data) sha = existing.data.sha;
      } catch (err) {
        if ((err as { status?: number }).status !== 404) throw err;
      }
      await this.gh.repos.createOrUpdateFileContents({
        owner,
        repo,
        path: f.path,
        branch: req.branch,
        message: `warden: ${req.title} (${f.path})`,
        content: Buffer.from(f.content, 'utf8').toString('base64'),
        ...(sha ? { sha } : {}),
      });
    }
    const pr = await this.gh.pulls.create({
      owner,
      repo,
      head: req.branch,
      base: this.base,
      title: req.title,
      body: req.body,
    });
    return { number: pr.data.number, url: pr.data.html_url, branch: req.branch };
  }
}
