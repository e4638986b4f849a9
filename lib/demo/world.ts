/**
 * The demo's world: the reference incident (the customer-support agent, from lib/scenarios) plus, in the same
 * namespace, a read-only retrieval agent and a code-execution agent (node-agent batches and CloudTrail data events),
 * and a standalone Bedrock agent (InvokeAgent traces). Everything is telemetry in the real source formats that goes
 * through the real parsers and store; declared scopes and labels are what the IAM/EKS readers would return.
 */

import type { TrailConfig } from '../core/coverage/action-coverage.ts';
import { createIdentityResolver } from '../core/identity/resolver.ts';
import type { IdentityResolver } from '../core/identity/types.ts';
import type { DeclaredScopeInput } from '../core/reconcile/types.ts';
import type { NodeAgentRecordInput } from '../core/sources/node-agent.ts';
import {
  nodeAgentBatch,
  type Principal,
  traceFinal,
  traceModelInput,
  traceToolCall,
  userIdentity,
} from '../scenarios/formats.ts';
import { generateScenario } from '../scenarios/generate.ts';
import { scenarioIdentity } from '../scenarios/identity.ts';
import { referenceIncidentSpec } from '../scenarios/reference-incident.ts';
import { Rng } from '../scenarios/rng.ts';
import type { GeneratedScenario, Telemetry } from '../scenarios/types.ts';

export interface DemoWorld {
  incident: GeneratedScenario;
  extra: Telemetry;
  identity: IdentityResolver;
  subjects: { support: string; retriever: string; coder: string; bedrock: string; staging: string };
  labels: Record<string, Record<string, string>>;
  scopes: DeclaredScopeInput[];
  /** The account trail's selectors, as the coverage readers return them: management events and S3 data events. */
  trails: TrailConfig;
}

const HOUR = 3_600_000;

function cloudTrailCall(
  rng: Rng,
  p: Principal,
  time: string,
  region: string,
  source: string,
  name: string,
  params: Record<string, unknown>,
  resources: { ARN: string; type: string }[],
  readOnly: boolean,
): Record<string, unknown> {
  return {
    eventVersion: '1.09',
    userIdentity: userIdentity(p, time),
    eventTime: time,
    eventSource: source,
    eventName: name,
    awsRegion: region,
    sourceIPAddress: '10.0.1.90',
    userAgent: 'Boto3/1.35.0 md/Botocore#1.35.0 ua/2.0 os/linux#6.1 lang/python#3.12.7',
    requestParameters: params,
    responseElements: null,
    requestID: rng.uuid(),
    eventID: rng.uuid(),
    readOnly,
    resources: resources.map((r) => ({ ...r, accountId: p.account })),
    eventType: 'AwsApiCall',
    managementEvent: false,
    recipientAccountId: p.account,
    eventCategory: 'Data',
  };
}

const DAY = 86_400_000;

/**
 * The scenario's start: the Monday (00:00 UTC) at least seven weeks before `now`, and enough days to reach `now`, so
 * the week-7 incident is recent and the commands a user runs after the demo (which look back from the current time)
 * see it. Without `now` the fixed reference dates are used.
 */
export function demoTimeline(now?: number): { start: string; days: number } {
  if (now === undefined) return { start: referenceIncidentSpec().start, days: referenceIncidentSpec().days };
  const earliest = now - 49 * DAY;
  const d = new Date(Math.floor(earliest / DAY) * DAY);
  const monday = d.getTime() - ((d.getUTCDay() + 6) % 7) * DAY;
  return { start: new Date(monday).toISOString(), days: Math.floor((now - monday) / DAY) };
}

/** Builds the demo world deterministically from a seed (and, given `now`, a timeline ending at `now`). */
export function demoWorld(seed = 7, now?: number): DemoWorld {
  const incident = generateScenario({ ...referenceIncidentSpec(seed), ...demoTimeline(now) });
  const spec = incident.spec;
  const rng = new Rng(seed * 31 + 5);
  const start = Date.parse(spec.start);
  const end = start + spec.days * 86_400_000;
  const ns = spec.namespace;
  const cluster = spec.cluster;
  const subj = (d: string) => `k8s:${cluster}/${ns}/${d}`;
  const subjects = {
    support: incident.truth.subject,
    retriever: subj('kb-retriever'),
    coder: subj('code-runner'),
    bedrock: `bedrock:${spec.region}/HRFAQAGENT`,
    staging: `k8s:staging-eks/${ns}/${spec.deployment}`,
  };
  const extra: Telemetry = { cloudtrail: [], invocations: [], traces: [], flows: [], nodeAgent: [] };
  const retrieverPrincipal: Principal = {
    account: spec.account,
    roleName: 'kb-retriever-irsa',
    sessionName: 'botocore-session-1',
    roleId: 'AROAKBRETRIEVER00001',
    accessKeyId: 'ASIAKBRETRIEVER00001',
    webIdentity: { provider: `arn:aws:iam::${spec.account}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/DEMO` },
  };
  const attrib = (deployment: string, pod: string) => ({
    namespace: ns,
    deployment,
    pod,
    runtime: 'containerd' as const,
    containerId: rng.hex(64),
  });
  const node = spec.nodes[0]!;
  const retrieverPod = 'kb-retriever-6c9d7f-x2k4p';
  const coderPod = 'code-runner-5f7b9c-q8wz3';

  for (let t = start; t < end; t += HOUR) {
    const iso = new Date(t).toISOString();
    const isoEnd = new Date(t + HOUR - 1).toISOString();
    const hourOfDay = new Date(t).getUTCHours();
    const business = hourOfDay >= 8 && hourOfDay < 18;
    const records: NodeAgentRecordInput[] = [];
    if (t === start) {
      records.push(
        {
          type: 'lease',
          ip: '10.0.1.90',
          pod: retrieverPod,
          namespace: ns,
          deployment: 'kb-retriever',
          from: iso,
          to: null,
        },
        {
          type: 'lease',
          ip: '10.0.2.71',
          pod: coderPod,
          namespace: ns,
          deployment: 'code-runner',
          from: iso,
          to: null,
        },
        {
          type: 'container-start',
          time: iso,
          attribution: attrib('kb-retriever', retrieverPod),
          image: `${spec.account}.dkr.ecr.us-east-1.amazonaws.com/kb-retriever:2.3.0`,
          packages: [
            { ecosystem: 'pypi', name: 'llama-index', version: '0.11.20' },
            { ecosystem: 'pypi', name: 'boto3', version: '1.35.0' },
          ],
          models: [{ path: '/models/bge-small-en-v1.5/model.safetensors', size: 133_466_304 }],
          mcpServers: [],
          prompts: [{ path: '/app/prompts/answer.md', sha256: 'a'.repeat(63) + 'b' }],
        },
        {
          type: 'container-start',
          time: iso,
          attribution: attrib('code-runner', coderPod),
          image: `${spec.account}.dkr.ecr.us-east-1.amazonaws.com/code-runner:0.9.1`,
          packages: [
            { ecosystem: 'pypi', name: 'langchain', version: '0.3.7' },
            { ecosystem: 'pypi', name: 'openai', version: '1.54.0' },
          ],
          models: [],
          mcpServers: [
            {
              transport: 'stdio',
              name: '@modelcontextprotocol/server-filesystem',
              command: ['npx', '-y', '@modelcontextprotocol/server-filesystem', '/workspace'],
            },
          ],
          prompts: [],
        },
      );
    }
    // Retrieval agent: reads its knowledge bucket, embeds locally, calls Bedrock; read-only.
    const queries = business ? rng.int(2, 6) : rng.int(0, 1);
    if (queries > 0) {
      records.push(
        {
          type: 'open',
          time: iso,
          count: queries,
          attribution: attrib('kb-retriever', retrieverPod),
          path: '/models/bge-small-en-v1.5/model.safetensors',
          size: 133_466_304,
        },
        {
          type: 'connect',
          time: iso,
          count: queries,
          attribution: attrib('kb-retriever', retrieverPod),
          daddr: '52.217.160.34',
          dport: 443,
        },
        {
          type: 'dns',
          time: iso,
          count: queries,
          attribution: attrib('kb-retriever', retrieverPod),
          qname: 'bedrock-runtime.us-east-1.amazonaws.com',
        },
        {
          type: 'syscalls',
          time: iso,
          attribution: attrib('kb-retriever', retrieverPod),
          counts: {
            read: 400 * queries,
            openat: 20 * queries,
            mmap: 8 * queries,
            futex: 90 * queries,
            connect: queries,
            recvfrom: 30 * queries,
            sendto: 10 * queries,
          },
        },
      );
      for (let q = 0; q < queries; q++) {
        const at = new Date(t + rng.int(0, HOUR - 1000)).toISOString();
        extra.cloudtrail.push(
          cloudTrailCall(
            rng,
            retrieverPrincipal,
            at,
            spec.region,
            's3.amazonaws.com',
            'GetObject',
            { bucketName: 'acme-kb-docs', key: `faq/${rng.int(1, 400)}.md` },
            [{ ARN: `arn:aws:s3:::acme-kb-docs/faq/${rng.int(1, 400)}.md`, type: 'AWS::S3::Object' }],
            true,
          ),
        );
      }
    }
    // Code-execution agent: spawns python for each job, writes and runs temp files, reaches PyPI's CDN.
    const jobs = business ? rng.int(1, 3) : 0;
    if (jobs > 0) {
      records.push(
        {
          type: 'exec',
          time: new Date(t + 5 * 60_000).toISOString(),
          count: jobs,
          attribution: attrib('code-runner', coderPod),
          path: '/usr/local/bin/python3',
          argv: ['python3', '/tmp/job/main.py'],
        },
        {
          type: 'open',
          time: iso,
          count: jobs,
          attribution: attrib('code-runner', coderPod),
          path: '/tmp/job/main.py',
          flags: 577,
        },
        {
          type: 'connect',
          time: iso,
          count: jobs,
          attribution: attrib('code-runner', coderPod),
          daddr: '151.101.0.223',
          dport: 443,
        },
        { type: 'dns', time: iso, count: jobs, attribution: attrib('code-runner', coderPod), qname: 'pypi.org' },
        {
          type: 'syscalls',
          time: iso,
          attribution: attrib('code-runner', coderPod),
          counts: {
            read: 900 * jobs,
            write: 200 * jobs,
            openat: 60 * jobs,
            clone3: 4 * jobs,
            execve: jobs,
            wait4: jobs,
            mmap: 40 * jobs,
            futex: 300 * jobs,
            connect: jobs,
          },
        },
      );
    }
    if (records.length > 0) extra.nodeAgent.push(nodeAgentBatch(node, cluster, iso, isoEnd, records));

    // Standalone Bedrock agent (HR FAQ), traces only.
    if (business && rng.chance(0.5)) {
      const b = {
        agentId: 'HRFAQAGENT',
        agentAliasId: 'PRODALIAS1',
        agentVersion: '3',
        sessionId: rng.uuid(),
        region: spec.region,
        account: spec.account,
      };
      const traceId = rng.uuid();
      const at = (m: number) => new Date(t + m * 1000).toISOString();
      extra.traces.push(
        traceModelInput(
          b,
          at(1),
          traceId,
          'anthropic.claude-3-haiku-20240307-v1:0',
          'Employee asks about parental leave policy',
        ),
        traceToolCall(b, at(2), traceId, 'hr-policies', 'searchPolicies', { topic: 'leave' }),
        traceFinal(b, at(3), traceId, 'Parental leave is 16 weeks.'),
      );
    }
  }

  // The support agent's staging Deployment: one week on the production image before the week-7 release, the
  // baseline the pre-enforced track enforces from.
  const stagingPod = 'support-agent-7f6d5c-stg01';
  const stagingStart = start + 35 * 86_400_000;
  const stagingAttr = {
    namespace: ns,
    deployment: spec.deployment,
    pod: stagingPod,
    runtime: 'containerd' as const,
    containerId: rng.hex(64),
  };
  const prodEgress = Object.entries(spec.destinations).flatMap(([, ips]) => ips);
  for (let t = stagingStart; t < stagingStart + 7 * 86_400_000; t += HOUR) {
    const iso = new Date(t).toISOString();
    const tickets = rng.int(1, 4);
    const records: NodeAgentRecordInput[] = [
      {
        type: 'syscalls',
        time: iso,
        attribution: stagingAttr,
        counts: {
          read: 500 * tickets,
          write: 120 * tickets,
          openat: 40 * tickets,
          close: 40 * tickets,
          mmap: 10 * tickets,
          futex: 200 * tickets,
          epoll_wait: 80 * tickets,
          connect: 3 * tickets,
          sendto: 20 * tickets,
          recvfrom: 40 * tickets,
          getrandom: tickets,
        },
      },
      ...prodEgress.map((ip) => ({
        type: 'connect' as const,
        time: iso,
        count: tickets,
        attribution: stagingAttr,
        daddr: ip,
        dport: 443,
      })),
      { type: 'dns', time: iso, count: tickets, attribution: stagingAttr, qname: 'acme.zendesk.com' },
      { type: 'dns', time: iso, count: tickets, attribution: stagingAttr, qname: 'acme.my.salesforce.com' },
      {
        type: 'dns',
        time: iso,
        count: tickets,
        attribution: stagingAttr,
        qname: 'bedrock-agent-runtime.us-east-1.amazonaws.com',
      },
    ];
    if (t === stagingStart) {
      records.push({
        type: 'lease',
        ip: '10.20.1.15',
        pod: stagingPod,
        namespace: ns,
        deployment: spec.deployment,
        from: iso,
        to: null,
      });
    }
    extra.nodeAgent.push(
      nodeAgentBatch('ip-10-20-1-9.ec2.internal', 'staging-eks', iso, new Date(t + HOUR - 1).toISOString(), records),
    );
  }

  const base = scenarioIdentity(incident);
  const extraIdentity = createIdentityResolver({
    workloads: [
      { cluster, namespace: ns, deployment: 'kb-retriever', serviceAccount: 'kb-retriever' },
      { cluster, namespace: ns, deployment: 'code-runner', serviceAccount: 'code-runner' },
    ],
    irsa: [
      {
        roleArn: `arn:aws:iam::${spec.account}:role/kb-retriever-irsa`,
        cluster,
        namespace: ns,
        serviceAccount: 'kb-retriever',
      },
    ],
    bedrockAgents: [{ agentId: 'HRFAQAGENT', region: spec.region }],
    leases: [
      {
        ip: '10.0.1.90',
        subject: subjects.retriever,
        cluster,
        namespace: ns,
        pod: retrieverPod,
        from: spec.start,
        to: null,
      },
      { ip: '10.0.2.71', subject: subjects.coder, cluster, namespace: ns, pod: coderPod, from: spec.start, to: null },
      {
        ip: '10.20.1.15',
        subject: subjects.staging,
        cluster: 'staging-eks',
        namespace: ns,
        pod: stagingPod,
        from: spec.start,
        to: null,
      },
    ],
    defaultRegion: spec.region,
  });
  const identity: IdentityResolver = {
    byPrincipal: (ref, time) => base.byPrincipal(ref, time) ?? extraIdentity.byPrincipal(ref, time),
    byIp: (ip, time) => base.byIp(ip, time) ?? extraIdentity.byIp(ip, time),
    byBedrockAgent: (ref, time) => (ref.agentId === 'HRFAQAGENT' ? subjects.bedrock : base.byBedrockAgent(ref, time)),
  };

  const A = spec.account;
  const nodeRole = (reachable: boolean) => ({
    source: 'node-role-imds' as const,
    reachable,
    reachReason: reachable
      ? 'IMDSv2 hop limit 2 on the node group and no NetworkPolicy blocks 169.254.169.254/32'
      : 'IMDSv2 hop limit 1 on this node group: pods cannot reach the instance role',
    role: {
      arn: `arn:aws:iam::${A}:role/eks-node-group`,
      name: 'eks-node-group',
      policies: [
        {
          id: 'arn:aws:iam::aws:policy/AmazonS3FullAccess',
          name: 'AmazonS3FullAccess',
          kind: 'aws-managed' as const,
          document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow' as const, Action: 's3:*', Resource: '*' }] },
        },
      ],
    },
  });
  const scopes: DeclaredScopeInput[] = [
    {
      subject: subjects.support,
      readAt: new Date(end).toISOString(),
      account: A,
      role: {
        arn: `arn:aws:iam::${A}:role/${spec.podRole}`,
        name: spec.podRole,
        via: 'irsa',
        policies: [
          {
            id: `arn:aws:iam::${A}:role/${spec.podRole}#inline/support`,
            name: 'support',
            kind: 'inline',
            document: {
              Version: '2012-10-17',
              Statement: [
                {
                  Sid: 'Export',
                  Effect: 'Allow',
                  Action: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'],
                  Resource: [`arn:aws:s3:::${spec.exportBucket}/*`],
                },
                {
                  Sid: 'Models',
                  Effect: 'Allow',
                  Action: ['bedrock:InvokeModel', 'bedrock:InvokeAgent'],
                  Resource: '*',
                },
                {
                  Sid: 'Secrets',
                  Effect: 'Allow',
                  Action: ['secretsmanager:GetSecretValue'],
                  Resource: `arn:aws:secretsmanager:${spec.region}:${A}:secret:support/*`,
                },
              ],
            },
          },
        ],
      },
      inheritedRoles: [nodeRole(true)],
      labels: { 'warden.dev/agent-class': 'customer-support', 'warden.dev/data-class': 'pii' },
    },
    {
      subject: subjects.retriever,
      readAt: new Date(end).toISOString(),
      account: A,
      role: {
        arn: `arn:aws:iam::${A}:role/kb-retriever-irsa`,
        name: 'kb-retriever-irsa',
        via: 'irsa',
        policies: [
          {
            id: `arn:aws:iam::${A}:role/kb-retriever-irsa#inline/kb`,
            name: 'kb',
            kind: 'inline',
            document: {
              Version: '2012-10-17',
              Statement: [
                {
                  Sid: 'Docs',
                  Effect: 'Allow',
                  Action: ['s3:GetObject', 's3:PutObject', 's3:ListBucket'],
                  Resource: ['arn:aws:s3:::acme-kb-docs', 'arn:aws:s3:::acme-kb-docs/*'],
                },
              ],
            },
          },
        ],
      },
      inheritedRoles: [nodeRole(false)],
      labels: { 'warden.dev/agent-class': 'retrieval' },
    },
    {
      subject: subjects.coder,
      readAt: new Date(end).toISOString(),
      account: A,
      inheritedRoles: [nodeRole(false)],
      labels: { 'warden.dev/agent-class': 'code-execution' },
    },
    {
      // The standalone Bedrock agent's own service role: its traces show the model calls this role makes.
      subject: subjects.bedrock,
      readAt: new Date(end).toISOString(),
      account: A,
      role: {
        arn: `arn:aws:iam::${A}:role/service-role/AmazonBedrockExecutionRoleForAgents_hrfaq`,
        name: 'AmazonBedrockExecutionRoleForAgents_hrfaq',
        via: 'bedrock-service-role',
        policies: [
          {
            id: `arn:aws:iam::${A}:role/service-role/AmazonBedrockExecutionRoleForAgents_hrfaq#inline/hr-agent`,
            name: 'hr-agent',
            kind: 'inline',
            document: {
              Version: '2012-10-17',
              Statement: [
                {
                  Sid: 'Models',
                  Effect: 'Allow',
                  Action: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
                  Resource: [`arn:aws:bedrock:${spec.region}::foundation-model/*`],
                },
                {
                  Sid: 'Knowledge',
                  Effect: 'Allow',
                  Action: ['bedrock:Retrieve'],
                  Resource: [`arn:aws:bedrock:${spec.region}:${A}:knowledge-base/*`],
                },
              ],
            },
          },
        ],
      },
      labels: { 'warden.dev/agent-class': 'retrieval' },
    },
  ];
  const labels: DemoWorld['labels'] = Object.fromEntries(scopes.map((s) => [s.subject, s.labels ?? {}]));
  labels[subjects.bedrock] = { 'warden.dev/agent-class': 'retrieval' };
  labels[subjects.staging] = { 'warden.dev/agent-class': 'customer-support', 'warden.dev/environment': 'staging' };
  labels[subjects.support] = { ...labels[subjects.support], 'warden.dev/staging-subject': subjects.staging };
  // The organisation trail logs every management event and all S3 object-level events, and no Bedrock data events:
  // InvokeAgent is invisible to CloudTrail here, as on most accounts.
  const trails: TrailConfig = {
    region: spec.region,
    readAt: new Date(end).toISOString(),
    trails: [
      {
        name: 'acme-org-trail',
        arn: `arn:aws:cloudtrail:${spec.region}:${A}:trail/acme-org-trail`,
        homeRegion: spec.region,
        multiRegion: true,
        logging: true,
        eventSelectors: [
          {
            readWriteType: 'All',
            includeManagementEvents: true,
            dataResources: [{ type: 'AWS::S3::Object', values: ['arn:aws:s3'] }],
          },
        ],
        advancedEventSelectors: [],
      },
    ],
  };
  return { incident, extra, identity, subjects, labels, scopes, trails };
}
