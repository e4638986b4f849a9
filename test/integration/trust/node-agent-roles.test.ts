/**
 * Node-agent roles bound to their cluster by reading AWS (lib/adapters/ingest-principals.ts): IRSA trust policies
 * against moto_server (real EKS clusters with OIDC issuers, real IAM roles); Pod Identity associations with
 * aws-sdk-client-mock, because moto 5.2.1 does not implement ListPodIdentityAssociations.
 */
import {
  CreateClusterCommand,
  DescribeClusterCommand,
  DescribePodIdentityAssociationCommand,
  EKSClient,
  ListPodIdentityAssociationsCommand,
} from '@aws-sdk/client-eks';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeAgentScopes, trustsServiceAccount } from '../../../lib/adapters/ingest-principals.ts';
import { type MotoServer, startMoto } from '../../support/moto.ts';

let moto: MotoServer;
let eks: EKSClient;
let iam: IAMClient;

function trust(provider: string, sub: string | undefined, account = '123456789012') {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: `arn:aws:iam::${account}:oidc-provider/${provider}` },
        Action: 'sts:AssumeRoleWithWebIdentity',
        ...(sub ? { Condition: { StringEquals: { [`${provider}:sub`]: sub } } } : {}),
      },
    ],
  });
}

beforeAll(async () => {
  moto = await startMoto();
  eks = new EKSClient(moto.clientConfig);
  iam = new IAMClient(moto.clientConfig);
  await eks.send(
    new CreateClusterCommand({
      name: 'prod',
      roleArn: 'arn:aws:iam::123456789012:role/eks',
      resourcesVpcConfig: { subnetIds: ['subnet-1'] },
    }),
  );
  const cluster = (await eks.send(new DescribeClusterCommand({ name: 'prod' }))).cluster;
  const prod = cluster!.identity!.oidc!.issuer!.replace('https://', '');
  // moto gives every cluster the same issuer, so another cluster's issuer is written out.
  const other = 'oidc.eks.eu-west-1.amazonaws.com/id/0THERCLUSTER';
  const sa = 'system:serviceaccount:warden-system:warden-node-agent';
  const roles: [string, string][] = [
    ['warden-node-agent-prod', trust(prod, sa)],
    ['warden-node-agent-dev', trust(other, sa)],
    // Trusts the prod issuer for another service account, or for every pod: not the node agent's role.
    ['some-app', trust(prod, 'system:serviceaccount:default:app')],
    ['any-pod', trust(prod, undefined)],
  ];
  for (const [RoleName, AssumeRolePolicyDocument] of roles)
    await iam.send(new CreateRoleCommand({ RoleName, AssumeRolePolicyDocument }));
}, 120_000);

afterAll(() => moto?.stop());

describe('node-agent roles from IRSA trust policies (moto)', () => {
  it('binds each role to the cluster whose issuer it trusts for the agent service account, and no other role', async () => {
    const scopes = await nodeAgentScopes({ eks, iam, clusters: ['prod'], mechanisms: ['irsa'] });
    expect(scopes).toEqual([
      {
        principal: 'arn:aws:iam::123456789012:role/warden-node-agent-prod',
        sources: ['node-agent'],
        clusters: ['prod'],
      },
    ]);
  });

  it('reads a URL-encoded trust policy as IAM returns it', () => {
    const p = 'oidc.eks.us-east-1.amazonaws.com/id/ABC';
    const sub = 'system:serviceaccount:warden-system:warden-node-agent';
    expect(trustsServiceAccount(encodeURIComponent(trust(p, sub)), p, sub)).toBe(true);
    expect(trustsServiceAccount(trust(p, undefined), p, sub)).toBe(false);
    expect(trustsServiceAccount('not json', p, sub)).toBe(false);
  });
});

describe('node-agent roles from Pod Identity associations (mocked: not in moto)', () => {
  it('binds the role associated with warden-system/warden-node-agent in each cluster', async () => {
    const m = mockClient(EKSClient);
    m.on(ListPodIdentityAssociationsCommand, { clusterName: 'prod' }).resolves({
      associations: [{ associationId: 'a-1', namespace: 'warden-system', serviceAccount: 'warden-node-agent' }],
    });
    m.on(ListPodIdentityAssociationsCommand, { clusterName: 'dev' }).resolves({ associations: [] });
    m.on(DescribePodIdentityAssociationCommand, { associationId: 'a-1' }).resolves({
      association: {
        namespace: 'warden-system',
        serviceAccount: 'warden-node-agent',
        roleArn: 'arn:aws:iam::123456789012:role/pod-identity-agent',
      },
    });
    const scopes = await nodeAgentScopes({
      eks: new EKSClient({}),
      iam,
      clusters: ['prod', 'dev'],
      mechanisms: ['pod-identity'],
    });
    expect(scopes).toEqual([
      { principal: 'arn:aws:iam::123456789012:role/pod-identity-agent', sources: ['node-agent'], clusters: ['prod'] },
    ]);
    m.restore();
  });
});
