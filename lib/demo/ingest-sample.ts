/**
 * Generates realistic telemetry in the sources' real formats, deterministically from a seed: CloudTrail S3 trail
 * files (`{"Records":[...]}`, gzip) and VPC flow log v2 files (gzip), one of each per hour, for two agents in one EKS
 * cluster. Used by bench/ingest.ts (weeks of similar activity) and the ingest and store
 * contract tests; `warden demo` uses the richer world of ./world.ts instead.
 *
 * The cast: `support-agent` (customer-support: reads tickets, calls Claude on Bedrock, talks to Zendesk and
 * Salesforce, reads its knowledge bucket) and `code-runner` (code-execution: pulls packages, writes results to S3).
 */
import { gzipSync } from 'node:zlib';
import type { IdentityMaps } from '../core/identity/resolver.ts';
import { Rng } from './rng.ts';

export const SAMPLE_ACCOUNT = '111122223333';
export const SAMPLE_REGION = 'us-east-1';
export const SAMPLE_CLUSTER = 'prod';

export interface SampleAgent {
  deployment: string;
  namespace: string;
  serviceAccount: string;
  role: string;
  podIp: string;
  /** API calls per unit of work: [eventSource, eventName, resource builder]. */
  calls: Array<{
    source: string;
    name: string;
    params: (i: number) => Record<string, unknown>;
    resources?: (i: number) => string[];
  }>;
  /** Egress destinations (ip, port) contacted per unit of work. */
  egress: Array<{ ip: string; port: number }>;
  /** Units of work per hour (tickets handled, jobs run). */
  perHour: number;
}

const MODEL = 'anthropic.claude-3-5-sonnet-20241022-v2:0';

export const SAMPLE_AGENTS: SampleAgent[] = [
  {
    deployment: 'support-agent',
    namespace: 'support',
    serviceAccount: 'support-agent',
    role: 'support-agent-irsa',
    podIp: '10.0.1.23',
    perHour: 12,
    calls: [
      {
        source: 'bedrock.amazonaws.com',
        name: 'InvokeModel',
        params: () => ({ modelId: MODEL }),
        resources: () => [`arn:aws:bedrock:${SAMPLE_REGION}::foundation-model/${MODEL}`],
      },
      {
        source: 's3.amazonaws.com',
        name: 'GetObject',
        params: (i) => ({ bucketName: 'acme-support-kb', key: `articles/a-${i % 40}.md` }),
        resources: (i) => [`arn:aws:s3:::acme-support-kb/articles/a-${i % 40}.md`],
      },
      {
        source: 'dynamodb.amazonaws.com',
        name: 'GetItem',
        params: () => ({ tableName: 'tickets' }),
        resources: () => [`arn:aws:dynamodb:${SAMPLE_REGION}:${SAMPLE_ACCOUNT}:table/tickets`],
      },
    ],
    egress: [
      { ip: '104.16.51.111', port: 443 },
      { ip: '13.110.54.10', port: 443 },
    ],
  },
  {
    deployment: 'code-runner',
    namespace: 'analytics',
    serviceAccount: 'code-runner',
    role: 'code-runner-irsa',
    podIp: '10.0.2.41',
    perHour: 4,
    calls: [
      {
        source: 's3.amazonaws.com',
        name: 'PutObject',
        params: (i) => ({ bucketName: 'acme-analytics-results', key: `runs/${i}.parquet` }),
        resources: (i) => [`arn:aws:s3:::acme-analytics-results/runs/${i}.parquet`],
      },
      {
        source: 'sts.amazonaws.com',
        name: 'GetCallerIdentity',
        params: () => ({}),
      },
    ],
    egress: [{ ip: '151.101.0.223', port: 443 }],
  },
];

export interface SampleFile {
  /** Relative path, in the layout AWS delivers to S3. */
  path: string;
  bytes: Uint8Array;
  records: number;
  source: 'cloudtrail' | 'vpc-flow';
}

export interface SampleOptions {
  start?: string;
  hours?: number;
  seed?: number;
  /** Multiplies every agent's work per hour (bench streams use more). */
  scale?: number;
  /** gzip the files (as AWS delivers them); default true. */
  gzip?: boolean;
}

/** AWS-style uuid (30 hex digits drawn, version and variant fixed). */
function uuid(r: Rng): string {
  return `${r.hex(8)}-${r.hex(4)}-4${r.hex(3)}-a${r.hex(3)}-${r.hex(12)}`;
}

const compact = (iso: string) => iso.replace(/[-:]/g, '').slice(0, 13);

/** Generates one CloudTrail trail file and one VPC flow log file per hour. */
export function generateSample(opts: SampleOptions = {}): SampleFile[] {
  const start = new Date(opts.start ?? '2026-10-05T08:00:00.000Z').getTime();
  const hours = opts.hours ?? 6;
  const scale = opts.scale ?? 1;
  const r = new Rng(opts.seed ?? 7);
  const gz = opts.gzip ?? true;
  const files: SampleFile[] = [];
  let seq = 0;
  for (let h = 0; h < hours; h++) {
    const hourStart = start + h * 3_600_000;
    const records: Record<string, unknown>[] = [];
    const flows: string[] = [];
    for (const agent of SAMPLE_AGENTS) {
      const units = Math.max(1, Math.round(agent.perHour * scale * (0.7 + 0.6 * r.next())));
      for (let u = 0; u < units; u++) {
        const t0 = hourStart + Math.floor(r.next() * 3_590_000);
        const session = `botocore-session-${Math.floor(hourStart / 86_400_000)}`;
        for (const [ci, call] of agent.calls.entries()) {
          seq++;
          records.push(cloudTrailRecord(r, agent, call, seq, new Date(t0 + ci * 700).toISOString(), session));
        }
        for (const dst of agent.egress) {
          const sport = 32768 + Math.floor(r.next() * 28000);
          const begin = Math.floor((t0 + 200) / 1000);
          const pk = 4 + Math.floor(r.next() * 30);
          flows.push(
            `2 ${SAMPLE_ACCOUNT} eni-0a1b2c3d4e5f${agent.podIp.endsWith('23') ? '6071' : '6082'} ${agent.podIp} ${dst.ip} ${sport} ${dst.port} 6 ${pk} ${pk * 420} ${begin} ${begin + 60} ACCEPT OK`,
          );
        }
      }
    }
    records.sort((a, b) => String(a.eventTime).localeCompare(String(b.eventTime)));
    const iso = new Date(hourStart).toISOString();
    const day = iso.slice(0, 10).replace(/-/g, '/');
    const ct = Buffer.from(JSON.stringify({ Records: records }));
    files.push({
      path: `AWSLogs/${SAMPLE_ACCOUNT}/CloudTrail/${SAMPLE_REGION}/${day}/${SAMPLE_ACCOUNT}_CloudTrail_${SAMPLE_REGION}_${compact(iso)}Z_${r.hex(16)}.json${gz ? '.gz' : ''}`,
      bytes: gz ? gzipSync(ct) : ct,
      records: records.length,
      source: 'cloudtrail',
    });
    // Two NODATA-free lines per flow are typical; keep one per connection for a compact sample.
    const vpc = Buffer.from(`${flows.join('\n')}\n`);
    files.push({
      path: `AWSLogs/${SAMPLE_ACCOUNT}/vpcflowlogs/${SAMPLE_REGION}/${day}/${SAMPLE_ACCOUNT}_vpcflowlogs_${SAMPLE_REGION}_fl-0123456789abcdef0_${compact(iso)}Z_${r.hex(8)}.log${gz ? '.gz' : ''}`,
      bytes: gz ? gzipSync(vpc) : vpc,
      records: flows.length,
      source: 'vpc-flow',
    });
  }
  return files;
}

function cloudTrailRecord(
  r: Rng,
  agent: SampleAgent,
  call: SampleAgent['calls'][number],
  seq: number,
  time: string,
  session: string,
): Record<string, unknown> {
  const roleArn = `arn:aws:iam::${SAMPLE_ACCOUNT}:role/${agent.role}`;
  const isData = call.source === 's3.amazonaws.com' || call.source === 'dynamodb.amazonaws.com';
  return {
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      principalId: `AROA${r.hex(16).toUpperCase()}:${session}`,
      arn: `arn:aws:sts::${SAMPLE_ACCOUNT}:assumed-role/${agent.role}/${session}`,
      accountId: SAMPLE_ACCOUNT,
      accessKeyId: `ASIA${r.hex(16).toUpperCase()}`,
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: 'AROAEXAMPLEROLEID0001',
          arn: roleArn,
          accountId: SAMPLE_ACCOUNT,
          userName: agent.role,
        },
        webIdFederationData: {
          federatedProvider: `arn:aws:iam::${SAMPLE_ACCOUNT}:oidc-provider/oidc.eks.${SAMPLE_REGION}.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE`,
          attributes: {},
        },
        attributes: { creationDate: `${time.slice(0, 10)}T00:00:00Z`, mfaAuthenticated: 'false' },
      },
    },
    eventTime: `${time.slice(0, 19)}Z`,
    eventSource: call.source,
    eventName: call.name,
    awsRegion: SAMPLE_REGION,
    sourceIPAddress: agent.podIp,
    userAgent: 'Boto3/1.35.36 md/Botocore#1.35.36 ua/2.0 os/linux#6.1 md/arch#x86_64 lang/python#3.12.7',
    requestParameters: call.params(seq),
    responseElements: null,
    ...(call.name === 'GetObject'
      ? { additionalEventData: { bytesTransferredOut: 2000 + Math.floor(r.next() * 8000) } }
      : {}),
    ...(call.name === 'PutObject'
      ? { additionalEventData: { bytesTransferredIn: 40000 + Math.floor(r.next() * 9000) } }
      : {}),
    requestID: r.hex(16).toUpperCase(),
    eventID: uuid(r),
    readOnly: call.name !== 'PutObject',
    ...(call.resources
      ? {
          resources: call
            .resources(seq)
            .map((arn) => ({ accountId: SAMPLE_ACCOUNT, type: resourceType(arn), ARN: arn })),
        }
      : {}),
    eventType: 'AwsApiCall',
    managementEvent: !isData,
    recipientAccountId: SAMPLE_ACCOUNT,
    eventCategory: isData ? 'Data' : 'Management',
  };
}

function resourceType(arn: string): string {
  if (arn.startsWith('arn:aws:s3:::')) return 'AWS::S3::Object';
  if (arn.includes(':dynamodb:')) return 'AWS::DynamoDB::Table';
  return 'AWS::Bedrock::Model';
}

/** The identity maps that attribute the sample's roles and pod IPs to their Deployments. */
export function sampleIdentityMaps(start = '2026-10-01T00:00:00.000Z'): IdentityMaps {
  return {
    workloads: SAMPLE_AGENTS.map((a) => ({
      cluster: SAMPLE_CLUSTER,
      namespace: a.namespace,
      deployment: a.deployment,
      serviceAccount: a.serviceAccount,
    })),
    irsa: SAMPLE_AGENTS.map((a) => ({
      roleArn: `arn:aws:iam::${SAMPLE_ACCOUNT}:role/${a.role}`,
      cluster: SAMPLE_CLUSTER,
      namespace: a.namespace,
      serviceAccount: a.serviceAccount,
    })),
    leases: SAMPLE_AGENTS.map((a) => ({
      ip: a.podIp,
      subject: `k8s:${SAMPLE_CLUSTER}/${a.namespace}/${a.deployment}`,
      cluster: SAMPLE_CLUSTER,
      namespace: a.namespace,
      pod: `${a.deployment}-7d9f8c6b5-x2x4q`,
      from: start,
      to: null,
    })),
    defaultRegion: SAMPLE_REGION,
  };
}
