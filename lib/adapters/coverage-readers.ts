/**
 * Reads what the coverage rules need from AWS: trails and their selectors (CloudTrail), Bedrock model invocation
 * logging (Bedrock), flow logs (EC2), the watched clusters' VPCs (EKS), and node-agent activity (the store). A
 * reader that fails (access denied, service not in the region) becomes a ReadError, so the check says `unknown`
 * instead of inventing a gap.
 */
import { BedrockClient, GetModelInvocationLoggingConfigurationCommand } from '@aws-sdk/client-bedrock';
import {
  CloudTrailClient,
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  GetTrailStatusCommand,
} from '@aws-sdk/client-cloudtrail';
import { DescribeFlowLogsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import type {
  BedrockLoggingInfo,
  ClusterInfo,
  CoverageInput,
  CoverageInputName,
  FlowLogInfo,
  NodeAgentInfo,
  ReadError,
  TrailInfo,
} from '../core/coverage/types.ts';
import { parseSubject } from '../core/observation.ts';
import type { Store } from '../ports.ts';

export interface CoverageClients {
  cloudtrail: CloudTrailClient;
  bedrock: BedrockClient;
  ec2: EC2Client;
  eks: EKSClient;
}

/** SDK clients for a region (and an endpoint, for emulators). */
export function coverageClients(config: {
  region: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}): CoverageClients {
  return {
    cloudtrail: new CloudTrailClient(config),
    bedrock: new BedrockClient(config),
    ec2: new EC2Client(config),
    eks: new EKSClient(config),
  };
}

function message(err: unknown): string {
  const e = err as { name?: string; message?: string };
  return [e.name, e.message].filter(Boolean).join(': ') || String(err);
}

export async function readTrails(client: CloudTrailClient): Promise<TrailInfo[]> {
  const out = await client.send(new DescribeTrailsCommand({ includeShadowTrails: true }));
  const trails: TrailInfo[] = [];
  for (const t of out.trailList ?? []) {
    const id = t.TrailARN ?? t.Name;
    if (!id) continue;
    const sel = await client.send(new GetEventSelectorsCommand({ TrailName: id }));
    let logging: boolean | undefined;
    try {
      logging = (await client.send(new GetTrailStatusCommand({ Name: id }))).IsLogging;
    } catch {
      // Status of a shadow trail may only be readable in its home region; selectors still tell what it would log.
      logging = undefined;
    }
    trails.push({
      name: t.Name ?? id,
      arn: t.TrailARN,
      homeRegion: t.HomeRegion,
      multiRegion: Boolean(t.IsMultiRegionTrail),
      logging,
      s3BucketName: t.S3BucketName,
      eventSelectors: (sel.EventSelectors ?? []).map((s) => ({
        readWriteType: s.ReadWriteType,
        includeManagementEvents: s.IncludeManagementEvents,
        dataResources: (s.DataResources ?? []).map((d) => ({ type: d.Type ?? '', values: d.Values ?? [] })),
      })),
      advancedEventSelectors: (sel.AdvancedEventSelectors ?? []).map((s) => ({
        name: s.Name,
        fieldSelectors: (s.FieldSelectors ?? []).map((f) => ({
          field: f.Field ?? '',
          equals: f.Equals,
          notEquals: f.NotEquals,
          startsWith: f.StartsWith,
          notStartsWith: f.NotStartsWith,
          endsWith: f.EndsWith,
          notEndsWith: f.NotEndsWith,
        })),
      })),
    });
  }
  return trails;
}

export async function readBedrockLogging(client: BedrockClient): Promise<BedrockLoggingInfo> {
  const out = await client.send(new GetModelInvocationLoggingConfigurationCommand({}));
  const cfg = out.loggingConfig;
  if (!cfg || (!cfg.s3Config?.bucketName && !cfg.cloudWatchConfig?.logGroupName)) return { configured: false };
  return {
    configured: true,
    s3BucketName: cfg.s3Config?.bucketName,
    cloudWatchLogGroup: cfg.cloudWatchConfig?.logGroupName,
    textDelivery: cfg.textDataDeliveryEnabled,
  };
}

export async function readClusters(client: EKSClient, names: string[]): Promise<ClusterInfo[]> {
  const out: ClusterInfo[] = [];
  for (const name of names) {
    try {
      const c = await client.send(new DescribeClusterCommand({ name }));
      out.push({ name, vpcId: c.cluster?.resourcesVpcConfig?.vpcId });
    } catch (err) {
      out.push({ name, error: message(err) });
    }
  }
  return out;
}

export async function readFlowLogs(client: EC2Client, vpcIds: string[]): Promise<FlowLogInfo[]> {
  if (vpcIds.length === 0) return [];
  const out = await client.send(new DescribeFlowLogsCommand({ Filter: [{ Name: 'resource-id', Values: vpcIds }] }));
  return (out.FlowLogs ?? []).map((f) => ({
    id: f.FlowLogId ?? '',
    resourceId: f.ResourceId ?? '',
    trafficType: f.TrafficType,
    destinationType: f.LogDestinationType,
    destination: f.LogDestination ?? f.LogGroupName,
    active: f.FlowLogStatus === undefined || f.FlowLogStatus === 'ACTIVE',
  }));
}

/**
 * Node-agent activity per cluster, from the store: the latest kernel-layer aggregate (only node agents observe the
 * kernel) of any `k8s:<cluster>/...` subject seen in the last `lookbackMs`.
 */
export async function readNodeAgents(
  store: Store,
  clusters: string[],
  now: Date,
  lookbackMs = 86_400_000,
): Promise<NodeAgentInfo[]> {
  const from = new Date(now.getTime() - lookbackMs).toISOString();
  const latest = new Map<string, string>();
  for (const s of await store.subjects()) {
    const p = parseSubject(s.subject);
    if (p?.kind !== 'k8s' || !p.scope || !clusters.includes(p.scope) || s.lastSeen < from) continue;
    const rows = await store.aggregates(s.subject, { from, layers: ['kernel'] });
    for (const r of rows) {
      const prev = latest.get(p.scope);
      if (!prev || r.lastSeen > prev) latest.set(p.scope, r.lastSeen);
    }
  }
  return clusters.map((cluster) => ({ cluster, lastReport: latest.get(cluster) }));
}

export interface ReadCoverageOptions {
  region: string;
  clients: CoverageClients;
  clusterNames: string[];
  store?: Store;
  now?: Date;
  /** Told of each reader that failed, with the error itself (the CLI names credential and endpoint failures). */
  onError?: (input: CoverageInputName, err: unknown) => void;
}

/** Runs every reader, turning failures into ReadErrors. */
export async function readCoverageInput(opts: ReadCoverageOptions): Promise<CoverageInput> {
  const now = opts.now ?? new Date();
  const readErrors: ReadError[] = [];
  async function attempt<T>(input: CoverageInputName, fallback: T, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      readErrors.push({ input, detail: message(err) });
      opts.onError?.(input, err);
      return fallback;
    }
  }
  const trails = await attempt('trails', [] as TrailInfo[], () => readTrails(opts.clients.cloudtrail));
  const bedrockLogging = await attempt('bedrock-logging', undefined as BedrockLoggingInfo | undefined, () =>
    readBedrockLogging(opts.clients.bedrock),
  );
  const clusters = await attempt('clusters', [] as ClusterInfo[], () =>
    readClusters(opts.clients.eks, opts.clusterNames),
  );
  const vpcIds = [...new Set(clusters.map((c) => c.vpcId).filter((v): v is string => Boolean(v)))];
  const flowLogs = await attempt('flow-logs', [] as FlowLogInfo[], () => readFlowLogs(opts.clients.ec2, vpcIds));
  const store = opts.store;
  const nodeAgents = store
    ? await attempt('node-agents', [] as NodeAgentInfo[], () => readNodeAgents(store, opts.clusterNames, now))
    : [];
  if (!store && opts.clusterNames.length > 0) readErrors.push({ input: 'node-agents', detail: 'no store given' });
  return {
    region: opts.region,
    now: now.toISOString(),
    trails,
    bedrockLogging,
    flowLogs,
    clusters,
    nodeAgents,
    readErrors,
  };
}
