/**
 * A generated fleet of agents on EKS and the input Warden receives from it, per agent and hour:
 * - CloudTrail data events (S3 trail files, one per 5 minutes for the whole fleet): 32 Bedrock InvokeModel and
 *   28 tool calls (12 S3 GetObject, 12 DynamoDB GetItem, 4 S3 PutObject). The public tau-bench / tau2-bench sessions
 *   (../shared/data/public/agent-sessions) average 6.7 and 8.5 tool calls and about 8 model turns per session; an
 *   agent replica serving 4 sessions an hour gives these rates.
 * - CloudTrail management events (EventBridge): 4 (AssumeRoleWithWebIdentity, GetSecretValue, 2 kms:Decrypt).
 * - Node-agent records (HTTPS, one batch per node per minute, 10 agent pods per node): 8 per agent-minute, the
 *   agent's own aggregation (1 syscall-count record, 3 connects, 2 DNS answers, 2 file opens).
 * Seeded: the same parameters give the same bytes.
 */
import { gzipSync } from 'node:zlib';
import { Rng } from '../../lib/demo/rng.ts';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const AGENTS_PER_NODE = 10;
export const RATES = { dataEventsPerHour: 60, managementEventsPerHour: 4, nodeRecordsPerMinute: 8 } as const;
/** Input records per agent-hour. */
export const RECORDS_PER_AGENT_HOUR =
  RATES.dataEventsPerHour + RATES.managementEventsPerHour + RATES.nodeRecordsPerMinute * 60;

export interface Agent {
  i: number;
  namespace: string;
  name: string;
  role: string;
  ip: string;
}

export function fleet(n: number): Agent[] {
  return Array.from({ length: n }, (_, i) => ({
    i,
    namespace: `team-${i % 20}`,
    name: `agent-${i}`,
    role: `agent-${i}`,
    ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
  }));
}

const iso = (ms: number) => new Date(ms).toISOString();

const HOSTS: Record<string, (params: Record<string, unknown>) => string> = {
  's3.amazonaws.com': (p) => `${p.bucketName}.s3.${REGION}.amazonaws.com`,
  'bedrock.amazonaws.com': () => `bedrock-runtime.${REGION}.amazonaws.com`,
};

/** What CloudTrail puts in `resources` for the data events of this workload (none for its management events). */
function resourcesOf(name: string, params: Record<string, unknown>) {
  if (name.endsWith('Object'))
    return [
      { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${params.bucketName}/${params.key}` },
      { accountId: ACCOUNT, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${params.bucketName}` },
    ];
  if (name === 'InvokeModel')
    return [
      {
        accountId: ACCOUNT,
        type: 'AWS::Bedrock::Model',
        ARN: `arn:aws:bedrock:${REGION}::foundation-model/${params.modelId}`,
      },
    ];
  if (name === 'GetItem')
    return [
      {
        accountId: ACCOUNT,
        type: 'AWS::DynamoDB::Table',
        ARN: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${params.tableName}`,
      },
    ];
  return undefined;
}

/**
 * One CloudTrail record with the fields CloudTrail writes for a call by an EKS pod's IRSA role (session context with
 * the web identity federation, access key, TLS details, resources and S3's additional event data), so that its size,
 * which CloudTrail Lake bills, is a real record's: about 1.2-1.6 KB, against a median of 1.0 KB (mean 1.3 KB) for the
 * management events of the public Stratus Red Team detonation logs.
 */
function cloudTrailRecord(
  a: Agent,
  t: number,
  rng: Rng,
  source: string,
  name: string,
  params: Record<string, unknown>,
) {
  const roleId = `AROA${(0x5a17c0de + a.i).toString(16).toUpperCase().padStart(17, '0')}`;
  const data = source === 'bedrock.amazonaws.com' || name.endsWith('Object') || name === 'GetItem';
  const s3 = name.endsWith('Object');
  const resources = resourcesOf(name, params);
  return {
    eventVersion: '1.10',
    userIdentity: {
      type: 'AssumedRole',
      principalId: `${roleId}:pod-${a.name}`,
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${a.role}/pod-${a.name}`,
      accountId: ACCOUNT,
      accessKeyId: `ASIA${rng.hex(8).toUpperCase()}${rng.hex(4).toUpperCase()}`,
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: roleId,
          arn: `arn:aws:iam::${ACCOUNT}:role/${a.role}`,
          accountId: ACCOUNT,
          userName: a.role,
        },
        webIdFederationData: {
          federatedProvider: `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.eks.${REGION}.amazonaws.com/id/5C0FFEE0D15EA5E0B57ACE5EEDFACADE`,
          attributes: {},
        },
        attributes: { creationDate: iso(t - 1_800_000).replace(/\.\d{3}Z$/, 'Z'), mfaAuthenticated: 'false' },
      },
    },
    eventTime: iso(t).replace(/\.\d{3}Z$/, 'Z'),
    eventSource: source,
    eventName: name,
    awsRegion: REGION,
    sourceIPAddress: a.ip,
    userAgent: `aws-sdk-js/3.637.0 ua/2.1 os/linux#5.10.226-214.880.amzn2.x86_64 lang/js md/nodejs#22.11.0 api/${source.split('.')[0]}#3.637.0`,
    requestParameters: s3 ? { ...params, Host: HOSTS[source]?.(params) } : params,
    responseElements: null,
    ...(s3
      ? {
          additionalEventData: {
            SignatureVersion: 'SigV4',
            CipherSuite: 'TLS_AES_128_GCM_SHA256',
            bytesTransferredIn: name === 'PutObject' ? rng.int(200, 4000) : 0,
            AuthenticationMethod: 'AuthHeader',
            'x-amz-id-2': `${rng.hex(32)}${rng.hex(16)}=`,
            bytesTransferredOut: name === 'GetObject' ? rng.int(500, 20000) : 0,
          },
        }
      : {}),
    requestID: rng.hex(16).toUpperCase(),
    eventID: rng.uuid(),
    readOnly: name.startsWith('Get') || name === 'InvokeModel' || name === 'Decrypt',
    ...(resources ? { resources } : {}),
    eventType: 'AwsApiCall',
    managementEvent: !data,
    recipientAccountId: ACCOUNT,
    eventCategory: data ? 'Data' : 'Management',
    tlsDetails: {
      tlsVersion: 'TLSv1.3',
      cipherSuite: 'TLS_AES_128_GCM_SHA256',
      clientProvidedHostHeader: HOSTS[source]?.(params) ?? `${source.split('.')[0]}.${REGION}.amazonaws.com`,
    },
  };
}

/** The data events of one agent in [from, from + ms). */
function dataEvents(a: Agent, from: number, ms: number, rng: Rng) {
  const n = Math.round((RATES.dataEventsPerHour * ms) / 3_600_000);
  const out = [];
  for (let k = 0; k < n; k++) {
    const t = from + Math.floor(rng.next() * ms);
    const r = rng.next() * 60;
    if (r < 32)
      out.push(
        cloudTrailRecord(a, t, rng, 'bedrock.amazonaws.com', 'InvokeModel', {
          modelId: 'anthropic.claude-3-5-sonnet-20241022-v2:0',
        }),
      );
    else if (r < 44)
      out.push(
        cloudTrailRecord(a, t, rng, 's3.amazonaws.com', 'GetObject', {
          bucketName: 'kb-docs',
          key: `kb/${rng.int(1, 400)}.md`,
        }),
      );
    else if (r < 56)
      out.push(
        cloudTrailRecord(a, t, rng, 'dynamodb.amazonaws.com', 'GetItem', {
          tableName: 'tickets',
          key: { id: rng.hex(8) },
        }),
      );
    else
      out.push(
        cloudTrailRecord(a, t, rng, 's3.amazonaws.com', 'PutObject', {
          bucketName: 'ticket-notes',
          key: `n/${rng.hex(12)}.json`,
        }),
      );
  }
  return out;
}

/** Management events of one agent in one hour (EventBridge detail = the CloudTrail record). */
export function managementEvents(a: Agent, hour: number, rng: Rng) {
  const at = () => hour + Math.floor(rng.next() * 3_600_000);
  return [
    cloudTrailRecord(a, at(), rng, 'sts.amazonaws.com', 'AssumeRoleWithWebIdentity', {
      roleArn: `arn:aws:iam::${ACCOUNT}:role/${a.role}`,
    }),
    cloudTrailRecord(a, at(), rng, 'secretsmanager.amazonaws.com', 'GetSecretValue', { secretId: `agents/${a.name}` }),
    cloudTrailRecord(a, at(), rng, 'kms.amazonaws.com', 'Decrypt', { encryptionAlgorithm: 'SYMMETRIC_DEFAULT' }),
    cloudTrailRecord(a, at(), rng, 'kms.amazonaws.com', 'Decrypt', { encryptionAlgorithm: 'SYMMETRIC_DEFAULT' }),
  ];
}

/** The gzipped trail files of one hour: one per 5 minutes, holding every agent's data events of that window. */
export function trailFiles(
  agents: Agent[],
  hour: number,
  rng: Rng,
): { key: string; body: Buffer; records: number; rawBytes: number }[] {
  const files = [];
  for (let w = 0; w < 12; w++) {
    const from = hour + w * 300_000;
    const records = agents.flatMap((a) => dataEvents(a, from, 300_000, rng));
    const stamp = iso(from).replace(/[-:]/g, '').slice(0, 13);
    files.push({
      key: `AWSLogs/${ACCOUNT}/CloudTrail/${REGION}/${iso(from).slice(0, 10).replace(/-/g, '/')}/${ACCOUNT}_CloudTrail_${REGION}_${stamp}Z_${rng.hex(16)}.json.gz`,
      body: gzipSync(JSON.stringify({ Records: records })),
      records: records.length,
      rawBytes: records.reduce((n, r) => n + JSON.stringify(r).length, 0),
    });
  }
  return files;
}

const SYSCALLS = [
  'read',
  'write',
  'openat',
  'close',
  'fstat',
  'mmap',
  'futex',
  'epoll_wait',
  'recvfrom',
  'sendto',
  'connect',
  'socket',
];
const DESTS = ['52.217.10.4', '3.5.140.2', '34.223.12.9', '18.204.5.77'];

type Who = { namespace: string; deployment: string; pod: string };
/** One record of a node's per-minute batch (the node-agent batch schema, lib/core/sources/node-agent.ts). */
export type MinuteRecord =
  | { type: 'syscalls'; time: string; counts: Record<string, number>; attribution: Who }
  | { type: 'connect'; time: string; count: number; daddr: string; dport: number; attribution: Who }
  | { type: 'dns'; time: string; qname: string; count: number; attribution: Who }
  | { type: 'open'; time: string; path: string; count: number; attribution: Who };

/** One node's batch for one minute: the agents on it, 8 records each. */
export function nodeBatch(agents: Agent[], minute: number, rng: Rng, node: number) {
  const t = iso(minute);
  const records = agents.flatMap((a): MinuteRecord[] => {
    const who = { namespace: a.namespace, deployment: a.name, pod: `${a.name}-7d9f-${(a.i % 97).toString(36)}x` };
    const counts = Object.fromEntries(SYSCALLS.map((s) => [s, rng.int(5, 500)]));
    return [
      { type: 'syscalls', time: t, counts, attribution: who },
      ...[0, 1, 2].map(
        (k): MinuteRecord => ({
          type: 'connect',
          time: t,
          count: rng.int(1, 20),
          daddr: DESTS[(a.i + k) % DESTS.length] as string,
          dport: 443,
          attribution: who,
        }),
      ),
      {
        type: 'dns',
        time: t,
        qname: 'bedrock-runtime.us-east-1.amazonaws.com',
        count: rng.int(1, 5),
        attribution: who,
      },
      { type: 'dns', time: t, qname: 'kb-docs.s3.amazonaws.com', count: rng.int(1, 5), attribution: who },
      { type: 'open', time: t, path: '/app/prompts/system.txt', count: rng.int(1, 4), attribution: who },
      { type: 'open', time: t, path: `/tmp/work/${rng.int(1, 50)}.json`, count: 1, attribution: who },
    ];
  });
  return {
    schema: 'warden.node-agent/v1',
    agent: { node: `ip-10-0-${node >> 8}-${node & 255}`, cluster: 'prod', version: '0.1.0' },
    window: { start: t, end: iso(minute + 60_000) },
    records,
  };
}

/** Agents grouped onto nodes. */
export function nodesOf(agents: Agent[]): Agent[][] {
  const out: Agent[][] = [];
  for (let i = 0; i < agents.length; i += AGENTS_PER_NODE) out.push(agents.slice(i, i + AGENTS_PER_NODE));
  return out;
}

export { Rng };
