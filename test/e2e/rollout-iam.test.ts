/**
 * The deployed stack on moto_server, every function's bundled handler driven through its real path, and:
 * 1. the rollout without GitHub end to end: the deployed state machine (moto Step Functions, real execution) sends
 *    each step to the deployed worker queue; the bundled worker proposes the IAM tightening in the deployed
 *    proposals bucket and waits; the bundled approval handler (function URL event, SigV4 caller) approves; the
 *    execution completes;
 * 2. IAM proven against the code: every AWS call each handler made is recorded by the SDK middleware and evaluated
 *    with Warden's IAM evaluator against that function's role in the synthesized template; no call may be denied,
 *    and every grant no call used must be one AWS uses on the function's behalf (listed with the reason).
 * moto cannot run Lambdas (no Docker), lacks Bedrock action groups and CloudTrail LookupEvents: the test is the
 * Lambda service, and support/fake-aws.ts answers those two APIs. The GitHub webhook and the CloudWatch Logs
 * subscriber exist only in the GitHub/Logs variant of the stack: their handlers run against this deployment, their
 * roles come from the variant's template (same logical ids).
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  IAMClient,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoStore } from '../../lib/adapters/dynamo-store.ts';
import { loadIamCatalog } from '../../lib/adapters/iam-scope.ts';
import { ingestStreams } from '../../lib/app/ingest/pipeline.ts';
import { pendingApprovals } from '../../lib/app/rollout/approval.ts';
import { transitions } from '../../lib/app/rollout/record.ts';
import { reviewKey } from '../../lib/app/rollout/worker.ts';
import { statements } from '../../lib/core/iam/policy.ts';
import { createIdentityResolver } from '../../lib/core/identity/resolver.ts';
import { STORE_DATA_ACTIONS } from '../../lib/infra/store.ts';
import { type MotoServer, startMoto } from '../support/moto.ts';
import {
  ACCOUNT,
  bundleOf,
  type Deployed,
  deploy,
  GITHUB_STACK_NAME,
  REGION,
  type Synthesized,
  synthesize,
  templateOf,
} from './support/deploy.ts';
import { type FakeAws, startFakeAws } from './support/fake-aws.ts';
import {
  check,
  functionId,
  installRecorder,
  requestsOf,
  resolver,
  rolePolicies,
  type Template,
} from './support/iam-check.ts';
import { type Handler, lambdaContext, loadHandler, pollOnce, sqsEvent } from './support/lambda-poller.ts';

const SUBJECT = 'k8s:prod/support/kb-reader';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/kb-reader`;
const AGENT_ROLE = `arn:aws:iam::${ACCOUNT}:role/support-agents-shared`;
const APPROVER = `arn:aws:iam::${ACCOUNT}:role/security-reviewer`;
const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();

/** Function construct-path fragments, and which template holds each (the variant: not deployed). */
const FUNCTIONS = {
  IngestObjects: 'default',
  IngestEvents: 'default',
  IngestHttp: 'default',
  Backfill: 'default',
  'Reconcile/Task': 'default',
  Baselines: 'default',
  Drift: 'default',
  RolloutWorker: 'default',
  RolloutApproval: 'default',
  RolloutWebhook: 'github',
  IngestLogs: 'github',
} as const;
type Fn = keyof typeof FUNCTIONS;

let moto: MotoServer;
let fake: FakeAws;
let synth: Synthesized;
let variant: Template;
let stack: Deployed;
let store: DynamoStore;
let sqs: SQSClient;
let s3: S3Client;
let stateMachineArn: string;
const physical: Record<string, string> = {};
const handlers = {} as Record<Fn, Handler>;
const rec = installRecorder();

function cloudTrailRecord(i: number, extra: Record<string, unknown> = {}) {
  return {
    eventVersion: '1.10',
    userIdentity: {
      type: 'AssumedRole',
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/kb-reader/pod-${i}`,
      accountId: ACCOUNT,
      sessionContext: { sessionIssuer: { type: 'Role', arn: ROLE } },
    },
    eventTime: hoursAgo(3),
    eventSource: 's3.amazonaws.com',
    eventName: 'GetObject',
    awsRegion: REGION,
    sourceIPAddress: '10.0.3.17',
    userAgent: 'aws-sdk-js/3',
    requestParameters: { bucketName: 'kb-docs', key: `docs/page-${i}.md` },
    requestID: `REQ${i}`,
    eventID: `e2e-rollout-${i}-aaaa-bbbb-cccc`,
    readOnly: true,
    eventType: 'AwsApiCall',
    recipientAccountId: ACCOUNT,
    eventCategory: 'Data',
    ...extra,
  };
}

/** The environment a function gets in Lambda: the template's variables, resolved to this deployment. */
function envOf(fn: Fn): Record<string, string> {
  const t = FUNCTIONS[fn] === 'github' ? variant : (synth.template as Template);
  const vars = t.Resources[functionId(t, fn)]!.Properties!.Environment as { Variables: Record<string, unknown> };
  const resolve = resolver(t, { account: ACCOUNT, region: REGION, physical });
  return Object.fromEntries(Object.entries(vars.Variables).map(([k, v]) => [k, String(resolve(v))]));
}

const baseEnv = { ...process.env };

/** Exactly the environment `fn` has in Lambda (plus the emulator endpoints): nothing left from another function. */
function useEnv(fn: Fn): void {
  for (const k of Object.keys(process.env)) if (!(k in baseEnv)) delete process.env[k];
  Object.assign(process.env, baseEnv, envOf(fn));
}

/** Runs a bundled handler as Lambda would: its environment, its calls recorded under its name. */
function invoke<T>(fn: Fn, event: unknown): Promise<T> {
  useEnv(fn);
  return rec.as(fn, async () => (await handlers[fn](event, lambdaContext(fn))) as T);
}

async function queueUrl(fragment: string): Promise<string> {
  const name = stack.find('AWS::SQS::Queue', fragment).split('/').pop()!;
  return (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;
}

function poll(fn: Fn, fragment: string, expect: number) {
  return rec.as(fn, async () => {
    useEnv(fn);
    return pollOnce(sqs, await queueUrl(fragment), handlers[fn], expect);
  });
}

function urlEvent(body: string, headers: Record<string, string> = {}, userArn?: string) {
  return {
    version: '2.0',
    rawPath: '/',
    body,
    isBase64Encoded: false,
    headers: { 'content-type': 'application/json', ...headers },
    requestContext: {
      requestId: 'r-1',
      http: { method: 'POST' },
      ...(userArn ? { authorizer: { iam: { userArn } } } : {}),
    },
  };
}

beforeAll(async () => {
  synth = await synthesize();
  variant = templateOf(synth.outdir, GITHUB_STACK_NAME);
  moto = await startMoto({ region: REGION });
  stack = await deploy(synth, moto);
  Object.assign(physical, stack.physical);
  const t = synth.template as Template;
  // The bus has a template-given name (moto reports no physical id for it); the variant names it after its stack.
  const busId = Object.keys(t.Resources).find((id) => t.Resources[id]!.Type === 'AWS::Events::EventBus')!;
  physical[busId] = String(t.Resources[busId]!.Properties!.Name);
  // moto's CloudFormation creates the state machine where its executing Step Functions (turned on below) does not
  // look: the deployed definition is created again through the API, under the same name, once execution is on.
  const sfnClient = new SFNClient(moto.clientConfig);
  const listed = (await sfnClient.send(new ListStateMachinesCommand({}))).stateMachines ?? [];
  const deployed = await sfnClient.send(
    new DescribeStateMachineCommand({
      stateMachineArn: listed.find((m) => m.name?.includes('RolloutStateMachine'))!.stateMachineArn,
    }),
  );
  const res = await fetch(`${moto.endpoint}/moto-api/config`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ stepfunctions: { execute_state_machine: true } }),
  });
  expect(res.ok).toBe(true);
  const created = await sfnClient.send(
    new CreateStateMachineCommand({ name: deployed.name, definition: deployed.definition, roleArn: deployed.roleArn }),
  );
  stateMachineArn = created.stateMachineArn!;
  physical[Object.keys(t.Resources).find((id) => t.Resources[id]!.Type === 'AWS::StepFunctions::StateMachine')!] =
    stateMachineArn;
  const cfg = moto.clientConfig;
  const secret = await new SecretsManagerClient(cfg).send(
    new CreateSecretCommand({
      Name: 'warden-github',
      SecretString: JSON.stringify({ token: 't', webhookSecret: 'whs' }),
    }),
  );
  physical[
    Object.keys(variant.Resources).find((id) => variant.Resources[id]!.Type === 'AWS::SecretsManager::Secret')!
  ] = secret.ARN!;
  const iam = new IAMClient(cfg);
  await iam.send(
    new CreateRoleCommand({
      RoleName: 'support-agents-shared',
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'bedrock.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      }),
    }),
  );
  // A customer managed policy too: the reader follows attached policies (GetPolicy, GetPolicyVersion).
  const managed = await iam.send(
    new CreatePolicyCommand({
      PolicyName: 'agents-read-kb',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::kb-docs/*' }],
      }),
    }),
  );
  await iam.send(new AttachRolePolicyCommand({ RoleName: 'support-agents-shared', PolicyArn: managed.Policy!.Arn }));
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: 'support-agents-shared',
      PolicyName: 'invoke',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'bedrock:InvokeModel', Resource: '*' }],
      }),
    }),
  );
  fake = await startFakeAws({
    account: ACCOUNT,
    region: REGION,
    agents: [
      { agentId: 'AGENT1', roleArn: AGENT_ROLE, tags: { 'warden.dev/agent-class': 'customer-support' } },
      { agentId: 'AGENT2', roleArn: AGENT_ROLE, tags: {} },
    ],
    lookupEvents: [cloudTrailRecord(90, { eventSource: 'iam.amazonaws.com', eventName: 'ListRoles' })],
  });
  // What every function's environment shares here: the emulator endpoints and quiet Powertools.
  Object.assign(baseEnv, {
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_ENDPOINT_URL_BEDROCK_AGENT: fake.endpoint,
    AWS_ENDPOINT_URL_CLOUDTRAIL: fake.endpoint,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_TRACE_ENABLED: 'false',
  });
  for (const fn of Object.keys(FUNCTIONS) as Fn[]) {
    // Module scope reads the environment (table, bucket, bus): load each bundle under its own.
    useEnv(fn);
    handlers[fn] = await loadHandler(
      bundleOf(synth, fn, FUNCTIONS[fn] === 'github' ? (variant as Synthesized['template']) : synth.template),
    );
  }
  const table = stack.find('AWS::DynamoDB::Table', '/Store/Table');
  store = new DynamoStore({ tableName: table, clientConfig: cfg });
  sqs = new SQSClient(cfg);
  s3 = new S3Client(cfg);
}, 900_000);

afterAll(async () => {
  await store?.close();
  await fake?.close();
  await moto?.stop();
});

describe('ingest, backfill, reconcile, baselines and drift on the deployed stack', () => {
  it('ingests through every delivery path', async () => {
    await new EventBridgeClient(moto.clientConfig).send(
      new PutEventsCommand({
        Entries: [
          {
            Source: 'aws.s3',
            DetailType: 'AWS API Call via CloudTrail',
            Detail: JSON.stringify(cloudTrailRecord(1, { eventCategory: 'Management' })),
          },
        ],
      }),
    );
    expect(await poll('IngestEvents', '/CloudTrail/Queue', 1)).toEqual({ messages: 1, failures: [] });

    // Before the S3 copy of the same invocation records (below), so that this delivery is the one that stores them.
    const logLine = readFileSync('test/fixtures/sources/bedrock-invocation-cloudwatch.jsonl', 'utf8').split('\n')[0]!;
    const logs = await invoke<{ observations: number; stored: number }>('IngestLogs', JSON.parse(logLine));
    expect(logs.stored).toBeGreaterThan(0);

    const bucket = stack.find('AWS::S3::Bucket', '/CloudtrailBucket/');
    const key = `AWSLogs/${ACCOUNT}/CloudTrail/${REGION}/2026/11/20/${ACCOUNT}_CloudTrail_${REGION}_x.json.gz`;
    const body = gzipSync(JSON.stringify({ Records: [cloudTrailRecord(2), cloudTrailRecord(3)] }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    // The other two sources S3 delivers: a Bedrock invocation log and a VPC flow log file.
    const fixture = (f: string) => readFileSync(`test/fixtures/sources/${f}`);
    await s3.send(
      new PutObjectCommand({
        Bucket: stack.find('AWS::S3::Bucket', '/BedrockInvocationBucket/'),
        Key: `AWSLogs/${ACCOUNT}/BedrockModelInvocationLogs/${REGION}/2026/11/20/00/x.json.gz`,
        Body: gzipSync(fixture('bedrock-invocation-s3.jsonl')),
      }),
    );
    await s3.send(
      new PutObjectCommand({
        Bucket: stack.find('AWS::S3::Bucket', '/VpcFlowBucket/'),
        // Named as VPC delivers it, with the flow log id: the handler asks DescribeFlowLogs for that log's format.
        Key: `AWSLogs/${ACCOUNT}/vpcflowlogs/${REGION}/2026/11/20/${ACCOUNT}_vpcflowlogs_${REGION}_fl-0e2e0e2e0e2e0e2e0_20261120T0000Z_a1b2c3d4.log.gz`,
        Body: gzipSync(fixture('vpc-flow-v2-default.log')),
      }),
    );
    // The default deployment drains the Objects queue on a schedule (warden:objectBatchMinutes): the scheduled
    // invocation receives and deletes the messages itself. The three s3:TestEvent notifications of bucket creation
    // come first: all six messages.
    // The function's WARDEN_OBJECTS_QUEUE_URL names the Objects queue; here it is the emulator's URL for it.
    const objectsUrl = await queueUrl('/Objects/Queue');
    expect(envOf('IngestObjects').WARDEN_OBJECTS_QUEUE_URL?.split('/').pop()).toBe(objectsUrl.split('/').pop());
    const drained = await rec.as('IngestObjects', async () => {
      useEnv('IngestObjects');
      process.env.WARDEN_OBJECTS_QUEUE_URL = objectsUrl;
      return handlers.IngestObjects({ drain: 'objects' }, lambdaContext('IngestObjects'));
    });
    expect(drained).toMatchObject({ received: 6, deleted: 6 });
    const read = (rec.calls.get('IngestObjects') ?? []).filter((c) => c.operation === 'GetObject');
    expect(new Set(read.map((c) => c.input.Bucket)).size).toBe(3);

    const batch = {
      schema: 'warden.node-agent/v1',
      agent: { node: 'ip-10-0-3-1', cluster: 'prod', version: '0.1.0' },
      window: { start: hoursAgo(3), end: hoursAgo(2) },
      records: [
        { type: 'connect', time: hoursAgo(3), count: 40, daddr: '52.217.10.4', dport: 443, attribution: who() },
        { type: 'syscalls', time: hoursAgo(3), counts: { read: 900, openat: 120, write: 40 }, attribution: who() },
      ],
    };
    const http = await invoke<{ statusCode: number; body: string }>(
      'IngestHttp',
      urlEvent(JSON.stringify(batch), {}, `arn:aws:iam::${ACCOUNT}:role/node-agent`),
    );
    expect(http.statusCode, http.body).toBe(200);

    const backfill = await invoke<{ events: number }>('Backfill', { days: 1 });
    expect(backfill.events).toBe(1);
  });

  it('reconciles a Bedrock agent: its shared role found through ListAgents, its class label from its tags', async () => {
    const rows = await invoke<{ subject: string; error?: string }[]>('Reconcile/Task', {
      subjects: [`bedrock:${REGION}/AGENT1`],
    });
    expect(rows[0]?.error).toBeUndefined();
    const ops = (rec.calls.get('Reconcile/Task') ?? []).map((c) => c.operation);
    expect(ops).toEqual(
      expect.arrayContaining([
        'ListAgents',
        'ListTagsForResource',
        'GetRole',
        'GetPolicyVersion',
        'GetAgentActionGroup',
      ]),
    );
    const scope = await store.getDoc<{ role?: { sharing?: { with: string[] } }; labels: Record<string, string> }>(
      'declared-scope',
      `bedrock:${REGION}/AGENT1`,
      'latest',
    );
    expect(scope?.body.role?.sharing?.with).toEqual([`bedrock:${REGION}/AGENT2`]);
    expect(scope?.body.labels).toMatchObject({ 'warden.dev/agent-class': 'customer-support' });
  });

  it('builds baselines and runs drift over what was stored', async () => {
    // The k8s subject's API calls, attributed by its IRSA role as `warden ingest --identity` does, into this table.
    const identity = createIdentityResolver({
      workloads: [{ cluster: 'prod', namespace: 'support', deployment: 'kb-reader', serviceAccount: 'kb-reader' }],
      irsa: [{ roleArn: ROLE, cluster: 'prod', namespace: 'support', serviceAccount: 'kb-reader' }],
      leases: [],
      defaultRegion: REGION,
    });
    // Three weeks of reading its knowledge base, then (in the last two hours) writing to it: drift to classify.
    const history = Array.from({ length: 20 }, (_, d) =>
      cloudTrailRecord(100 + d, { eventTime: hoursAgo(24 * (d + 2)) }),
    );
    const change = [7, 8, 9].map((i) =>
      cloudTrailRecord(i, { eventName: 'PutObject', eventTime: hoursAgo(1.5), readOnly: false }),
    );
    const trail = JSON.stringify({ Records: [...history, ...[4, 5, 6].map((i) => cloudTrailRecord(i)), ...change] });
    await ingestStreams(store, [{ name: 'cli:kb-reader.json', stream: Readable.from([Buffer.from(trail)]) }], {
      identity,
    });
    await store.putDoc('declared-scope', SUBJECT, 'latest', declaredScope());
    // It writes notes back to its knowledge base: a customer-support agent, not a read-only retrieval one.
    await store.setLabels(SUBJECT, { 'warden.dev/agent-class': 'customer-support' });
    const b = await invoke<{ refreshed: number; failed: number }>('Baselines', { subjects: [SUBJECT] });
    expect(b).toMatchObject({ refreshed: 1, failed: 0 });
    const d = await invoke<{ items: number }>('Drift', { sinceHours: 24 });
    expect(d.items).toBeGreaterThan(0);
    expect((rec.calls.get('Drift') ?? []).some((c) => c.operation === 'PutEvents')).toBe(true);
  });
});

describe('the rollout without GitHub: proposal in S3, approval through the endpoint', () => {
  it('runs the deployed state machine to completion once the proposal is approved', async () => {
    // Three days ago the node agent saw the same connect and syscalls as in the held-out day: the artifacts are
    // generated from them (a seccomp envelope and an egress rule), and the held-out day replays through them.
    const earlier = {
      schema: 'warden.node-agent/v1',
      agent: { node: 'ip-10-0-3-1', cluster: 'prod', version: '0.1.0' },
      window: { start: hoursAgo(72), end: hoursAgo(71) },
      records: [
        { type: 'connect', time: hoursAgo(72), count: 40, daddr: '52.217.10.4', dport: 443, attribution: who() },
        { type: 'syscalls', time: hoursAgo(72), counts: { read: 900, openat: 120, write: 40 }, attribution: who() },
      ],
    };
    const http = await invoke<{ statusCode: number; body: string }>(
      'IngestHttp',
      urlEvent(JSON.stringify(earlier), {}, `arn:aws:iam::${ACCOUNT}:role/node-agent`),
    );
    expect(http.statusCode, http.body).toBe(200);
    await invoke('Baselines', { subjects: [SUBJECT] });
    const sfn = new SFNClient(moto.clientConfig);
    const rolloutId = 'r-e2e-approval';
    const exec = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn,
        name: rolloutId,
        input: JSON.stringify({
          rolloutId,
          observationSeconds: 0,
          // The last day is held out of generation and replayed: it holds the node agent's connect and syscall
          // records and the PutObject calls (an empty window would be "not measured" and the rollout would refuse).
          // The threshold lets that day's new behaviour through: this test is about the approval path.
          evaluation: { mode: 'held-out', holdoutDays: 1 },
          threshold: { maxWouldDenyEvents: 1000, maxWouldDenyRatio: 1 },
          subjects: [{ subject: SUBJECT, class: 'customer-support', track: 'observe-in-production' }],
        }),
      }),
    );
    let status = 'RUNNING';
    let approved = false;
    for (let i = 0; i < 180 && status === 'RUNNING'; i++) {
      const p = await poll('RolloutWorker', '/Rollout/Worker/Queue', 1);
      expect(p.failures).toEqual([]);
      const pending = await pendingApprovals(store);
      if (pending.length > 0 && !approved) {
        expect(pending.map((a) => a.subject)).toEqual([SUBJECT]);
        const proposal = pending[0]!.proposal.replace(/^s3:\/\/[^/]+\//, '');
        const bucket = stack.find('AWS::S3::Bucket', '/Rollout/Proposals/');
        const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: proposal }));
        const keys = (listed.Contents ?? []).map((o) => o.Key!);
        expect(keys.some((k) => k.endsWith('PROPOSAL.md'))).toBe(true);
        expect(keys.some((k) => k.endsWith('.iam-policy.json'))).toBe(true);
        const res = await invoke<{ statusCode: number; body: string }>(
          'RolloutApproval',
          urlEvent(JSON.stringify({ approvalId: pending[0]!.approvalId, decision: 'approve' }), {}, APPROVER),
        );
        expect(res, res.body).toMatchObject({ statusCode: 200 });
        expect(JSON.parse(res.body).outcome).toBe('answered');
        approved = true;
      }
      status = (await sfn.send(new DescribeExecutionCommand({ executionArn: exec.executionArn }))).status!;
    }
    const steps = (await transitions(store, rolloutId)).map(
      (x) => `${String(x.step)}${x.blast ? ` ${JSON.stringify(x.blast)}` : ''}`,
    );
    expect(approved, `status ${status}; transitions: ${steps.join(' | ')}`).toBe(true);
    expect(status).toBe('SUCCEEDED');
    const proposed = (rec.calls.get('RolloutWorker') ?? []).filter(
      (c) => c.operation === 'PutEvents' && JSON.stringify(c.input).includes('Warden IAM Tightening Proposed'),
    );
    expect(proposed).toHaveLength(1);
    const reviewed = (await transitions(store, rolloutId)).find((t) => t.step === 'iam-pull-request-reviewed');
    expect(reviewed).toMatchObject({ subject: SUBJECT, merged: true, by: APPROVER });
    const bucket = stack.find('AWS::S3::Bucket', '/Rollout/Proposals/');
    const manifests = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: 'cluster/prod/support/kb-reader/' }),
    );
    const files = (manifests.Contents ?? []).map((o) => o.Key!);
    expect(
      files.some((k) => k.includes('enforce')),
      `${files.join(' ')} | ${steps.join(' | ')}`,
    ).toBe(true);
    const np = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: files.find((k) => /network-?policy/i.test(k))! }),
    );
    expect(await np.Body!.transformToString()).toMatch(
      /kind: NetworkPolicy[\s\S]*warden.dev\/subject: k8s:prod\/support\/kb-reader/,
    );
  });

  it('a step whose input does not parse is failed with Warden.InvalidStepInput, not cast', async () => {
    const body = JSON.stringify({
      step: 'enforce',
      taskToken: 'not-a-live-token',
      input: { rolloutId: 'r-bad', class: 'retrieval', track: 'sometimes' },
    });
    // moto refuses the made-up token, so the message is reported failed (and would reach the worker DLQ).
    const out = await invoke<{ batchItemFailures: unknown[] }>(
      'RolloutWorker',
      sqsEvent([{ MessageId: 'bad-1', ReceiptHandle: 'r', Body: body }], 'arn:aws:sqs:us-east-1:123456789012:worker'),
    );
    expect(out.batchItemFailures).toHaveLength(1);
    const failed = (rec.calls.get('RolloutWorker') ?? []).filter((c) => c.operation === 'SendTaskFailure');
    expect(failed.map((c) => c.input.error)).toEqual(['Warden.InvalidStepInput']);
  });

  it('the GitHub review webhook (variant stack) verifies the signature, answers a recorded review once', async () => {
    await store.putDoc('rollout-review', 'global', reviewKey('acme/iam', 7), {
      taskToken: 'not-a-live-token',
      input: { rolloutId: 'r-gh', class: 'retrieval', track: 'observe-in-production', subjects: [SUBJECT] },
      results: [
        { subject: SUBJECT, pr: { number: 7, url: 'https://github.com/acme/iam/pull/7', branch: 'warden/r-gh/x' } },
      ],
    });
    const payload = JSON.stringify({
      action: 'closed',
      pull_request: { number: 7, merged: true, merged_by: { login: 'alice' } },
      repository: { full_name: 'acme/iam' },
    });
    const sig = `sha256=${createHmac('sha256', 'whs').update(payload).digest('hex')}`;
    const deliver = () =>
      invoke<{ statusCode: number; body: string }>(
        'RolloutWebhook',
        urlEvent(payload, { 'x-hub-signature-256': sig, 'x-github-event': 'pull_request' }),
      );
    const answers = () =>
      (rec.calls.get('RolloutWebhook') ?? []).filter((c) => c.operation === 'SendTaskSuccess').length;
    // moto refuses the made-up token as it refuses one answered before: the call is made (and recorded), and the
    // handler treats the refusal as a replay after a crash, so the review is marked answered.
    expect(await deliver()).toMatchObject({ statusCode: 200, body: 'answered' });
    expect((rec.calls.get('RolloutWebhook') ?? []).map((c) => c.operation)).toEqual(
      expect.arrayContaining(['GetSecretValue', 'SendTaskSuccess']),
    );
    const before = answers();
    // A replayed delivery answers nothing again.
    expect(await deliver()).toMatchObject({ statusCode: 200, body: 'already-answered' });
    expect(answers()).toBe(before);
    // The GitOps repository's PR #7 does not answer the IAM review #7.
    const gitops = JSON.stringify({ ...JSON.parse(payload), repository: { full_name: 'acme/gitops' } });
    const gitopsSig = `sha256=${createHmac('sha256', 'whs').update(gitops).digest('hex')}`;
    const out = await invoke<{ statusCode: number; body: string }>(
      'RolloutWebhook',
      urlEvent(gitops, { 'x-hub-signature-256': gitopsSig, 'x-github-event': 'pull_request' }),
    );
    expect(out).toMatchObject({ statusCode: 200, body: 'ignored' });
  });
});

describe('IAM proven against the recorded calls', () => {
  /**
   * Grants no SDK call can show: used by AWS on the function's behalf, or by the Lambda service. Each needs a reason.
   */
  const USED_BY_AWS: [RegExp, string][] = [
    [/ logs:(CreateLogGroup|CreateLogStream|PutLogEvents)$/, 'the Lambda runtime writes the function log'],
    [/ xray:(PutTraceSegments|PutTelemetryRecords)$/, 'the Lambda service sends active-tracing segments'],
    [/ kms:/, "DynamoDB uses the table's customer-managed key on the caller's behalf (kms:ViaService)"],
    [
      / sqs:(ReceiveMessage|ChangeMessageVisibility|GetQueueAttributes|GetQueueUrl|DeleteMessage)$/,
      'the SQS event source mapping polls as the function',
    ],
    [/ sqs:SendMessage$/, 'the Lambda service delivers failed asynchronous invocations to the AsyncFailures queue'],
    [
      /^WardenDrift\w+#\d+ s3:(GetObject|PutObject)$/,
      "audit anchors: the drift function writes one only when a risky item has a triggering input to chain, which this scenario's CloudTrail-only drift has not; the rollout functions' appends above use the same grantAppend statement, and test/integration/audit/s3-anchors.test.ts the S3 anchor log itself",
    ],
  ];

  it('every call of every function is allowed by its role; every unused grant has a reason', async () => {
    const catalog = await loadIamCatalog();
    const report: string[] = [];
    const denied: Record<string, string[]> = {};
    const unexplained: Record<string, string[]> = {};
    // The store's data-plane grant is one list for every function (one adapter): each action must be used by some
    // function; a function not using one of them is listed, not failed.
    const storeActions = new Set<string>(STORE_DATA_ACTIONS);
    const storeUsed = new Set<string>();
    for (const fn of Object.keys(FUNCTIONS) as Fn[]) {
      const t = FUNCTIONS[fn] === 'github' ? variant : (synth.template as Template);
      const calls = rec.calls.get(fn) ?? [];
      const policies = rolePolicies(t, { account: ACCOUNT, region: REGION, physical }, functionId(t, fn));
      const requests = calls.flatMap((c) => requestsOf(c, catalog, { account: ACCOUNT, stateMachineArn }));
      const v = check(policies, requests);
      const actions = [...new Set(requests.map((r) => r.request.action))].sort();
      for (const a of actions) if (storeActions.has(a)) storeUsed.add(a);
      report.push(`${fn}: ${calls.length} calls [${actions.join(' ')}]; unused: ${v.unused.join(', ') || 'none'}`);
      if (calls.length === 0) denied[fn] = ['made no AWS call in this test'];
      if (v.denied.length) denied[fn] = v.denied;
      const u = v.unused.filter(
        (x) => !USED_BY_AWS.some(([re]) => re.test(x)) && !storeActions.has(x.split(' ')[1] ?? ''),
      );
      if (u.length) unexplained[fn] = u;
    }
    const deadStore = [...storeActions].filter((a) => !storeUsed.has(a));
    if (deadStore.length) unexplained['store data-plane grant'] = deadStore;
    process.stderr.write(`IAM recorded calls:\n${report.join('\n')}\n`);
    expect(denied, 'calls a role does not allow').toEqual({});
    expect(unexplained, 'grants no recorded call used').toEqual({});
  });

  it('would have caught the missing bedrock:ListAgents and bedrock:ListTagsForResource', async () => {
    const catalog = await loadIamCatalog(['bedrock', 'iam', 's3', 'sts', 'dynamodb', 'eks']);
    const t = synth.template as Template;
    const missing = new Set(['bedrock:ListAgents', 'bedrock:ListTagsForResource']);
    const old = rolePolicies(t, { account: ACCOUNT, region: REGION, physical }, functionId(t, 'Reconcile/Task')).map(
      (p) => ({
        ...p,
        document: {
          ...p.document,
          Statement: statements(p.document).map((st) => ({
            ...st,
            Action: ([] as string[]).concat(st.Action ?? []).filter((a) => !missing.has(a)),
          })),
        },
      }),
    );
    const requests = (rec.calls.get('Reconcile/Task') ?? []).flatMap((c) =>
      requestsOf(c, catalog, { account: ACCOUNT, stateMachineArn }),
    );
    const denied = check(old, requests).denied.map((d) => d.split(' ')[0]);
    expect([...new Set(denied)].sort()).toEqual(['bedrock:ListAgents', 'bedrock:ListTagsForResource']);
  });
});

function who() {
  return { namespace: 'support', deployment: 'kb-reader', pod: 'kb-reader-7d9f-abcde' };
}

function declaredScope() {
  return {
    subject: SUBJECT,
    readAt: hoursAgo(1),
    account: ACCOUNT,
    role: {
      arn: ROLE,
      name: 'kb-reader',
      via: 'irsa',
      policies: [
        {
          id: `${ROLE}#inline/docs`,
          name: 'docs',
          kind: 'inline',
          document: {
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'Docs',
                Effect: 'Allow',
                Action: ['s3:GetObject', 's3:PutObject'],
                Resource: 'arn:aws:s3:::kb-docs/*',
              },
            ],
          },
        },
      ],
    },
  };
}
