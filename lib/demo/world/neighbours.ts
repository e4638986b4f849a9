/**
 * The support agent's neighbours in the demo, one builder per agent and hour: a read-only retrieval agent and a
 * code-execution agent in the same namespace (node-agent records, the retriever's S3 reads as CloudTrail data
 * events), and a standalone Bedrock agent (InvokeAgent traces only). Each draws from the world's one PRNG in a fixed
 * order, so a seed reproduces the world.
 */
import type { NodeAgentRecordInput } from '../../core/sources/node-agent.ts';
import type { Rng } from '../rng.ts';
import { type Principal, traceFinal, traceModelInput, traceToolCall, userIdentity } from '../scenarios/formats.ts';
import type { ScenarioSpec, Telemetry } from '../scenarios/types.ts';

export const HOUR = 3_600_000;
export const RETRIEVER_POD = 'kb-retriever-6c9d7f-x2k4p';
export const CODER_POD = 'code-runner-5f7b9c-q8wz3';
export const HR_AGENT = 'HRFAQAGENT';

/** What every builder of the world shares: the incident's spec, the PRNG and the extra telemetry. */
export interface WorldRun {
  spec: ScenarioSpec;
  rng: Rng;
  extra: Telemetry;
}

/** A CloudTrail data event of a neighbour's call. */
function cloudTrailCall(
  rng: Rng,
  p: Principal,
  time: string,
  call: { region: string; source: string; name: string; params: Record<string, unknown>; readOnly: boolean },
  resources: { ARN: string; type: string }[],
): Record<string, unknown> {
  return {
    eventVersion: '1.09',
    userIdentity: userIdentity(p, time),
    eventTime: time,
    eventSource: call.source,
    eventName: call.name,
    awsRegion: call.region,
    sourceIPAddress: '10.0.1.90',
    userAgent: 'Boto3/1.35.0 md/Botocore#1.35.0 ua/2.0 os/linux#6.1 lang/python#3.12.7',
    requestParameters: call.params,
    responseElements: null,
    requestID: rng.uuid(),
    eventID: rng.uuid(),
    readOnly: call.readOnly,
    resources: resources.map((r) => ({ ...r, accountId: p.account })),
    eventType: 'AwsApiCall',
    managementEvent: false,
    recipientAccountId: p.account,
    eventCategory: 'Data',
  };
}

/** Attribution of a neighbour's activity (each record its own container id, as the world always drew them). */
function attrib(w: WorldRun, deployment: string, pod: string) {
  return { namespace: w.spec.namespace, deployment, pod, runtime: 'containerd' as const, containerId: w.rng.hex(64) };
}

/** Syscall counts of `units` units of work. */
const perUnit = (counts: Record<string, number>, units: number) =>
  Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, v * units]));

const pypi = (name: string, version: string) => ({ ecosystem: 'pypi' as const, name, version });

type ContainerStart = Extract<NodeAgentRecordInput, { type: 'container-start' }>;

/** A container-start inventory record of a neighbour's pod. */
function containerStart(
  w: WorldRun,
  iso: string,
  deployment: string,
  pod: string,
  inv: Pick<ContainerStart, 'image' | 'packages'> & Partial<Pick<ContainerStart, 'models' | 'mcpServers' | 'prompts'>>,
): ContainerStart {
  const { image, packages, models = [], mcpServers = [], prompts = [] } = inv;
  return {
    type: 'container-start',
    time: iso,
    attribution: attrib(w, deployment, pod),
    image,
    packages,
    models,
    mcpServers,
    prompts,
  };
}

/** The neighbours' pods as the node agent first sees them: leases and container-start inventory. */
export function neighbourStart(w: WorldRun, iso: string): NodeAgentRecordInput[] {
  const { spec } = w;
  const ns = spec.namespace;
  const ecr = `${spec.account}.dkr.ecr.us-east-1.amazonaws.com`;
  return [
    {
      type: 'lease',
      ip: '10.0.1.90',
      pod: RETRIEVER_POD,
      namespace: ns,
      deployment: 'kb-retriever',
      from: iso,
      to: null,
    },
    { type: 'lease', ip: '10.0.2.71', pod: CODER_POD, namespace: ns, deployment: 'code-runner', from: iso, to: null },
    containerStart(w, iso, 'kb-retriever', RETRIEVER_POD, {
      image: `${ecr}/kb-retriever:2.3.0`,
      packages: [pypi('llama-index', '0.11.20'), pypi('boto3', '1.35.0')],
      models: [{ path: '/models/bge-small-en-v1.5/model.safetensors', size: 133_466_304 }],
      prompts: [{ path: '/app/prompts/answer.md', sha256: 'a'.repeat(63) + 'b' }],
    }),
    containerStart(w, iso, 'code-runner', CODER_POD, {
      image: `${ecr}/code-runner:0.9.1`,
      packages: [pypi('langchain', '0.3.7'), pypi('openai', '1.54.0')],
      mcpServers: [
        {
          transport: 'stdio',
          name: '@modelcontextprotocol/server-filesystem',
          command: ['npx', '-y', '@modelcontextprotocol/server-filesystem', '/workspace'],
        },
      ],
    }),
  ];
}

/** Retrieval agent: reads its knowledge bucket, embeds locally, calls Bedrock; read-only. */
export function retrieverHour(w: WorldRun, t: number, business: boolean, records: NodeAgentRecordInput[]): void {
  const { spec, rng } = w;
  const iso = new Date(t).toISOString();
  const queries = business ? rng.int(2, 6) : rng.int(0, 1);
  if (queries === 0) return;
  const a = () => attrib(w, 'kb-retriever', RETRIEVER_POD);
  const model = '/models/bge-small-en-v1.5/model.safetensors';
  records.push(
    { type: 'open', time: iso, count: queries, attribution: a(), path: model, size: 133_466_304 },
    { type: 'connect', time: iso, count: queries, attribution: a(), daddr: '52.217.160.34', dport: 443 },
    { type: 'dns', time: iso, count: queries, attribution: a(), qname: 'bedrock-runtime.us-east-1.amazonaws.com' },
    {
      type: 'syscalls',
      time: iso,
      attribution: a(),
      counts: perUnit({ read: 400, openat: 20, mmap: 8, futex: 90, connect: 1, recvfrom: 30, sendto: 10 }, queries),
    },
  );
  const principal: Principal = {
    account: spec.account,
    roleName: 'kb-retriever-irsa',
    sessionName: 'botocore-session-1',
    roleId: 'AROAKBRETRIEVER00001',
    accessKeyId: 'ASIAKBRETRIEVER00001',
    webIdentity: { provider: `arn:aws:iam::${spec.account}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/DEMO` },
  };
  for (let q = 0; q < queries; q++) {
    const at = new Date(t + rng.int(0, HOUR - 1000)).toISOString();
    const params = { bucketName: 'acme-kb-docs', key: `faq/${rng.int(1, 400)}.md` };
    const resources = [{ ARN: `arn:aws:s3:::acme-kb-docs/faq/${rng.int(1, 400)}.md`, type: 'AWS::S3::Object' }];
    const call = { region: spec.region, source: 's3.amazonaws.com', name: 'GetObject', params, readOnly: true };
    w.extra.cloudtrail.push(cloudTrailCall(rng, principal, at, call, resources));
  }
}

/** Code-execution agent: spawns python for each job, writes and runs temp files, reaches PyPI's CDN. */
export function coderHour(w: WorldRun, t: number, business: boolean, records: NodeAgentRecordInput[]): void {
  const jobs = business ? w.rng.int(1, 3) : 0;
  if (jobs === 0) return;
  const iso = new Date(t).toISOString();
  const a = () => attrib(w, 'code-runner', CODER_POD);
  records.push(
    {
      type: 'exec',
      time: new Date(t + 5 * 60_000).toISOString(),
      count: jobs,
      attribution: a(),
      path: '/usr/local/bin/python3',
      argv: ['python3', '/tmp/job/main.py'],
    },
    { type: 'open', time: iso, count: jobs, attribution: a(), path: '/tmp/job/main.py', flags: 577 },
    { type: 'connect', time: iso, count: jobs, attribution: a(), daddr: '151.101.0.223', dport: 443 },
    { type: 'dns', time: iso, count: jobs, attribution: a(), qname: 'pypi.org' },
    {
      type: 'syscalls',
      time: iso,
      attribution: a(),
      counts: perUnit(
        { read: 900, write: 200, openat: 60, clone3: 4, execve: 1, wait4: 1, mmap: 40, futex: 300, connect: 1 },
        jobs,
      ),
    },
  );
}

/** Standalone Bedrock agent (HR FAQ): half of the business hours one session, traces only. */
export function hrAgentHour(w: WorldRun, t: number, business: boolean): void {
  const { spec, rng } = w;
  if (!business || !rng.chance(0.5)) return;
  const b = {
    agentId: HR_AGENT,
    agentAliasId: 'PRODALIAS1',
    agentVersion: '3',
    sessionId: rng.uuid(),
    region: spec.region,
    account: spec.account,
  };
  const traceId = rng.uuid();
  const at = (s: number) => new Date(t + s * 1000).toISOString();
  w.extra.traces.push(
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
