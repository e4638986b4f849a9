/**
 * Acceptance (issue 5): against a real moto_server, IAM roles with inline and managed policies, a role shared by two
 * Deployments, a node role, S3 bucket policies and tags are created through the AWS APIs; the declared scope is read
 * back by the adapters and a generated observation set, stored in a DynamoDB table on the same moto, is reconciled.
 * The findings must be exactly the expected ones, each naming its source statement.
 *
 * Bedrock Agents' action groups, knowledge bases and collaborators are NOT implemented by moto 5.2.1, so only the
 * BedrockAgentClient calls are mocked (aws-sdk-client-mock); the agent's service role is real IAM on moto.
 */
import {
  BedrockAgentClient,
  GetAgentActionGroupCommand,
  GetAgentCommand,
  ListAgentActionGroupsCommand,
  ListAgentCollaboratorsCommand,
  ListAgentKnowledgeBasesCommand,
  ListAgentsCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-bedrock-agent';
import { CreateClusterCommand, CreateNodegroupCommand, EKSClient } from '@aws-sdk/client-eks';
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  IAMClient,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { CreateBucketCommand, PutBucketPolicyCommand, PutBucketTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_CALL_RECORDER, type AwsCall } from '../../../lib/adapters/aws-calls.ts';
import { awsDeclaredScopeReaders } from '../../../lib/adapters/aws-scope-reader.ts';
import { createDeclaredScopeReader } from '../../../lib/adapters/declared-scope.ts';
import type { DynamoStore } from '../../../lib/adapters/dynamo-store.ts';
import { loadIamCatalog } from '../../../lib/adapters/iam-scope.ts';
import { parseK8sSnapshot } from '../../../lib/adapters/k8s-scope.ts';
import { runReconcile, runTrack, saveTrailConfig } from '../../../lib/app/reconcile/service.ts';
import { keys, type Observation } from '../../../lib/core/observation.ts';
import type { InheritedOverreachFinding, UnusedExcessFinding } from '../../../lib/core/reconcile/findings.ts';
import { renderReconcileMarkdown } from '../../../lib/core/reconcile/render.ts';
import { storeAt } from '../../support/dynalite.ts';
import { type MotoServer, startMoto } from '../../support/moto.ts';
import { managementAndS3Trail } from '../../support/trails.ts';

const A = '123456789012'; // moto's default account
const CLUSTER = 'prod';
const NOW = '2026-11-15T00:00:00.000Z';
const trust = (service: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
  });
const doc = (Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });
const role = (name: string) => `arn:aws:iam::${A}:role/${name}`;

function deployment(name: string, sa: string, labels: Record<string, string> = {}) {
  return {
    metadata: { name, namespace: 'support', labels },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, ...labels } },
        spec: {
          serviceAccountName: sa,
          securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'app',
              image: `registry.example/${name}@sha256:aa`,
              securityContext: { allowPrivilegeEscalation: false },
            },
          ],
        },
      },
    },
  };
}
const serviceAccount = (name: string, roleArn: string) => ({
  metadata: { name, namespace: 'support', annotations: { 'eks.amazonaws.com/role-arn': roleArn } },
});

const k8s = parseK8sSnapshot(CLUSTER, {
  deployments: [
    deployment('support-agent', 'support-agent', {
      'warden.dev/agent-class': 'customer-support',
      'warden.dev/data-class': 'pii',
    }),
    deployment('retrieval-agent', 'retrieval'),
    deployment('indexer', 'indexer'),
  ],
  serviceAccounts: [
    serviceAccount('support-agent', role('support-agent')),
    serviceAccount('retrieval', role('shared-worker')),
    serviceAccount('indexer', role('shared-worker')),
  ],
  networkPolicies: [
    {
      metadata: { name: 'support-agent-egress', namespace: 'support' },
      spec: {
        podSelector: { matchLabels: { app: 'support-agent' } },
        policyTypes: ['Egress'],
        egress: [
          {
            to: [{ ipBlock: { cidr: '52.216.0.0/15' } }, { ipBlock: { cidr: '203.0.113.10/32' } }],
            ports: [{ protocol: 'TCP', port: 443 }],
          },
        ],
      },
    },
    {
      metadata: { name: 'allow-dns', namespace: 'support' },
      spec: {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: '10.100.0.10/32' } }], ports: [{ protocol: 'UDP', port: 53 }] }],
      },
    },
    {
      metadata: { name: 'allow-imds', namespace: 'support' },
      spec: {
        podSelector: { matchLabels: { app: 'support-agent' } },
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: '169.254.169.254/32' } }], ports: [{ protocol: 'TCP', port: 80 }] }],
      },
    },
  ],
});

let n = 0;
function obs(subject: string, key: string, attrs: Record<string, string> = {}, count = 1): Observation {
  const kind = key.split(':')[0]!;
  return {
    v: 1,
    id: `gen-${++n}`,
    time: '2026-11-10T10:15:00.000Z',
    source: kind === 'api' ? 'cloudtrail' : kind === 'net' ? 'vpc-flow' : 'bedrock-trace',
    subject,
    layer: kind === 'api' ? 'cloud-api' : kind === 'net' ? 'network' : 'tool',
    kind,
    key,
    count,
    correlation: {},
    attrs,
  };
}

describe('reconciliation against moto_server (IAM, EKS, S3, DynamoDB store)', () => {
  let moto: MotoServer;
  let iam: IAMClient;
  let s3: S3Client;
  let eks: EKSClient;
  let store: DynamoStore;

  beforeAll(async () => {
    moto = await startMoto();
    iam = new IAMClient(moto.clientConfig);
    s3 = new S3Client(moto.clientConfig);
    eks = new EKSClient(moto.clientConfig);
    store = await storeAt(moto.clientConfig, 'warden-reconcile');
    // The account trail as `warden coverage --save` keeps it: unused S3 and management access can be judged.
    await saveTrailConfig(store, managementAndS3Trail('us-east-1', NOW));

    // The agent's own role: an inline policy and a customer managed policy granting a whole service.
    await iam.send(
      new CreateRoleCommand({ RoleName: 'support-agent', AssumeRolePolicyDocument: trust('pods.eks.amazonaws.com') }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'support-agent',
        PolicyName: 'agent',
        PolicyDocument: doc([
          {
            Sid: 'Export',
            Effect: 'Allow',
            Action: ['s3:PutObject', 's3:GetObject'],
            Resource: ['arn:aws:s3:::export/*', 'arn:aws:s3:::archive/*'],
          },
          { Sid: 'Model', Effect: 'Allow', Action: 'bedrock:InvokeModel', Resource: '*' },
        ]),
      }),
    );
    const sqsWide = await iam.send(
      new CreatePolicyCommand({
        PolicyName: 'sqs-everything',
        PolicyDocument: doc([{ Effect: 'Allow', Action: 'sqs:*', Resource: '*' }]),
      }),
    );
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'support-agent', PolicyArn: sqsWide.Policy!.Arn! }));

    // A role shared by two Deployments (retrieval-agent and indexer, through two service accounts).
    await iam.send(
      new CreateRoleCommand({ RoleName: 'shared-worker', AssumeRolePolicyDocument: trust('pods.eks.amazonaws.com') }),
    );
    const kbRead = await iam.send(
      new CreatePolicyCommand({
        PolicyName: 'kb-read',
        PolicyDocument: doc([
          {
            Sid: 'Retrieve',
            Effect: 'Allow',
            Action: ['bedrock:Retrieve', 'bedrock:RetrieveAndGenerate'],
            Resource: `arn:aws:bedrock:us-east-1:${A}:knowledge-base/*`,
          },
        ]),
      }),
    );
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'shared-worker', PolicyArn: kbRead.Policy!.Arn! }));
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'shared-worker',
        PolicyName: 'index-write',
        PolicyDocument: doc([
          { Sid: 'Index', Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::index/*' },
        ]),
      }),
    );

    // The node instance role, found through the EKS node group.
    await iam.send(
      new CreateRoleCommand({ RoleName: 'eks-node', AssumeRolePolicyDocument: trust('ec2.amazonaws.com') }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'eks-node',
        PolicyName: 'node',
        PolicyDocument: doc([
          { Sid: 'Pull', Effect: 'Allow', Action: ['ecr:GetAuthorizationToken', 'ecr:BatchGetImage'], Resource: '*' },
          { Sid: 'Describe', Effect: 'Allow', Action: 'ec2:DescribeInstances', Resource: '*' },
        ]),
      }),
    );
    await eks.send(
      new CreateClusterCommand({
        name: CLUSTER,
        roleArn: role('eks-node'),
        resourcesVpcConfig: { subnetIds: ['subnet-1'] },
      }),
    );
    await eks.send(
      new CreateNodegroupCommand({
        clusterName: CLUSTER,
        nodegroupName: 'ng-1',
        nodeRole: role('eks-node'),
        subnets: ['subnet-1'],
      }),
    );

    // Buckets: the export bucket holds pii; shared-data has a policy granting every principal.
    for (const b of ['export', 'archive', 'shared-data']) await s3.send(new CreateBucketCommand({ Bucket: b }));
    await s3.send(
      new PutBucketTaggingCommand({
        Bucket: 'export',
        Tagging: { TagSet: [{ Key: 'warden.dev/data-class', Value: 'pii' }] },
      }),
    );
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: 'shared-data',
        Policy: doc([
          {
            Sid: 'AccountRead',
            Effect: 'Allow',
            Principal: '*',
            Action: 's3:GetObject',
            Resource: 'arn:aws:s3:::shared-data/*',
            Condition: { StringEquals: { 'aws:PrincipalAccount': A } },
          },
        ]),
      }),
    );

    const support = 'k8s:prod/support/support-agent';
    const retrieval = 'k8s:prod/support/retrieval-agent';
    const sess = (r: string) => ({ eventSource: 's3.amazonaws.com', roleArn: role(r) });
    await store.write(
      [
        obs(
          support,
          keys.api('s3', 'PutObject', 'arn:aws:s3:::export/2026/11/10.csv'),
          { ...sess('support-agent'), eventName: 'PutObject' },
          40,
        ),
        obs(support, keys.api('s3', 'CreateMultipartUpload', 'arn:aws:s3:::export/big.csv'), {
          ...sess('support-agent'),
          eventName: 'CreateMultipartUpload',
        }),
        obs(
          support,
          keys.api('bedrock', 'InvokeModel', 'arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude'),
          {},
          300,
        ),
        obs(support, keys.api('sqs', 'SendMessage', `arn:aws:sqs:us-east-1:${A}:handoff`), {}, 3),
        obs(
          support,
          keys.api('s3', 'GetObject', 'arn:aws:s3:::shared-data/faq.json'),
          { ...sess('support-agent'), eventName: 'GetObject' },
          2,
        ),
        obs(support, keys.api('ec2', 'DescribeInstances'), { roleArn: role('eks-node') }),
        obs(support, keys.api('s3', 'DeleteObject', 'arn:aws:s3:::export/x'), {
          ...sess('support-agent'),
          eventName: 'DeleteObject',
          errorCode: 'AccessDenied',
        }),
        obs(support, keys.egress('52.216.4.1', 443), {}, 50),
        obs(support, keys.egress('10.100.0.10', 53), {}, 80),
        obs(retrieval, keys.api('bedrock', 'Retrieve', `arn:aws:bedrock:us-east-1:${A}:knowledge-base/KB1`), {}, 20),
        obs(retrieval, keys.kb('KB1'), {}, 20),
      ],
      [],
    );
    await store.setLabels(support, { 'warden.dev/agent-class': 'customer-support', 'warden.dev/data-class': 'pii' });
  }, 120_000);

  afterAll(async () => {
    await store?.close();
    await moto?.stop();
  });

  const reader = () =>
    createDeclaredScopeReader({
      iam,
      s3,
      eks,
      account: A,
      k8s: k8s.snapshot,
      imds: { httpTokens: 'required', hopLimit: 2 },
      now: () => NOW,
    });

  it('reads the declared scope back through the IAM/EKS/S3 APIs', async () => {
    expect(k8s.errors).toEqual([]);
    const scope = await reader().read('k8s:prod/support/support-agent');
    expect(scope.role).toMatchObject({ arn: role('support-agent'), via: 'irsa' });
    expect(scope.role?.sharing).toBeUndefined();
    expect(scope.role?.policies.map((p) => [p.name, p.kind])).toEqual([
      ['agent', 'inline'],
      ['sqs-everything', 'managed'],
    ]);
    expect(scope.inheritedRoles.map((r) => [r.source, r.role.arn, r.reachable])).toEqual([
      ['node-role-imds', role('eks-node'), true],
    ]);
    expect(scope.resourcePolicies.map((r) => [r.resourceArn, r.accountWide])).toEqual([
      ['arn:aws:s3:::shared-data', true],
    ]);
    expect(scope.resourceTags['arn:aws:s3:::export']).toEqual({ 'warden.dev/data-class': 'pii' });
    expect(scope.network?.policies).toEqual([
      'support/allow-dns',
      'support/allow-imds',
      'support/support-agent-egress',
    ]);
    expect(scope.workload).toMatchObject({ serviceAccount: 'support-agent', seccompProfile: 'RuntimeDefault' });

    const shared = await reader().read('k8s:prod/support/retrieval-agent');
    expect(shared.role?.sharing).toEqual({ kind: 'shared-role', with: ['k8s:prod/support/indexer'] });
  });

  it('returns exactly the expected Unused Excess and Inherited Overreach findings, each naming its source statement', async () => {
    // One day of CloudTrail: the findings are under test here, the history minimum in account-coverage.test.ts.
    const r = await runReconcile(
      { store, loadCatalog: loadIamCatalog, reader: reader(), now: NOW, minHistoryDays: 0 },
      'k8s:prod/support/support-agent',
    );
    const node = role('eks-node');
    const agent = role('support-agent');
    const sqs = `arn:aws:iam::${A}:policy/sqs-everything`;
    expect(
      r.findings.map((f) => [f.id, f.category === 'unused-excess' ? f.source : `${f.source} ${f.status}`]),
    ).toEqual([
      [
        'inherited-overreach:account-resource-policy:arn:aws:s3:::shared-data#bucket-policy#0',
        'account-resource-policy exercised',
      ],
      ['inherited-overreach:namespace-default:support/allow-dns#egress[0]', 'namespace-default exercised'],
      [`inherited-overreach:node-role-imds:${node}#inline/node#0`, 'node-role-imds reachable'],
      [`inherited-overreach:node-role-imds:${node}#inline/node#1`, 'node-role-imds exercised'],
      [`inherited-overreach:wildcard-managed-policy:${sqs}#0`, 'wildcard-managed-policy exercised'],
      ['unused-excess:egress:support/allow-imds#egress[0]', 'support/allow-imds#egress[0]'],
      ['unused-excess:egress:support/support-agent-egress#egress[0]', 'support/support-agent-egress#egress[0]'],
      [`unused-excess:iam-action:${agent}#inline/agent#0`, 'agent/Export'],
      [`unused-excess:iam-resource:${agent}#inline/agent#0`, 'agent/Export'],
    ]);
    const byId = new Map(r.findings.map((f) => [f.id, f]));
    const exportStmt = byId.get(`unused-excess:iam-action:${agent}#inline/agent#0`) as UnusedExcessFinding;
    expect(exportStmt.unused).toEqual([{ item: 's3:GetObject', accessLevel: 'read' }]);
    expect(exportStmt.statement).toMatchObject({ policyName: 'agent', sid: 'Export', policyKind: 'inline' });
    expect((byId.get(`unused-excess:iam-resource:${agent}#inline/agent#0`) as UnusedExcessFinding).unused).toEqual([
      { item: 'arn:aws:s3:::archive/*' },
    ]);
    const bucket = byId.get(
      'inherited-overreach:account-resource-policy:arn:aws:s3:::shared-data#bucket-policy#0',
    ) as InheritedOverreachFinding;
    expect(bucket.statement).toMatchObject({ sid: 'AccountRead' });
    expect(bucket.evidence.map((e) => [e.key, e.count])).toEqual([['api:s3:GetObject:arn:aws:s3:::shared-data/*', 2]]);
    const describe_ = byId.get(`inherited-overreach:node-role-imds:${node}#inline/node#1`) as InheritedOverreachFinding;
    expect(describe_).toMatchObject({ statement: { sid: 'Describe' }, reason: expect.stringContaining('hop limit 2') });
    expect(
      (byId.get(`inherited-overreach:wildcard-managed-policy:${sqs}#0`) as InheritedOverreachFinding).evidence[0]?.key,
    ).toBe(`api:sqs:SendMessage:arn:aws:sqs:us-east-1:${A}:handoff`);
    // CreateMultipartUpload is authorized by s3:PutObject: it counts as use of agent/Export, not as unexplained.
    expect(exportStmt.exercised.map((e) => e.actions)).toEqual([['s3:PutObject'], ['s3:PutObject']]);
    expect(r.unexplained.map((u) => u.key)).toEqual(['api:s3:DeleteObject:arn:aws:s3:::export/*']);
    expect(
      (byId.get('unused-excess:egress:support/support-agent-egress#egress[0]') as UnusedExcessFinding).unused,
    ).toEqual([{ item: '203.0.113.10/32:443' }]);
    // Saved as documents for the report.
    const saved = await store.getDoc('reconcile', 'k8s:prod/support/support-agent', 'latest');
    expect(saved).toBeDefined();
    expect((saved!.body as { findings: unknown[] }).findings).toHaveLength(9);
    expect(renderReconcileMarkdown(r)).toContain('agent/Export');
  });

  it('the role shared by two Deployments is Inherited Overreach for the retrieval agent, naming the other Deployment', async () => {
    const r = await runReconcile(
      { store, loadCatalog: loadIamCatalog, reader: reader(), now: NOW, minHistoryDays: 0 },
      'k8s:prod/support/retrieval-agent',
    );
    const over = r.findings.filter(
      (f): f is InheritedOverreachFinding => f.category === 'inherited-overreach' && f.source === 'shared-role',
    );
    expect(over.map((f) => [f.statement?.policyName, f.statement?.sid, f.status, f.sharedWith])).toEqual([
      ['kb-read', 'Retrieve', 'exercised', ['k8s:prod/support/indexer']],
      ['index-write', 'Index', 'reachable', ['k8s:prod/support/indexer']],
    ]);
  });

  it('tracks: the pii customer-support agent is pre-enforced, the read-only retrieval agent observes in production', async () => {
    const support = await runTrack({ store, loadCatalog: loadIamCatalog, now: NOW }, 'k8s:prod/support/support-agent');
    expect(support.track).toBe('pre-enforced');
    expect(support.reasons[0]).toMatch(/^R2: pii/);
    expect(support.dataClasses.map((d) => d.source)).toContain('tag on arn:aws:s3:::export');
    expect(support.preEnforced?.status).toBe('no-staging-subject');

    const retrieval = await runTrack(
      { store, loadCatalog: loadIamCatalog, now: NOW },
      'k8s:prod/support/retrieval-agent',
    );
    // The shared role grants s3:PutObject on the index bucket: not read-only, but no sensitive data -> R5.
    expect(retrieval.track).toBe('observe-in-production');
    expect(retrieval.agentClass).toMatchObject({ value: 'retrieval', inferred: true });
    expect(retrieval.reasons.join('\n')).toContain('no pii/pci/phi classification');
  });
});

describe('Bedrock agent declared scope (Bedrock Agents API mocked: moto 5.2.1 does not implement it)', () => {
  let moto: MotoServer;
  let iam: IAMClient;
  const bedrock = mockClient(BedrockAgentClient);

  beforeAll(async () => {
    moto = await startMoto();
    iam = new IAMClient(moto.clientConfig);
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'AmazonBedrockExecutionRoleForAgents_ret',
        AssumeRolePolicyDocument: trust('bedrock.amazonaws.com'),
      }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'AmazonBedrockExecutionRoleForAgents_ret',
        PolicyName: 'invoke',
        PolicyDocument: doc([{ Effect: 'Allow', Action: ['bedrock:InvokeModel', 'bedrock:Retrieve'], Resource: '*' }]),
      }),
    );
    const agentArn = `arn:aws:bedrock:us-east-1:${A}:agent/RET1`;
    bedrock.on(GetAgentCommand).resolves({
      agent: {
        agentId: 'RET1',
        agentArn,
        agentName: 'ret',
        agentResourceRoleArn: role('AmazonBedrockExecutionRoleForAgents_ret'),
      } as never,
    });
    bedrock.on(ListAgentActionGroupsCommand).resolves({
      actionGroupSummaries: [
        { actionGroupId: 'AG1', actionGroupName: 'docs', actionGroupState: 'ENABLED', updatedAt: new Date() },
      ],
    });
    bedrock.on(GetAgentActionGroupCommand).resolves({
      agentActionGroup: {
        actionGroupId: 'AG1',
        actionGroupName: 'docs',
        actionGroupState: 'ENABLED',
        functionSchema: { functions: [{ name: 'searchDocs' }, { name: 'getDoc' }] },
      } as never,
    });
    bedrock.on(ListAgentKnowledgeBasesCommand).resolves({
      agentKnowledgeBaseSummaries: [{ knowledgeBaseId: 'KB1', knowledgeBaseState: 'ENABLED', updatedAt: new Date() }],
    });
    bedrock.on(ListAgentCollaboratorsCommand).resolves({ agentCollaboratorSummaries: [] });
    bedrock
      .on(ListAgentsCommand)
      .resolves({ agentSummaries: [{ agentId: 'RET1', agentStatus: 'PREPARED', updatedAt: new Date() } as never] });
    bedrock.on(ListTagsForResourceCommand).resolves({ tags: { 'warden.dev/agent-class': 'retrieval' } });
  }, 120_000);

  afterAll(async () => {
    bedrock.restore();
    await moto?.stop();
  });

  it('reads action group functions, knowledge bases and the service role; tags become labels', async () => {
    const r = createDeclaredScopeReader({
      iam,
      bedrockAgent: new BedrockAgentClient({ region: 'us-east-1' }),
      account: A,
      now: () => NOW,
    });
    const scope = await r.read('bedrock:us-east-1/RET1');
    expect(scope.tools).toEqual([
      { key: 'tool:docs/searchDocs', source: 'docs' },
      { key: 'tool:docs/getDoc', source: 'docs' },
      { key: 'kb:KB1', source: 'knowledge-bases' },
    ]);
    expect(scope.role).toMatchObject({
      via: 'bedrock-service-role',
      arn: role('AmazonBedrockExecutionRoleForAgents_ret'),
    });
    expect(scope.labels).toEqual({ 'warden.dev/agent-class': 'retrieval' });
    expect(scope.gaps).toEqual(['no S3 client: bucket policies not read']);
    expect(bedrock.commandCalls(GetAgentActionGroupCommand)[0]?.args[0].input).toMatchObject({
      agentId: 'RET1',
      agentVersion: 'DRAFT',
    });
  });

  it('reads it live through the readers the CLI and the Lambda use: clients from the environment, once per region', async () => {
    const env = { ...process.env };
    const calls: AwsCall[] = [];
    const hooks = globalThis as Record<symbol, unknown>;
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'eu-west-1',
    });
    hooks[AWS_CALL_RECORDER] = (c: AwsCall) => calls.push(c);
    try {
      const readers = awsDeclaredScopeReaders();
      const agentCalls = bedrock.commandCalls(GetAgentCommand).length;
      const first = await (await readers('bedrock:us-east-1/RET1')).read('bedrock:us-east-1/RET1');
      const second = await (await readers('bedrock:us-east-1/RET1')).read('bedrock:us-east-1/RET1');
      // The account comes from STS on moto, in the subject's region; the service role is real IAM on moto.
      expect(first.account).toBe(A);
      expect(first.role).toMatchObject({
        via: 'bedrock-service-role',
        arn: role('AmazonBedrockExecutionRoleForAgents_ret'),
      });
      expect(second.role).toEqual(first.role);
      expect(calls.filter((c) => c.operation === 'GetCallerIdentity').map((c) => c.region)).toEqual([
        'us-east-1',
        'us-east-1',
      ]);
      expect(calls.some((c) => c.client === 'IAMClient' && c.operation === 'GetRole')).toBe(true);
      // Both reads went through one BedrockAgentClient (built once for the region, not per subject).
      const clients = new Set(
        bedrock
          .commandCalls(GetAgentCommand)
          .slice(agentCalls)
          .map((c) => c.thisValue),
      );
      expect(bedrock.commandCalls(GetAgentCommand).length - agentCalls).toBe(2);
      expect(clients.size).toBe(1);
    } finally {
      process.env = env;
      delete hooks[AWS_CALL_RECORDER];
    }
  });
});
