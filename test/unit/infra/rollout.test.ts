/**
 * The rollout workflow is part of every deployment. Without GitHub the IAM step proposes in the proposals bucket and
 * waits for the SigV4-authenticated approval endpoint; with GitHub it opens pull requests answered by the webhook.
 * The worker's bucket grant is exactly what the proposal writers use.
 */
import type { App } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultStack, fullStack, nagFindings, stackWith, templateOf } from './synth.ts';

let def: Template;
let full: Template;
let iamOnly: { app: App; t: Template };

beforeAll(() => {
  def = templateOf(defaultStack().stack);
  full = templateOf(fullStack().stack);
  const s = stackWith('WardenIamOnly', { rollout: { iamRepository: 'acme/iam' } });
  iamOnly = { app: s.app, t: templateOf(s.stack) };
});

type Resource = { Properties: Record<string, unknown> };
const fnByPath = (t: Template, fragment: string): Resource | undefined =>
  Object.entries(t.findResources('AWS::Lambda::Function')).find(([id]) => id.includes(fragment))?.[1] as
    | Resource
    | undefined;
const envOf = (r: Resource | undefined) =>
  (r?.Properties.Environment as { Variables: Record<string, unknown> } | undefined)?.Variables ?? {};

/** Every (action, resource) the policies attached to a function's role grant, resources as JSON. */
function grantsOf(t: Template, fnFragment: string): [string, string][] {
  const fn = Object.entries(t.findResources('AWS::Lambda::Function')).find(([id]) => id.includes(fnFragment))!;
  const role = (fn[1].Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const out: [string, string][] = [];
  for (const p of Object.values(t.findResources('AWS::IAM::Policy'))) {
    if (!JSON.stringify(p.Properties.Roles).includes(role)) continue;
    for (const st of p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]) {
      for (const a of ([] as string[]).concat(st.Action)) out.push([a, JSON.stringify(st.Resource)]);
    }
  }
  return out;
}

/** S3 grants other than the audit anchor's (every Warden function may anchor the audit chain it appends to). */
const bucketGrants = (g: [string, string][]) => g.filter(([a, r]) => a.startsWith('s3:') && !r.includes('AuditAnchor'));

describe('default deployment (no GitHub)', () => {
  it('has the rollout state machine, its worker and the approval endpoint with IAM auth', () => {
    def.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    expect(fnByPath(def, 'RolloutWorker')).toBeDefined();
    expect(fnByPath(def, 'RolloutWebhook')).toBeUndefined();
    def.resourceCountIs('AWS::SecretsManager::Secret', 0);
    const url = Object.values(def.findResources('AWS::Lambda::Url'));
    expect(url.map((u) => u.Properties.AuthType)).toEqual(['AWS_IAM', 'AWS_IAM']); // IngestHttp, RolloutApproval
    expect(Object.keys(def.toJSON().Outputs)).toEqual(
      expect.arrayContaining(['RolloutStateMachineArn', 'RolloutApprovalUrl', 'ProposalsBucketName']),
    );
  });

  it('configures the worker for proposals and manifests in the versioned bucket', () => {
    const env = envOf(fnByPath(def, 'RolloutWorker'));
    expect(env).toHaveProperty('WARDEN_PROPOSALS_BUCKET');
    expect(env).not.toHaveProperty('WARDEN_IAM_REPO');
    expect(env).not.toHaveProperty('WARDEN_GITHUB_SECRET_ARN');
    def.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'proposals/' }),
    });
  });

  it('grants the worker PutObject on both prefixes and DeleteObject on cluster/ only', () => {
    const s3 = bucketGrants(grantsOf(def, 'RolloutWorker'));
    expect(s3.map(([a, r]) => `${a} ${r.match(/\/(proposals|cluster)\/\*/g)?.join(',')}`).sort()).toEqual([
      's3:DeleteObject /cluster/*',
      's3:PutObject /proposals/*,/cluster/*',
    ]);
  });

  it('lets the approval function continue a rollout, not fail it, touch the bucket or publish', () => {
    const grants = grantsOf(def, 'RolloutApproval');
    const g = grants.map(([a]) => a);
    expect(g.filter((a) => a.startsWith('states:'))).toEqual(['states:SendTaskSuccess']);
    expect(bucketGrants(grants)).toEqual([]);
    expect(g.filter((a) => a.startsWith('events:'))).toEqual([]);
  });
});

describe('with GitHub', () => {
  it('both repositories: webhook without auth (HMAC-verified), the secret, no approval endpoint, no bucket grant', () => {
    expect(fnByPath(full, 'RolloutWebhook')).toBeDefined();
    expect(fnByPath(full, 'RolloutApproval')).toBeUndefined();
    full.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE' });
    full.resourceCountIs('AWS::SecretsManager::Secret', 1);
    expect(bucketGrants(grantsOf(full, 'RolloutWorker'))).toEqual([]);
  });

  it('IAM repository only: pull requests for IAM, manifests still in the bucket', () => {
    const env = envOf(fnByPath(iamOnly.t, 'RolloutWorker'));
    expect(env).toMatchObject({ WARDEN_IAM_REPO: 'acme/iam' });
    expect(env).not.toHaveProperty('WARDEN_GITOPS_REPO');
    const s3 = bucketGrants(grantsOf(iamOnly.t, 'RolloutWorker'));
    expect(s3.every(([, r]) => r.includes('/cluster/*') && !r.includes('/proposals/*'))).toBe(true);
    expect(nagFindings(iamOnly.app)).toEqual([]);
  });
});
