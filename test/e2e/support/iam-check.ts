/**
 * IAM proven against the code: every AWS API call a bundled handler made (recorded by the SDK middleware in
 * lib/adapters/aws-calls.ts) is turned into the IAM request AWS authorizes, and evaluated with Warden's own IAM
 * evaluator (lib/core/iam) against the policies the synthesized template attaches to that function's role, with
 * CloudFormation references resolved to what was deployed. A call the role does not allow is a finding; so is a
 * grant no recorded call used (unless it is listed, with its reason, as used by AWS on the function's behalf).
 */
import { AWS_CALL_RECORDER, type AwsCall } from '../../../lib/adapters/aws-calls.ts';
import type { IamCatalog } from '../../../lib/core/iam/catalog.ts';
import { mapCloudTrailEvent } from '../../../lib/core/iam/cloudtrail-action.ts';
import { type EvalRequest, evaluate } from '../../../lib/core/iam/evaluate.ts';
import { type NamedPolicy, type PolicyDocument, statements } from '../../../lib/core/iam/policy.ts';
import { actionMatches } from '../../../lib/core/iam/wildcard.ts';

type CfnResource = { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> };
export type Template = { Resources: Record<string, CfnResource> };

export interface Deployment {
  account: string;
  region: string;
  /** Logical id -> physical id (what CloudFormation reported, plus what the test supplies). */
  physical: Record<string, string>;
}

// ---------------------------------------------------------------------------------------------------------------
// Recording

/** Installs the recorder; calls go to whichever function `attribute` names while a handler runs. */
export function installRecorder(): {
  calls: Map<string, AwsCall[]>;
  as<T>(fn: string, run: () => Promise<T>): Promise<T>;
} {
  const calls = new Map<string, AwsCall[]>();
  let current: string | undefined;
  (globalThis as Record<symbol, unknown>)[AWS_CALL_RECORDER] = (c: AwsCall) => {
    if (!current) throw new Error(`AWS call ${c.client}.${c.operation} outside a recorded handler run`);
    calls.set(current, [...(calls.get(current) ?? []), c]);
  };
  return {
    calls,
    async as(fn, run) {
      current = fn;
      try {
        return await run();
      } finally {
        current = undefined;
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Template -> policies

/** Resolves Ref / Fn::GetAtt / Fn::Join and pseudo parameters to deployed values. */
export function resolver(t: Template, d: Deployment): (v: unknown) => unknown {
  const arnOf = (id: string): string => {
    const r = t.Resources[id];
    const p = d.physical[id] ?? (r?.Properties?.Name as string | undefined);
    if (!r || !p) throw new Error(`cannot resolve ${id}.Arn: not deployed`);
    const { region: R, account: A } = d;
    switch (r.Type) {
      case 'AWS::DynamoDB::Table':
        return `arn:aws:dynamodb:${R}:${A}:table/${p}`;
      case 'AWS::SQS::Queue':
        return `arn:aws:sqs:${R}:${A}:${p.split('/').pop()}`;
      case 'AWS::Events::EventBus':
        return `arn:aws:events:${R}:${A}:event-bus/${p}`;
      case 'AWS::S3::Bucket':
        return `arn:aws:s3:::${p}`;
      case 'AWS::KMS::Key':
        return `arn:aws:kms:${R}:${A}:key/${p}`;
      case 'AWS::Lambda::Function':
        return `arn:aws:lambda:${R}:${A}:function:${p}`;
      case 'AWS::Logs::LogGroup':
        return `arn:aws:logs:${R}:${A}:log-group:${p}:*`;
      case 'AWS::IAM::Role':
        return `arn:aws:iam::${A}:role/${p}`;
      default:
        if (p.startsWith('arn:')) return p;
        throw new Error(`no ARN rule for ${r.Type} (${id})`);
    }
  };
  const pseudo: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::Region': d.region,
    'AWS::AccountId': d.account,
    'AWS::URLSuffix': 'amazonaws.com',
  };
  const resolve = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(resolve);
    if (!v || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    if ('Ref' in o) {
      const id = String(o.Ref);
      const got = pseudo[id] ?? d.physical[id] ?? (t.Resources[id]?.Properties?.Name as string | undefined);
      if (got === undefined) throw new Error(`cannot resolve Ref ${id}`);
      return got;
    }
    if ('Fn::GetAtt' in o) {
      const [id, attr] = o['Fn::GetAtt'] as [string, string];
      if (attr === 'Arn') return arnOf(id);
      throw new Error(`cannot resolve ${id}.${attr}`);
    }
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return (resolve(parts) as unknown[]).map(String).join(sep);
    }
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, resolve(x)]));
  };
  return resolve;
}

/** AWS's managed Lambda logging policy, as published (the template names it by ARN only). */
const BASIC_EXECUTION: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' },
  ],
};

/** The logical id of the function whose construct path contains `/<fragment>/Function/`. */
export function functionId(t: Template, fragment: string): string {
  const hit = Object.entries(t.Resources).find(
    ([, r]) =>
      r.Type === 'AWS::Lambda::Function' &&
      String(r.Metadata?.['aws:cdk:path'] ?? '').includes(`/${fragment}/Function/`),
  );
  if (!hit) throw new Error(`no function ${fragment} in the template`);
  return hit[0];
}

/** Every policy the template attaches to a function's role, resolved. */
export function rolePolicies(t: Template, d: Deployment, fnId: string): NamedPolicy[] {
  const resolve = resolver(t, d);
  const role = ((t.Resources[fnId]!.Properties!.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'] ?? [])[0]!;
  const out: NamedPolicy[] = [];
  const managed = (t.Resources[role]!.Properties!.ManagedPolicyArns as unknown[]) ?? [];
  for (const m of managed) {
    const arn = String(resolve(m));
    if (!arn.endsWith(':policy/service-role/AWSLambdaBasicExecutionRole'))
      throw new Error(`managed policy ${arn} is not modelled here`);
    out.push({ id: arn, name: 'AWSLambdaBasicExecutionRole', kind: 'aws-managed', document: BASIC_EXECUTION });
  }
  for (const [id, r] of Object.entries(t.Resources)) {
    if (r.Type !== 'AWS::IAM::Policy') continue;
    if (!JSON.stringify(r.Properties!.Roles).includes(`"Ref":"${role}"`)) continue;
    out.push({ id, name: id, kind: 'inline', document: resolve(r.Properties!.PolicyDocument) as PolicyDocument });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Calls -> IAM requests

const SERVICE_OF_CLIENT: Record<string, string> = {
  DynamoDBClient: 'dynamodb.amazonaws.com',
  S3Client: 's3.amazonaws.com',
  EventBridgeClient: 'events.amazonaws.com',
  SFNClient: 'states.amazonaws.com',
  SecretsManagerClient: 'secretsmanager.amazonaws.com',
  CloudTrailClient: 'cloudtrail.amazonaws.com',
  IAMClient: 'iam.amazonaws.com',
  STSClient: 'sts.amazonaws.com',
  BedrockAgentClient: 'bedrock-agent.amazonaws.com',
  EKSClient: 'eks.amazonaws.com',
  EC2Client: 'ec2.amazonaws.com',
  SQSClient: 'sqs.amazonaws.com',
};

export interface CallContext {
  account: string;
  /** The state machine whose task tokens the function answers (see resourcesOf). */
  stateMachineArn: string;
}

type In = Record<string, unknown>;
const s = (v: unknown) => String(v ?? '');

/** The resource ARNs a call acts on, by IAM action (only actions whose resource the call names). */
function resourcesOf(action: string, input: In, region: string, ctx: CallContext): string[] | undefined {
  const A = ctx.account;
  const [service, name] = action.split(':') as [string, string];
  switch (service) {
    case 'dynamodb': {
      const tables = input.RequestItems ? Object.keys(input.RequestItems as In) : [s(input.TableName)];
      const index = input.IndexName ? `/index/${s(input.IndexName)}` : '';
      return tables.map((tn) => `arn:aws:dynamodb:${region}:${A}:table/${tn}${index}`);
    }
    case 's3':
      return input.Key !== undefined
        ? [`arn:aws:s3:::${s(input.Bucket)}/${s(input.Key)}`]
        : [`arn:aws:s3:::${s(input.Bucket)}`];
    case 'events':
      return ((input.Entries as In[]) ?? []).map((e) => {
        const bus = s(e.EventBusName || 'default');
        return bus.startsWith('arn:') ? bus : `arn:aws:events:${region}:${A}:event-bus/${bus}`;
      });
    case 'states':
      // The token names no resource, yet AWS evaluates SendTask* against the state machine of the token's
      // execution: "not authorized to perform: states:SendTaskFailure on resource: arn:...:stateMachine:..."
      // (NOAA-OWP/hydrovis#837; aws-cdk#8486 found the state machine ARN works). The test knows the machine.
      return [ctx.stateMachineArn];
    case 'secretsmanager':
      return [s(input.SecretId)];
    case 'iam':
      if (input.PolicyArn) return [s(input.PolicyArn)];
      if (input.RoleName) return [`arn:aws:iam::${A}:role/${s(input.RoleName)}`];
      return undefined;
    case 'bedrock':
      if (input.resourceArn) return [s(input.resourceArn)];
      if (input.agentId) return [`arn:aws:bedrock:${region}:${A}:agent/${s(input.agentId)}`];
      return undefined;
    case 'eks':
      return [`arn:aws:eks:${region}:${A}:cluster/${s(input.name ?? input.clusterName)}`];
    case 'sqs': {
      // https://sqs.<region>.amazonaws.com/<account>/<name> (or the emulator's host): the path names the queue.
      const [account, queue] = new URL(s(input.QueueUrl)).pathname.split('/').filter(Boolean).slice(-2);
      return [`arn:aws:sqs:${region}:${account}:${queue}`];
    }
    default:
      return name ? undefined : undefined;
  }
}

export interface CallRequest {
  call: string;
  request: EvalRequest;
}

/** The IAM requests one recorded call makes; throws when the call's resource cannot be named. */
export function requestsOf(call: AwsCall, catalog: IamCatalog, ctx: CallContext): CallRequest[] {
  const source = SERVICE_OF_CLIENT[call.client];
  if (!source) throw new Error(`unknown SDK client ${call.client}: add it to SERVICE_OF_CLIENT`);
  const mapped = mapCloudTrailEvent(source, call.operation);
  if (!mapped.requiresPermission) return [];
  const region = call.region ?? 'us-east-1';
  const out: CallRequest[] = [];
  for (const action of mapped.actions) {
    const info = catalog.action(action);
    if (!info) throw new Error(`${action} (from ${call.client}.${call.operation}) is not in the IAM catalog`);
    const resources =
      info.wildcardOnly && !action.startsWith('states:') ? ['*'] : resourcesOf(action, call.input, region, ctx);
    if (!resources) throw new Error(`no resource mapping for ${action}: add it to resourcesOf`);
    const context = contextOf(action, call.input);
    for (const resource of resources)
      out.push({
        call: `${call.client}.${call.operation}`,
        request: { action: info.action, resource, ...(context ? { context } : {}) },
      });
  }
  return out;
}

/**
 * The condition keys a call puts in its request context, where a grant is conditioned on them (S3 sends the listed
 * prefix as `s3:prefix`; without one the key is absent, as IAM would see it).
 */
function contextOf(action: string, input: Record<string, unknown>): Record<string, string> | undefined {
  if ((action === 's3:ListBucket' || action === 's3:ListBucketVersions') && typeof input.Prefix === 'string')
    return { 's3:prefix': input.Prefix };
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// The check

export interface Verdict {
  /** `action resource: reason` for every call the role does not allow. */
  denied: string[];
  /** `policy#statement action` for every granted action no call used. */
  unused: string[];
  /** Distinct `action resource` pairs allowed. */
  allowed: string[];
}

export function check(policies: NamedPolicy[], requests: CallRequest[]): Verdict {
  const used = new Set<string>();
  const denied = new Set<string>();
  const allowed = new Set<string>();
  for (const { call, request } of requests) {
    const d = evaluate({ identity: policies }, request);
    if (d.decision !== 'allow') {
      denied.add(`${request.action} ${request.resource} (${call}): ${d.reason}`);
      continue;
    }
    allowed.add(`${request.action} ${request.resource}`);
    for (const ref of d.allowedBy) used.add(`${ref.policyId}#${ref.index} ${request.action.toLowerCase()}`);
  }
  const unused: string[] = [];
  for (const p of policies) {
    statements(p.document).forEach((st, i) => {
      if (st.Effect !== 'Allow') return;
      for (const a of ([] as string[]).concat(st.Action ?? [])) {
        const hit = [...used].some((u) => {
          const [ref, action] = u.split(' ') as [string, string];
          return ref === `${p.id}#${i}` && actionMatches(a, action);
        });
        if (!hit) unused.push(`${p.name}#${i} ${a}`);
      }
    });
  }
  return { denied: [...denied].sort(), unused: unused.sort(), allowed: [...allowed].sort() };
}
