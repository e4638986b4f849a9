import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitHubPullRequests } from '../../../lib/adapters/github.ts';
import { type FakeGitHub, startFakeGitHub } from '../../support/fake-github.ts';

let gh: FakeGitHub;
beforeAll(async () => {
  gh = await startFakeGitHub('acme', 'infra');
});
afterAll(async () => {
  await gh.close();
});

describe('GitHub pull requests (local server speaking the REST endpoints)', () => {
  it('creates the branch, commits the policy file and opens the PR with the diff in the body', async () => {
    const prs = new GitHubPullRequests({ owner: 'acme', repo: 'infra', baseUrl: gh.baseUrl, token: 'test-token' });
    const policy = JSON.stringify({ Version: '2012-10-17', Statement: [] });
    const ref = await prs.open({
      branch: 'warden/tighten-support-agent',
      title: 'Tighten IAM for support-agent',
      body: '| agent/Secrets | removed |',
      files: [{ path: 'iam/support-agent/warden-tightened.json', content: policy }],
    });
    expect(ref.number).toBe(1);
    expect(gh.refs.get('heads/warden/tighten-support-agent')).toBe('a'.repeat(40));
    const f = gh.files.get('iam/support-agent/warden-tightened.json')!;
    expect(f.branch).toBe('warden/tighten-support-agent');
    expect(f.content).toBe(policy);
    expect(gh.pulls[0]).toMatchObject({
      head: 'warden/tighten-support-agent',
      base: 'main',
      body: '| agent/Secrets | removed |',
    });
  });

  it('finds the file that holds a policy today by its content, reading the base branch tree', async () => {
    const current = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] };
    gh.baseFiles.set('README.md', '# infra');
    gh.baseFiles.set('iam/other.json', JSON.stringify({ Version: '2012-10-17', Statement: [] }));
    gh.baseFiles.set('iam/roles/support-agent/support.json', JSON.stringify(current, null, 4));
    const prs = new GitHubPullRequests({ owner: 'acme', repo: 'infra', baseUrl: gh.baseUrl });
    // same document written differently (single Action as a list, key order): still the same policy
    const same = { Statement: [{ Resource: ['*'], Action: ['s3:GetObject'], Effect: 'Allow' }], Version: '2012-10-17' };
    expect(await prs.locate({ name: 'support', document: same })).toBe('iam/roles/support-agent/support.json');
    expect(
      await prs.locate({ name: 'absent', document: { Version: '2012-10-17', Statement: [{ Effect: 'Deny' }] } }),
    ).toBe(undefined);
  });

  it('fails clearly when the branch already exists', async () => {
    const prs = new GitHubPullRequests({ owner: 'acme', repo: 'infra', baseUrl: gh.baseUrl });
    await expect(
      prs.open({ branch: 'warden/tighten-support-agent', title: 't', body: 'b', files: [] }),
    ).rejects.toThrow(/already exists/);
  });
});
