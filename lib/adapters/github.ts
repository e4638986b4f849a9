/**
 * PullRequests over the GitHub REST API (@octokit/rest): creates a branch from the base branch head, commits each
 * file with the contents API, and opens the pull request. `baseUrl` points at GitHub Enterprise or, in tests, at a
 * local server speaking the same endpoints.
 */
import { Octokit } from '@octokit/rest';
import type { PullRequestRef, PullRequestRequest, PullRequests } from '../ports.ts';

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

export class GitHubPullRequests implements PullRequests {
  private readonly gh: Octokit;
  private readonly base: string;

  constructor(private readonly opts: GitHubOptions) {
    this.gh =
      opts.octokit ??
      new Octokit({ auth: opts.token, ...(opts.baseUrl ? { baseUrl: opts.baseUrl } : {}), userAgent: 'warden' });
    this.base = opts.base ?? 'main';
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
