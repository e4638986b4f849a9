/**
 * Synthesizes the Warden stack once and deploys it into moto_server the way `cdk deploy` does without change sets:
 * upload the file assets (zipped Lambda bundles) to the assets bucket, then CloudFormation CreateStack with the
 * synthesized template. Then it completes what moto's CloudFormation does not do (see docs/deploy.md):
 * - S3 bucket NotificationConfiguration is ignored by moto's CloudFormation: the template's notification is applied
 *   with PutBucketNotificationConfiguration, resolved to the deployed queue ARN;
 * - moto cannot run Lambdas without Docker but would try to on each SQS message: the SQS event source mappings are
 *   disabled, and the test plays the Lambda poller (receive, invoke the bundled handler in-process, delete);
 * - moto's EventBridge drops the envelope's `account` on the way to an SQS target: such targets are given the
 *   `<aws.events.event.json>` input template (see deliverWholeEvent).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStackEventsCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import {
  CreateBucketCommand,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { App, DefaultStackSynthesizer } from 'aws-cdk-lib';
import type { WardenProps } from '../../../lib/infra/props.ts';
import { WardenStack } from '../../../lib/infra/stack.ts';
import type { MotoServer } from '../../support/moto.ts';
import { zipDirectory } from './zip.ts';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const STACK_NAME = 'WardenE2e';
/**
 * The same stack with GitHub and the CloudWatch Logs subscription configured: never deployed; its template gives the
 * roles of the two functions the default stack does not have (RolloutWebhook, IngestLogs), whose bundled handlers
 * run against the default deployment.
 */
export const GITHUB_STACK_NAME = 'WardenE2eGitHub';
const ASSETS_BUCKET = 'warden-e2e-assets';

type CfnResource = { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> };
export interface Synthesized {
  outdir: string;
  template: { Resources: Record<string, CfnResource> };
}

/**
 * Synthesizes the default stack (every bucket created, data not retained) and its GitHub variant into `outdir`.
 * One app: CDK bundles each function once and reuses the bundle for the second stack.
 */
export function synthesizeInto(outdir: string): void {
  // Path metadata lets the tests find resources by construct path, as `cdk synth` records it.
  const app = new App({
    outdir,
    context: { 'aws:cdk:enable-path-metadata': true, 'aws:cdk:enable-asset-metadata': true },
  });
  const stack = (name: string, warden: WardenProps) =>
    new WardenStack(app, name, {
      env: { account: ACCOUNT, region: REGION },
      // No bootstrap stack in the emulator: assets go to a plain bucket, and no bootstrap version check.
      synthesizer: new DefaultStackSynthesizer({
        generateBootstrapVersionRule: false,
        fileAssetsBucketName: ASSETS_BUCKET,
      }),
      warden,
    });
  // The node agent of the e2e cluster `prod` posts as this role (the trust model binds it to its cluster).
  stack(STACK_NAME, {
    retainData: false,
    ingestPrincipals: [
      { principal: `arn:aws:iam::${ACCOUNT}:role/node-agent`, sources: ['node-agent'], clusters: ['prod'] },
    ],
  });
  stack(GITHUB_STACK_NAME, {
    retainData: false,
    rollout: { iamRepository: 'acme/iam', gitOpsRepository: 'acme/gitops' },
    bedrockInvocationLogGroupName: '/aws/bedrock/modelinvocations',
  });
  app.synth();
}

/** What the synthesized assembly depends on: the product sources, the lock file and this module. */
function sourceKey(): string {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  const h = createHash('sha256');
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|json)$/.test(name)) h.update(relative(root, p)).update(readFileSync(p));
    }
  };
  for (const d of ['lib', 'lambdas', 'bin']) walk(join(root, d));
  for (const f of ['package-lock.json', 'cdk.json', 'test/e2e/support/deploy.ts'])
    h.update(readFileSync(join(root, f)));
  return h.digest('hex').slice(0, 16);
}

/**
 * Synthesizes in a child process: bundling runs esbuild synchronously, which would block the test worker for the
 * whole synth. The assembly is cached by source hash, so the e2e files running in parallel synthesize once; a
 * second caller waits for the first (a lock directory), a stale lock (over 15 minutes) is taken over.
 */
export async function synthesize(): Promise<Synthesized> {
  const outdir = join(tmpdir(), `warden-e2e-cdk-${sourceKey()}`);
  const done = join(outdir, 'SYNTH_DONE');
  const lock = `${outdir}.lock`;
  const deadline = Date.now() + 20 * 60_000;
  while (!existsSync(done)) {
    if (Date.now() > deadline) throw new Error(`waited 20 minutes for another synth into ${outdir}`);
    try {
      mkdirSync(lock);
    } catch {
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > 15 * 60_000) rmSync(lock, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 2000));
      continue;
    }
    try {
      rmSync(outdir, { recursive: true, force: true });
      const main = join(dirname(fileURLToPath(import.meta.url)), 'synth-main.ts');
      await run(process.execPath, ['--import', 'tsx', main, outdir]);
      writeFileSync(done, new Date().toISOString());
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
  return { outdir, template: templateOf(outdir, STACK_NAME) };
}

/** A synthesized stack's template. */
export function templateOf(outdir: string, stackName: string): Synthesized['template'] {
  return JSON.parse(readFileSync(join(outdir, `${stackName}.template.json`), 'utf8'));
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-4000);
    });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`synth failed (${code}): ${err}`))));
  });
}

/** The asset directory holding a function's bundle, by the construct path fragment (e.g. `IngestObjects`). */
export function bundleOf(s: Synthesized, fragment: string, template = s.template): string {
  for (const r of Object.values(template.Resources)) {
    const path = String(r.Metadata?.['aws:cdk:path'] ?? '');
    if (r.Type === 'AWS::Lambda::Function' && path.includes(`/${fragment}/Function/`)) {
      return join(s.outdir, String(r.Metadata?.['aws:asset:path']), 'index.mjs');
    }
  }
  throw new Error(`no function ${fragment} in the template`);
}

export interface Deployed {
  /** Logical ids of every resource the stack reports. */
  logicalIds: string[];
  /** Logical id -> physical id. */
  physical: Record<string, string>;
  /** Physical id of the first resource whose construct path contains `fragment` and has `type`. */
  find(type: string, fragment: string): string;
}

async function uploadAssets(s: Synthesized, s3: S3Client): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: ASSETS_BUCKET }));
  const manifest = JSON.parse(readFileSync(join(s.outdir, `${STACK_NAME}.assets.json`), 'utf8')) as {
    files: Record<
      string,
      { source: { path: string; packaging: string }; destinations: Record<string, { objectKey: string }> }
    >;
  };
  for (const asset of Object.values(manifest.files)) {
    const src = join(s.outdir, asset.source.path);
    const body = asset.source.packaging === 'zip' ? zipDirectory(src) : readFileSync(src);
    for (const d of Object.values(asset.destinations)) {
      await s3.send(new PutObjectCommand({ Bucket: ASSETS_BUCKET, Key: d.objectKey, Body: body }));
    }
  }
}

/**
 * Resource types moto's CloudFormation does not implement (moto 5.2.1). moto skips them with a warning, but fails
 * the stack when an output or attribute refers to one, so they are removed together with what refers to them.
 * Their behavior is covered elsewhere: SigV4 auth of the function URL and the queue/bucket policies are AWS's to
 * enforce (asserted in the construct tests); the handler behind the URL is exercised directly.
 */
export const MOTO_UNSUPPORTED_TYPES = [
  'AWS::Lambda::Url',
  'AWS::SQS::QueuePolicy',
  'AWS::S3::BucketPolicy',
  'AWS::CloudWatch::Alarm',
  'AWS::CloudWatch::Dashboard',
] as const;

/**
 * Resources moto supports but that break it: a scheduled rule on the default bus makes every later PutEvents on
 * that bus fail in moto 5.2.1 ("Expr not defined" while matching a rule without a pattern). Schedules are asserted
 * in the construct tests; the e2e deploys without them (and without the Lambda permissions that refer to them).
 */
function breaksMoto(r: CfnResource): boolean {
  return (
    (MOTO_UNSUPPORTED_TYPES as readonly string[]).includes(r.Type) ||
    (r.Type === 'AWS::Events::Rule' && r.Properties?.ScheduleExpression !== undefined) ||
    // A rule on a custom bus (drift on ingest) leaves moto's stack in CREATE_IN_PROGRESS; asserted in the construct
    // tests, and the bus-to-target path is tested against moto's EventBridge API in test/integration/drift.
    (r.Type === 'AWS::Events::Rule' && r.Properties?.EventBusName !== undefined)
  );
}

/** The template moto can create, and the logical ids that were removed. */
export function emulatorTemplate(template: Synthesized['template']): { body: string; removed: string[] } {
  const t = JSON.parse(JSON.stringify(template)) as {
    Resources: Record<string, CfnResource & { DependsOn?: string | string[] }>;
    Outputs?: Record<string, unknown>;
  };
  const removed = Object.entries(t.Resources)
    .filter(([, r]) => breaksMoto(r))
    .map(([id]) => id);
  const refersTo = (v: unknown) => {
    const json = JSON.stringify(v);
    return removed.some((id) => json.includes(`{"Ref":"${id}"}`) || json.includes(`{"Fn::GetAtt":["${id}"`));
  };
  // Whatever refers to a removed resource goes too, until nothing does.
  for (let changed = true; changed; ) {
    changed = false;
    for (const id of removed) delete t.Resources[id];
    for (const [id, r] of Object.entries(t.Resources)) {
      if (refersTo(r.Properties)) {
        removed.push(id);
        changed = true;
      }
    }
  }
  for (const r of Object.values(t.Resources)) {
    if (r.DependsOn) {
      r.DependsOn = (Array.isArray(r.DependsOn) ? r.DependsOn : [r.DependsOn]).filter((d) => !removed.includes(d));
    }
  }
  for (const [id, o] of Object.entries(t.Outputs ?? {})) if (refersTo(o)) delete t.Outputs![id];
  for (const r of Object.values(t.Resources)) if (r.Type === 'AWS::Events::Rule') deliverWholeEvent(r, t.Resources);
  return { body: JSON.stringify(t), removed };
}

/**
 * moto 5.2.1 delivers an event to an SQS target through a default input template that leaves out the envelope's
 * `account`, which EventBridge always sets and the ingest scope of an event is bound to (an event without one is
 * refused). Queue targets without their own input get EventBridge's `<aws.events.event.json>` template: the whole
 * event as EventBridge would deliver it.
 */
function deliverWholeEvent(rule: CfnResource, resources: Record<string, CfnResource>): void {
  const targets = (rule.Properties?.Targets ?? []) as Record<string, unknown>[];
  for (const target of targets) {
    const arn = target.Arn as { 'Fn::GetAtt'?: [string, string] } | undefined;
    const to = arn?.['Fn::GetAtt']?.[0];
    if (!to || resources[to]?.Type !== 'AWS::SQS::Queue') continue;
    if (target.Input ?? target.InputPath ?? target.InputTransformer) continue;
    target.InputTransformer = { InputTemplate: '<aws.events.event.json>' };
  }
}

export async function deploy(s: Synthesized, moto: MotoServer): Promise<Deployed> {
  const cfg = moto.clientConfig;
  const s3 = new S3Client(cfg);
  const cfn = new CloudFormationClient(cfg);
  await uploadAssets(s, s3);
  try {
    await cfn.send(
      new CreateStackCommand({
        StackName: STACK_NAME,
        TemplateBody: emulatorTemplate(s.template).body,
        Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
      }),
    );
  } catch (err) {
    // Under load moto can answer the first CreateStack with an error after creating the stack; the SDK's retry then
    // meets the stack it created. Continue with the status wait, which reports a real failure.
    if ((err as { name?: string }).name !== 'AlreadyExistsException') throw err;
  }
  for (let i = 0; ; i++) {
    const st = (await cfn.send(new DescribeStacksCommand({ StackName: STACK_NAME }))).Stacks?.[0]?.StackStatus;
    if (st === 'CREATE_COMPLETE') break;
    // Up to 5 minutes: moto creates the resources one by one, slowly when the machine is loaded.
    if (!st?.endsWith('IN_PROGRESS') || i > 3000) {
      const ev = await cfn.send(new DescribeStackEventsCommand({ StackName: STACK_NAME }));
      const failed = (ev.StackEvents ?? []).filter((e) => e.ResourceStatus?.endsWith('FAILED'));
      throw new Error(
        `stack ${st}: ${failed.map((e) => `${e.LogicalResourceId}: ${e.ResourceStatusReason}`).join('; ')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const res = await cfn.send(new DescribeStackResourcesCommand({ StackName: STACK_NAME }));
  const physical: Record<string, string> = {};
  const logicalIds = (res.StackResources ?? []).map((r) => r.LogicalResourceId ?? '');
  for (const r of res.StackResources ?? []) {
    if (r.LogicalResourceId && r.PhysicalResourceId) physical[r.LogicalResourceId] = r.PhysicalResourceId;
  }
  const find = (type: string, fragment: string): string => {
    for (const [id, r] of Object.entries(s.template.Resources)) {
      if (r.Type === type && String(r.Metadata?.['aws:cdk:path'] ?? '').includes(fragment) && physical[id])
        return physical[id]!;
    }
    throw new Error(`no deployed ${type} at ${fragment}`);
  };
  await disableEventSourceMappings(s, physical, moto.endpoint);
  await applyBucketNotifications(s, physical, s3, new SQSClient(cfg));
  return { logicalIds, physical, find };
}

/** Applies each bucket's NotificationConfiguration from the template (moto's CloudFormation skips it). */
async function applyBucketNotifications(
  s: Synthesized,
  physical: Record<string, string>,
  s3: S3Client,
  sqs: SQSClient,
): Promise<void> {
  for (const [id, r] of Object.entries(s.template.Resources)) {
    const nc = r.Properties?.NotificationConfiguration as
      | { QueueConfigurations?: { Event: string; Queue: { 'Fn::GetAtt': [string, string] } }[] }
      | undefined;
    if (r.Type !== 'AWS::S3::Bucket' || !nc?.QueueConfigurations) continue;
    const configs = [];
    for (const q of nc.QueueConfigurations) {
      const queueLogical = q.Queue['Fn::GetAtt'][0];
      const url = physical[queueLogical]!;
      const name = url.split('/').pop()!;
      const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
      const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
      configs.push({ QueueArn: attrs.Attributes!.QueueArn!, Events: [q.Event as 's3:ObjectCreated:*'] });
    }
    await s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: physical[id]!,
        NotificationConfiguration: { QueueConfigurations: configs },
      }),
    );
  }
}

/**
 * moto would try to run the function (in Docker) for every message reaching a queue with an event source mapping,
 * and fail; the mappings are disabled so messages stay in the queue for the test's poller. moto's Lambda API does
 * not check signatures, so a plain request does (the repository has no Lambda SDK client).
 */
async function disableEventSourceMappings(
  s: Synthesized,
  physical: Record<string, string>,
  endpoint: string,
): Promise<void> {
  for (const [id, r] of Object.entries(s.template.Resources)) {
    if (r.Type !== 'AWS::Lambda::EventSourceMapping') continue;
    const res = await fetch(`${endpoint}/2015-03-31/event-source-mappings/${physical[id]}`, {
      method: 'PUT',
      headers: {
        'content-type': 'application/json',
        // moto routes a request to a service by the credential scope of its Authorization header.
        authorization:
          'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: JSON.stringify({ Enabled: false }),
    });
    if (!res.ok)
      throw new Error(`could not disable event source mapping ${id}: HTTP ${res.status} ${await res.text()}`);
  }
}
