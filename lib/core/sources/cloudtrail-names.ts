/**
 * What a CloudTrail record's API call is named in IAM: the service prefix of its eventSource, the IAM action of its
 * eventName, the resource ARN it acted on, and whether it is a deploy event. Memoized per (eventSource, eventName):
 * this runs once per record.
 */
import { str } from './util.ts';

/** eventSource host prefixes whose IAM service prefix differs. */
export const SERVICE_PREFIX: Readonly<Record<string, string>> = {
  'bedrock-runtime': 'bedrock',
  'bedrock-agent': 'bedrock',
  'bedrock-agent-runtime': 'bedrock',
  'bedrock-data-automation': 'bedrock',
  'bedrock-data-automation-runtime': 'bedrock',
  monitoring: 'cloudwatch',
  email: 'ses',
  'api.ecr': 'ecr',
  'api.ecr-public': 'ecr-public',
  'ecr-public': 'ecr-public',
  'runtime.lex': 'lex',
  'models.lex': 'lex',
  'runtime.sagemaker': 'sagemaker',
  'api.sagemaker': 'sagemaker',
  ssmmessages: 'ssmmessages',
  'ssm-messages': 'ssmmessages',
  'sso-directory': 'sso-directory',
  identitystore: 'identitystore',
  'data.iot': 'iot',
  'execute-api': 'execute-api',
  elasticfilesystem: 'elasticfilesystem',
  tagging: 'tag',
  'resource-explorer-2': 'resource-explorer-2',
  ec2messages: 'ec2messages',
};

/** CloudTrail event names that are not the IAM action name, keyed by `<service>:<eventName>`. */
export const ACTION_ALIASES: Readonly<Record<string, string>> = {
  'lambda:Invoke': 'InvokeFunction',
  'bedrock:Converse': 'InvokeModel',
  'bedrock:ConverseStream': 'InvokeModelWithResponseStream',
};

/** Events that change what an agent is (deploys); drift uses them as expected-evolution correlation. */
const DEPLOY_EVENTS: Readonly<Record<string, ReadonlySet<string>>> = {
  bedrock: new Set([
    'UpdateAgent',
    'PrepareAgent',
    'CreateAgent',
    'CreateAgentAlias',
    'UpdateAgentAlias',
    'CreateAgentActionGroup',
    'UpdateAgentActionGroup',
    'DeleteAgentActionGroup',
    'AssociateAgentKnowledgeBase',
    'UpdateAgentKnowledgeBase',
    'CreateGuardrailVersion',
    'UpdateGuardrail',
  ]),
  lambda: new Set(['UpdateFunctionCode', 'UpdateFunctionConfiguration', 'PublishVersion', 'CreateFunction']),
};
/** Services where every mutating (non read-only) event is a deploy event. */
const DEPLOY_SERVICES = new Set(['eks', 'ecr']);

/** The IAM service prefix of an eventSource (`bedrock-runtime.amazonaws.com` -> `bedrock`). */
export function servicePrefix(eventSource: string): string {
  const host = eventSource.toLowerCase().replace(/\.amazonaws\.com(\.cn)?$/, '');
  return SERVICE_PREFIX[host] ?? host;
}

/** The IAM action of an event name (`lambda` `Invoke` -> `InvokeFunction`). */
export function iamAction(service: string, eventName: string): string {
  const base = service === 'lambda' ? eventName.replace(/\d{8}(v\d+)?$/, '') : eventName;
  return ACTION_ALIASES[`${service}:${base}`] ?? base;
}

/** Service prefix and IAM action per `eventSource eventName`: an agent calls few distinct APIs, so this stays small. */
export interface ApiNames {
  service: string;
  action: string;
  /** The first-seen instances of eventSource and eventName, shared by every record that repeats them. */
  eventSource: string;
  eventName: string;
}
const apiMemo = new Map<string, Map<string, ApiNames>>();
let apiMemoSize = 0;
const API_MEMO_MAX = 20_000;
export function serviceAndAction(eventSource: string, eventName: string): ApiNames {
  let r = apiMemo.get(eventSource)?.get(eventName);
  if (r === undefined) {
    const service = servicePrefix(eventSource);
    r = { service, action: iamAction(service, eventName), eventSource, eventName };
    if (apiMemoSize >= API_MEMO_MAX) {
      apiMemo.clear();
      apiMemoSize = 0;
    }
    let bySource = apiMemo.get(eventSource);
    if (bySource === undefined) {
      bySource = new Map();
      apiMemo.set(eventSource, bySource);
    }
    bySource.set(eventName, r);
    apiMemoSize++;
  }
  return r;
}

/** A deploy event: changes what an agent is (drift correlates expected evolution with it). */
export function isDeployEvent(
  service: string,
  eventName: string,
  action: string,
  readOnly: boolean | undefined,
): boolean {
  if (DEPLOY_EVENTS[service]?.has(action) || DEPLOY_EVENTS[service]?.has(eventName)) return true;
  if (!DEPLOY_SERVICES.has(service)) return false;
  if (readOnly !== undefined) return !readOnly;
  return !/^(Describe|List|Get|BatchGet|BatchCheck)/.test(eventName);
}

/** The resource an API call acted on (`*` when the record names none). */
export function resourceOf(
  service: string,
  action: string,
  params: Record<string, unknown>,
  resources: { ARN?: string | null | undefined; type?: string | null | undefined }[],
  region: string | undefined,
  account: string | undefined,
): string {
  if (service === 's3') {
    const bucket = str(params.bucketName) ?? str(params.Bucket);
    const key = str(params.key) ?? str(params.Key);
    if (bucket) return key ? `arn:aws:s3:::${bucket}/${key}` : `arn:aws:s3:::${bucket}`;
  }
  if (service === 'bedrock') {
    const modelId = str(params.modelId);
    if (modelId) {
      if (modelId.startsWith('arn:')) return modelId;
      // Inference profile ids carry a geography prefix (us., eu., apac., global. ...); foundation models do not.
      if (/^(us|eu|apac|us-gov|global|jp|au|ca)\./.test(modelId) && region && account)
        return `arn:aws:bedrock:${region}:${account}:inference-profile/${modelId}`;
      if (region) return `arn:aws:bedrock:${region}::foundation-model/${modelId}`;
    }
    const agentId = str(params.agentId);
    const aliasId = str(params.agentAliasId);
    if (agentId && region && account)
      return aliasId
        ? `arn:aws:bedrock:${region}:${account}:agent-alias/${agentId}/${aliasId}`
        : `arn:aws:bedrock:${region}:${account}:agent/${agentId}`;
    const kbId = str(params.knowledgeBaseId);
    if (kbId && region && account) return `arn:aws:bedrock:${region}:${account}:knowledge-base/${kbId}`;
  }
  // The first ARN, or the first object ARN when there is one (a loop: most records have one resource or none).
  let first: string | undefined;
  for (let i = 0; i < resources.length; i++) {
    const r = resources[i] as (typeof resources)[number];
    if (typeof r.ARN !== 'string' || !r.ARN.startsWith('arn:')) continue;
    if (r.type?.endsWith('Object')) return r.ARN;
    first ??= r.ARN;
  }
  if (first) return first;
  if (service === 'lambda' && action === 'InvokeFunction') {
    const fn = str(params.functionName);
    if (fn?.startsWith('arn:')) return fn;
    if (fn && region && account) return `arn:aws:lambda:${region}:${account}:function:${fn}`;
  }
  return '*';
}
