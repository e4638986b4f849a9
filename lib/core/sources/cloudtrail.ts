/**
 * CloudTrail parser: raw CloudTrail records (from trail files, bare arrays, NDJSON) and the EventBridge
 * "AWS API Call via CloudTrail" envelope (`detail` is the record). One observation per record:
 * layer `cloud-api`, kind `api`, key `api:<iam service prefix>:<action>:<resource>`.
 *
 * Service prefix from eventSource: `<prefix>.amazonaws.com` -> `<prefix>`, except the table {@link SERVICE_PREFIX}
 * (bedrock-runtime / bedrock-agent / bedrock-agent-runtime -> bedrock, monitoring -> cloudwatch, email -> ses,
 * api.ecr -> ecr, ...). Action: the eventName, with Lambda's API-version suffix removed
 * (`UpdateFunctionCode20150331v2` -> `UpdateFunctionCode`) and the few event names that differ from the IAM action
 * mapped ({@link ACTION_ALIASES}: Lambda `Invoke` -> `InvokeFunction`, Bedrock `Converse` -> `InvokeModel`,
 * `ConverseStream` -> `InvokeModelWithResponseStream`); attrs.eventName keeps the original.
 * Resource: S3 bucket/key from requestParameters (`arn:aws:s3:::bucket/key`, generalized to `bucket/*` by
 * canonicalArn); Bedrock model / agent alias / knowledge base ARNs from requestParameters; else the first ARN of
 * resources[] (object ARNs preferred); else `*`.
 */
import { z } from 'zod';
import type { BedrockAgentRef, PrincipalRef } from '../identity/types.ts';
import { type AttrValue, type Correlation, keys, type Observation, subjectIds } from '../observation.ts';
import type { ParseContext, RecordInput, RecordResult, SourceParser } from './types.ts';
import {
  hashId,
  isObject,
  type JsonObject,
  normalizeTime,
  num,
  obj,
  parseJson,
  reject,
  schemaReason,
  str,
  typeName,
} from './util.ts';

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

export function servicePrefix(eventSource: string): string {
  const host = eventSource.toLowerCase().replace(/\.amazonaws\.com(\.cn)?$/, '');
  return SERVICE_PREFIX[host] ?? host;
}

export function iamAction(service: string, eventName: string): string {
  const base = service === 'lambda' ? eventName.replace(/\d{8}(v\d+)?$/, '') : eventName;
  return ACTION_ALIASES[`${service}:${base}`] ?? base;
}

const strOpt = z.string().nullish();
/** A JSON object kept as is: validated by shape, not copied key by key (request parameters can be large). */
const jsonObject = z.custom<Record<string, unknown>>(isObject, { message: 'Expected object' });
const boolish = z.union([z.boolean(), z.string().regex(/^(true|false)$/i)]).nullish();
// Only the fields the parser reads are declared; the rest of the record is not copied (zod strips unknown keys from
// its output, the input stays intact for the excerpt).
const recordSchema = z.object({
  eventVersion: z.string().nullish(),
  eventTime: z.union([z.string(), z.number()]),
  eventSource: z.string().min(1),
  eventName: z.string().min(1),
  awsRegion: strOpt,
  eventID: strOpt,
  requestID: strOpt,
  eventType: strOpt,
  eventCategory: strOpt,
  readOnly: boolish,
  managementEvent: boolish,
  sourceIPAddress: strOpt,
  userAgent: strOpt,
  recipientAccountId: strOpt,
  errorCode: strOpt,
  errorMessage: strOpt,
  sharedEventID: strOpt,
  vpcEndpointId: strOpt,
  userIdentity: z
    .object({
      type: strOpt,
      principalId: strOpt,
      arn: strOpt,
      accountId: strOpt,
      accessKeyId: strOpt,
      userName: strOpt,
      invokedBy: strOpt,
      sessionContext: z
        .object({
          sessionIssuer: z.object({ type: strOpt, arn: strOpt, userName: strOpt, accountId: strOpt }).nullish(),
          webIdFederationData: jsonObject.nullish(),
          sourceIdentity: strOpt,
          sessionTags: jsonObject.nullish(),
          principalTags: jsonObject.nullish(),
        })
        .nullish(),
    })
    .nullish(),
  requestParameters: jsonObject.nullish(),
  responseElements: z.unknown().optional(),
  additionalEventData: jsonObject.nullish(),
  resources: z.array(z.object({ ARN: strOpt, type: strOpt, accountId: strOpt })).nullish(),
});
type CloudTrailRecord = z.infer<typeof recordSchema>;
export const cloudTrailRecordSchema = recordSchema;

const isStrOpt = (v: unknown) => v === undefined || v === null || typeof v === 'string';
const isBoolish = (v: unknown) =>
  v === undefined || v === null || typeof v === 'boolean' || (typeof v === 'string' && /^(true|false)$/i.test(v));
const isObjOpt = (v: unknown) => v === undefined || v === null || isObject(v);
const allStrOpt = (o: Record<string, unknown>, ks: readonly string[]) => ks.every((k) => isStrOpt(o[k]));
const TOP_STRINGS = [
  'eventVersion',
  'awsRegion',
  'eventID',
  'requestID',
  'eventType',
  'eventCategory',
  'sourceIPAddress',
  'userAgent',
  'recipientAccountId',
  'errorCode',
  'errorMessage',
  'sharedEventID',
  'vpcEndpointId',
] as const;
const IDENTITY_STRINGS = ['type', 'principalId', 'arn', 'accountId', 'accessKeyId', 'userName', 'invokedBy'] as const;

/**
 * The same constraints as {@link cloudTrailRecordSchema}, checked without building zod's output object: the hot path
 * for well-formed records (a trail file is thousands of them). A test asserts it agrees with the schema.
 */
export function matchesRecordSchema(v: unknown): v is CloudTrailRecord {
  if (!isObject(v)) return false;
  const t = v.eventTime;
  if (typeof t !== 'string' && typeof t !== 'number') return false;
  if (typeof v.eventSource !== 'string' || v.eventSource === '') return false;
  if (typeof v.eventName !== 'string' || v.eventName === '') return false;
  if (!allStrOpt(v, TOP_STRINGS) || !isBoolish(v.readOnly) || !isBoolish(v.managementEvent)) return false;
  if (!isObjOpt(v.requestParameters) || !isObjOpt(v.additionalEventData)) return false;
  const ui = v.userIdentity;
  if (ui !== undefined && ui !== null) {
    if (!isObject(ui) || !allStrOpt(ui, IDENTITY_STRINGS)) return false;
    const sc = ui.sessionContext;
    if (sc !== undefined && sc !== null) {
      if (!isObject(sc) || !isStrOpt(sc.sourceIdentity)) return false;
      if (!isObjOpt(sc.webIdFederationData) || !isObjOpt(sc.sessionTags) || !isObjOpt(sc.principalTags)) return false;
      const si = sc.sessionIssuer;
      if (
        si !== undefined &&
        si !== null &&
        (!isObject(si) || !allStrOpt(si, ['type', 'arn', 'userName', 'accountId']))
      )
        return false;
    }
  }
  const res = v.resources;
  if (res !== undefined && res !== null) {
    if (!Array.isArray(res)) return false;
    for (const r of res) if (!isObject(r) || !allStrOpt(r, ['ARN', 'type', 'accountId'])) return false;
  }
  return true;
}

export const cloudTrailParser: SourceParser = {
  source: 'cloudtrail',
  parse(input, ctx) {
    const p = parseJson(input.text);
    if (!p.ok) return { observations: [], rejects: [reject('cloudtrail', 'invalid-json', p.error, input, ctx.file)] };
    return parseCloudTrailValue(p.value, input, ctx);
  },
  parseValue: (value, input, ctx) => parseCloudTrailValue(value, input, ctx),
};

/** Parses one CloudTrail record or EventBridge envelope. */
export function parseCloudTrailValue(value: unknown, input: RecordInput, ctx: ParseContext): RecordResult {
  const fail = (reason: string, detail: string): RecordResult => ({
    observations: [],
    rejects: [reject('cloudtrail', reason, detail, input, ctx.file)],
  });
  if (!isObject(value)) return fail('not-an-object', `expected a JSON object, got ${typeName(value)}`);
  let rec: unknown = value;
  let envelopeTime: string | undefined;
  if ('detail' in value && ('detail-type' in value || 'source' in value)) {
    if (!isObject(value.detail)) return fail('wrong-type:detail', `expected object, got ${typeName(value.detail)}`);
    rec = value.detail;
    envelopeTime = str(value.time);
  }
  if (isObject(rec) && rec.eventName === undefined && rec.eventSource === undefined) rec = canonicalCase(rec);
  if (isObject(rec) && rec.eventTime === undefined && envelopeTime) rec = { ...rec, eventTime: envelopeTime };
  let ct: CloudTrailRecord;
  if (matchesRecordSchema(rec)) ct = rec;
  else {
    // The schema is the contract; it runs in full only for records the fast check refuses, to name the reason.
    const r = recordSchema.safeParse(rec);
    if (!r.success) {
      const { reason, detail } = schemaReason(r.error.issues, rec);
      return fail(reason, detail);
    }
    ct = r.data;
  }
  const time = normalizeTime(ct.eventTime);
  if (!time)
    return fail('invalid-time:eventTime', `unrecognized eventTime ${JSON.stringify(ct.eventTime).slice(0, 60)}`);
  return { observations: [toObservation(ct, time, input, ctx)], rejects: [] };
}

function toObservation(ct: CloudTrailRecord, time: string, input: RecordInput, ctx: ParseContext): Observation {
  const service = servicePrefix(ct.eventSource);
  const action = iamAction(service, ct.eventName);
  const region = ct.awsRegion ?? undefined;
  const account = ct.recipientAccountId ?? ct.userIdentity?.accountId ?? undefined;
  const params = ct.requestParameters ?? {};
  const resource = resourceOf(service, action, params, ct.resources ?? [], region, account);
  const ui = ct.userIdentity;
  const issuer = ui?.sessionContext?.sessionIssuer;
  const principalArn = ui?.arn ?? undefined;
  const roleArn = issuer?.type === 'Role' ? (issuer.arn ?? undefined) : undefined;
  const sessionName = principalArn ? /:assumed-role\/[^/]+\/(.+)$/.exec(principalArn)?.[1] : undefined;

  const correlation: Correlation = {};
  if (ct.eventID) correlation.eventId = ct.eventID;
  if (ct.requestID) correlation.requestId = ct.requestID;
  if (principalArn) correlation.principalArn = principalArn;
  if (ui?.accessKeyId) correlation.accessKeyId = ui.accessKeyId;
  if (issuer?.arn && sessionName) correlation.roleSession = `${issuer.arn}/${sessionName}`;
  else if (issuer?.userName && sessionName) correlation.roleSession = `${issuer.userName}/${sessionName}`;

  const ref: PrincipalRef = {};
  if (principalArn) ref.arn = principalArn;
  if (roleArn) ref.roleArn = roleArn;
  if (sessionName) ref.roleSessionName = sessionName;
  if (ui?.accessKeyId) ref.accessKeyId = ui.accessKeyId;
  const tags = sessionTagsOf(ct);
  if (tags) ref.sessionTags = tags;
  const webSub = webIdentitySubjectOf(ct);
  if (webSub) ref.webIdentitySubject = webSub;

  let subject = Object.keys(ref).length > 0 ? ctx.identity.byPrincipal(ref, time) : undefined;
  if (!subject && service === 'bedrock' && (action === 'InvokeAgent' || action === 'InvokeInlineAgent')) {
    const agentRef: BedrockAgentRef = {};
    const agentId = str(params.agentId);
    if (agentId) agentRef.agentId = agentId;
    const aliasId = str(params.agentAliasId);
    if (aliasId) agentRef.agentAliasId = aliasId;
    if (region) agentRef.region = region;
    if (roleArn) agentRef.roleArn = roleArn;
    subject = ctx.identity.byBedrockAgent(agentRef, time);
  }
  subject ??= subjectIds.unattributed(principalArn ?? ui?.invokedBy ?? ui?.principalId ?? account ?? 'unknown');

  const attrs: Record<string, AttrValue> = { eventName: ct.eventName, eventSource: ct.eventSource };
  const readOnly =
    ct.readOnly === undefined || ct.readOnly === null ? undefined : String(ct.readOnly).toLowerCase() === 'true';
  if (readOnly !== undefined) attrs.readOnly = readOnly;
  if (ct.eventType) attrs.eventType = ct.eventType;
  if (ct.eventCategory) attrs.eventCategory = ct.eventCategory;
  if (ct.managementEvent !== undefined && ct.managementEvent !== null)
    attrs.managementEvent = String(ct.managementEvent).toLowerCase() === 'true';
  if (ct.sourceIPAddress) attrs.sourceIPAddress = ct.sourceIPAddress;
  if (ct.userAgent) attrs.userAgent = ct.userAgent.slice(0, 256);
  if (ct.recipientAccountId) attrs.recipientAccountId = ct.recipientAccountId;
  if (region) attrs.awsRegion = region;
  if (ct.errorCode) attrs.errorCode = ct.errorCode;
  if (ct.errorMessage) attrs.errorMessage = ct.errorMessage.slice(0, 512);
  if (ui?.type) attrs.identityType = ui.type;
  if (ct.vpcEndpointId) attrs.vpcEndpointId = ct.vpcEndpointId;
  if (resource !== '*') attrs.resource = resource;
  const extra = ct.additionalEventData ?? {};
  for (const k of ['bytesTransferredIn', 'bytesTransferredOut'] as const) {
    const n = num(extra[k]);
    if (n !== undefined) attrs[k] = n;
  }
  const modelId = str(params.modelId);
  if (service === 'bedrock' && modelId) attrs.modelId = modelId;
  if (isDeployEvent(service, ct.eventName, action, readOnly)) attrs.deployEvent = true;

  return {
    v: 1,
    id: ct.eventID ? `cloudtrail:${ct.eventID}` : hashId('cloudtrail', input.text),
    time,
    source: 'cloudtrail',
    subject,
    layer: 'cloud-api',
    kind: 'api',
    key: keys.api(service, action, resource === '*' ? undefined : resource),
    count: 1,
    correlation,
    attrs,
  };
}

const TOP_LEVEL_FIELDS = Object.keys(recordSchema.shape);
const BY_LOWER = new Map(TOP_LEVEL_FIELDS.map((k) => [k.toLowerCase(), k]));

/** Data-lake exports (Athena, Snowflake) lower-case column names: map top-level keys back to CloudTrail's case. */
function canonicalCase(rec: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(rec)) {
    const c = BY_LOWER.get(k.toLowerCase()) ?? k;
    if (!(c in out) || c === k) out[c] = v;
  }
  return out;
}

function isDeployEvent(service: string, eventName: string, action: string, readOnly: boolean | undefined): boolean {
  if (DEPLOY_EVENTS[service]?.has(action) || DEPLOY_EVENTS[service]?.has(eventName)) return true;
  if (!DEPLOY_SERVICES.has(service)) return false;
  if (readOnly !== undefined) return !readOnly;
  return !/^(Describe|List|Get|BatchGet|BatchCheck)/.test(eventName);
}

function resourceOf(
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
  const arns = resources.filter((r) => typeof r.ARN === 'string' && r.ARN.startsWith('arn:'));
  const preferred = arns.find((r) => /Object$/.test(r.type ?? '')) ?? arns[0];
  if (preferred?.ARN) return preferred.ARN;
  if (service === 'lambda' && action === 'InvokeFunction') {
    const fn = str(params.functionName);
    if (fn?.startsWith('arn:')) return fn;
    if (fn && region && account) return `arn:aws:lambda:${region}:${account}:function:${fn}`;
  }
  return '*';
}

/** EKS Pod Identity session tags when the record carries them (AssumeRoleForPodIdentity, tagged sessions). */
function sessionTagsOf(ct: CloudTrailRecord): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  const sc = obj(ct.userIdentity?.sessionContext);
  for (const field of ['sessionTags', 'principalTags']) {
    const t = obj(sc?.[field]);
    if (t) for (const [k, v] of Object.entries(t)) if (typeof v === 'string') out[k] = v;
  }
  const params = ct.requestParameters ?? {};
  if (Array.isArray(params.tags))
    for (const t of params.tags)
      if (isObject(t) && typeof t.key === 'string' && typeof t.value === 'string') out[t.key] = t.value;
  if (ct.eventName === 'AssumeRoleForPodIdentity') {
    const resp = obj(ct.responseElements);
    const subj = obj(resp?.subject);
    if (typeof subj?.namespace === 'string') out['kubernetes-namespace'] = subj.namespace;
    if (typeof subj?.serviceAccount === 'string') out['kubernetes-service-account'] = subj.serviceAccount;
    const cluster = str(params.clusterName);
    if (cluster) out['eks-cluster-name'] = cluster;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function webIdentitySubjectOf(ct: CloudTrailRecord): string | undefined {
  const ui = ct.userIdentity;
  if (ui?.userName?.startsWith('system:serviceaccount:')) return ui.userName;
  const attrs = obj(obj(ui?.sessionContext?.webIdFederationData)?.attributes);
  for (const v of Object.values(attrs ?? {}))
    if (typeof v === 'string' && v.startsWith('system:serviceaccount:')) return v;
  return undefined;
}
