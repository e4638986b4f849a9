/**
 * Record builders in the real wire formats: CloudTrail records (eventVersion 1.09), Bedrock ModelInvocationLog 1.0
 * lines, Bedrock Agent TracePart objects (InvokeAgent trace stream), VPC flow log v2 lines and node-agent batches.
 */
import { NODE_AGENT_SCHEMA, type NodeAgentRecordInput } from '../../core/sources/node-agent.ts';
import type { Rng } from '../rng.ts';

export interface Principal {
  account: string;
  roleName: string;
  sessionName: string;
  roleId: string;
  accessKeyId: string;
  /** AssumedRoleWithWebIdentity for IRSA pods, AssumedRole otherwise. */
  webIdentity?: { provider: string };
}

/** The CloudTrail `userIdentity` of an assumed-role session. */
export function userIdentity(p: Principal, time: string): Record<string, unknown> {
  return {
    type: 'AssumedRole',
    principalId: `${p.roleId}:${p.sessionName}`,
    arn: `arn:aws:sts::${p.account}:assumed-role/${p.roleName}/${p.sessionName}`,
    accountId: p.account,
    accessKeyId: p.accessKeyId,
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: p.roleId,
        arn: `arn:aws:iam::${p.account}:role/${p.roleName}`,
        accountId: p.account,
        userName: p.roleName,
      },
      ...(p.webIdentity ? { webIdFederationData: { federatedProvider: p.webIdentity.provider, attributes: {} } } : {}),
      attributes: { creationDate: time, mfaAuthenticated: 'false' },
    },
  };
}

/** An S3 PutObject data event. */
export function s3PutObject(
  rng: Rng,
  p: Principal,
  time: string,
  region: string,
  bucket: string,
  key: string,
  bytes: number,
  sourceIp: string,
): Record<string, unknown> {
  return {
    eventVersion: '1.09',
    userIdentity: userIdentity(p, time),
    eventTime: time,
    eventSource: 's3.amazonaws.com',
    eventName: 'PutObject',
    awsRegion: region,
    sourceIPAddress: sourceIp,
    userAgent: '[aws-sdk-js/3.750.0 ua/2.1 os/linux lang/js md/nodejs#22.12.0 api/s3#3.750.0]',
    requestParameters: { bucketName: bucket, Host: `${bucket}.s3.${region}.amazonaws.com`, key },
    responseElements: null,
    additionalEventData: {
      SignatureVersion: 'SigV4',
      CipherSuite: 'TLS_AES_128_GCM_SHA256',
      bytesTransferredIn: bytes,
      AuthenticationMethod: 'AuthHeader',
      'x-amz-id-2': rng.hex(40),
      bytesTransferredOut: 0,
    },
    requestID: rng.upper(16),
    eventID: rng.uuid(),
    readOnly: false,
    resources: [
      { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${bucket}/${key}` },
      { accountId: p.account, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` },
    ],
    eventType: 'AwsApiCall',
    managementEvent: false,
    recipientAccountId: p.account,
    eventCategory: 'Data',
    tlsDetails: {
      tlsVersion: 'TLSv1.3',
      cipherSuite: 'TLS_AES_128_GCM_SHA256',
      clientProvidedHostHeader: `${bucket}.s3.${region}.amazonaws.com`,
    },
  };
}

/** A Bedrock agent management event (UpdateAgent, PrepareAgent, UpdateAgentAlias, UpdateAgentActionGroup ...). */
export function bedrockAgentEvent(
  rng: Rng,
  p: Principal,
  time: string,
  region: string,
  eventName: string,
  requestParameters: Record<string, unknown>,
): Record<string, unknown> {
  return {
    eventVersion: '1.09',
    userIdentity: userIdentity(p, time),
    eventTime: time,
    eventSource: 'bedrock.amazonaws.com',
    eventName,
    awsRegion: region,
    sourceIPAddress: '192.0.2.10',
    userAgent: 'aws-cli/2.22.0 md/command#bedrock-agent',
    requestParameters,
    responseElements: null,
    requestID: rng.uuid(),
    eventID: rng.uuid(),
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: p.account,
    eventCategory: 'Management',
  };
}

/** A ModelInvocationLog line of a Converse call. */
export function invocationLog(
  p: Principal,
  time: string,
  region: string,
  requestId: string,
  modelId: string,
  prompt: string,
  completion: string,
  tokens: { input: number; output: number },
): Record<string, unknown> {
  return {
    schemaType: 'ModelInvocationLog',
    schemaVersion: '1.0',
    timestamp: time,
    accountId: p.account,
    identity: { arn: `arn:aws:sts::${p.account}:assumed-role/${p.roleName}/${p.sessionName}` },
    region,
    requestId,
    operation: 'Converse',
    modelId,
    input: {
      inputContentType: 'application/json',
      inputBodyJson: {
        messages: [{ role: 'user', content: [{ text: prompt }] }],
        inferenceConfig: { maxTokens: 1024 },
      },
      inputTokenCount: tokens.input,
    },
    output: {
      outputContentType: 'application/json',
      outputBodyJson: {
        output: { message: { role: 'assistant', content: [{ text: completion }] } },
        stopReason: 'end_turn',
        metrics: { latencyMs: 900 + (tokens.output % 700) },
        usage: { inputTokens: tokens.input, outputTokens: tokens.output, totalTokens: tokens.input + tokens.output },
      },
      outputTokenCount: tokens.output,
    },
  };
}

interface TraceBase {
  agentId: string;
  agentAliasId: string;
  agentVersion: string;
  sessionId: string;
  region: string;
  account: string;
}

function tracePart(b: TraceBase, time: string, trace: Record<string, unknown>): Record<string, unknown> {
  return {
    agentId: b.agentId,
    agentAliasId: b.agentAliasId,
    agentVersion: b.agentVersion,
    sessionId: b.sessionId,
    eventTime: time,
    callerChain: [
      { agentAliasArn: `arn:aws:bedrock:${b.region}:${b.account}:agent-alias/${b.agentId}/${b.agentAliasId}` },
    ],
    trace,
  };
}

/** TracePart: the orchestration model input (carries the prompt, hence the ticket id). */
export function traceModelInput(b: TraceBase, time: string, traceId: string, model: string, text: string) {
  return tracePart(b, time, {
    orchestrationTrace: {
      modelInvocationInput: {
        traceId,
        type: 'ORCHESTRATION',
        foundationModel: model,
        text,
        inferenceConfiguration: { maximumLength: 2048, temperature: 0, topK: 250, topP: 1 },
      },
    },
  });
}

/** TracePart: an action group invocation (the tool call). */
export function traceToolCall(
  b: TraceBase,
  time: string,
  traceId: string,
  group: string,
  fn: string,
  params: Record<string, string>,
) {
  return tracePart(b, time, {
    orchestrationTrace: {
      invocationInput: {
        traceId,
        invocationType: 'ACTION_GROUP',
        actionGroupInvocationInput: {
          actionGroupName: group,
          function: fn,
          executionType: 'RETURN_CONTROL',
          parameters: Object.entries(params).map(([name, value]) => ({ name, type: 'string', value })),
        },
      },
    },
  });
}

/** TracePart: the final response observation. */
export function traceFinal(b: TraceBase, time: string, traceId: string, text: string) {
  return tracePart(b, time, {
    orchestrationTrace: { observation: { traceId, type: 'FINISH', finalResponse: { text } } },
  });
}

export type { TraceBase };

/** A VPC flow log v2 line. */
export function flowLine(
  account: string,
  eni: string,
  src: string,
  dst: string,
  srcPort: number,
  dstPort: number,
  packets: number,
  bytes: number,
  startSec: number,
  endSec: number,
): string {
  return `2 ${account} ${eni} ${src} ${dst} ${srcPort} ${dstPort} 6 ${packets} ${bytes} ${startSec} ${endSec} ACCEPT OK`;
}

/** A node-agent batch. */
export function nodeAgentBatch(
  node: string,
  cluster: string,
  start: string,
  end: string,
  records: NodeAgentRecordInput[],
): Record<string, unknown> {
  return {
    schema: NODE_AGENT_SCHEMA,
    agent: { node, cluster, version: '0.1.0' },
    window: { start, end },
    drops: {},
    records,
  };
}
