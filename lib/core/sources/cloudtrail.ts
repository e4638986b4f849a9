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
  boundedJson,
  boundedNum,
  hashId,
  isObject,
  type JsonObject,
  NUMERIC_BOUNDS,
  normalizeTime,
  obj,
  parseJson,
  RecentStrings,
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

/** Service prefix and IAM action per `eventSource eventName`: an agent calls few distinct APIs, so this stays small. */
interface ApiNames {
  service: string;
  action: string;
  /** The first-seen instances of eventSource and eventName, shared by every record that repeats them. */
  eventSource: string;
  eventName: string;
}
const apiMemo = new Map<string, Map<string, ApiNames>>();
let apiMemoSize = 0;
const API_MEMO_MAX = 20_000;
function serviceAndAction(eventSource: string, eventName: string): ApiNames {
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

// Plain functions and loops: this runs once per record.
function isStrOpt(v: unknown): boolean {
  return v === undefined || v === null || typeof v === 'string';
}
function isBoolish(v: unknown): boolean {
  return (
    v === undefined ||
    v === null ||
    typeof v === 'boolean' ||
    (typeof v === 'string' && (v === 'true' || v === 'false' || /^(true|false)$/i.test(v)))
  );
}
function isObjOpt(v: unknown): boolean {
  return v === undefined || v === null || isObject(v);
}
function allStrOpt(o: Record<string, unknown>, ks: readonly string[]): boolean {
  for (let i = 0; i < ks.length; i++) if (!isStrOpt(o[ks[i] as string])) return false;
  return true;
}
const ISSUER_STRINGS = ['type', 'arn', 'userName', 'accountId'] as const;
const RESOURCE_STRINGS = ['ARN', 'type', 'accountId'] as const;

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
  // Named loads (not a loop over a key list): records of one trail share a few shapes, so these stay fast.
  if (
    !isStrOpt(v.eventVersion) ||
    !isStrOpt(v.awsRegion) ||
    !isStrOpt(v.eventID) ||
    !isStrOpt(v.requestID) ||
    !isStrOpt(v.eventType) ||
    !isStrOpt(v.eventCategory) ||
    !isStrOpt(v.sourceIPAddress) ||
    !isStrOpt(v.userAgent) ||
    !isStrOpt(v.recipientAccountId) ||
    !isStrOpt(v.errorCode) ||
    !isStrOpt(v.errorMessage) ||
    !isStrOpt(v.sharedEventID) ||
    !isStrOpt(v.vpcEndpointId)
  )
    return false;
  if (!isBoolish(v.readOnly) || !isBoolish(v.managementEvent)) return false;
  if (!isObjOpt(v.requestParameters) || !isObjOpt(v.additionalEventData)) return false;
  const ui = v.userIdentity;
  if (ui !== undefined && ui !== null) {
    if (
      !isObject(ui) ||
      !isStrOpt(ui.type) ||
      !isStrOpt(ui.principalId) ||
      !isStrOpt(ui.arn) ||
      !isStrOpt(ui.accountId) ||
      !isStrOpt(ui.accessKeyId) ||
      !isStrOpt(ui.userName) ||
      !isStrOpt(ui.invokedBy)
    )
      return false;
    const sc = ui.sessionContext;
    if (sc !== undefined && sc !== null) {
      if (!isObject(sc) || !isStrOpt(sc.sourceIdentity)) return false;
      if (!isObjOpt(sc.webIdFederationData) || !isObjOpt(sc.sessionTags) || !isObjOpt(sc.principalTags)) return false;
      const si = sc.sessionIssuer;
      if (si !== undefined && si !== null && (!isObject(si) || !allStrOpt(si, ISSUER_STRINGS))) return false;
    }
  }
  const res = v.resources;
  if (res !== undefined && res !== null) {
    if (!Array.isArray(res)) return false;
    for (const r of res) if (!isObject(r) || !allStrOpt(r, RESOURCE_STRINGS)) return false;
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
  if (!isObject(value)) return fail('not-an-object', `expected a JSON object, got ${typeName(value)}`, input, ctx);
  let rec: unknown = value;
  let envelopeTime: string | undefined;
  if ('detail' in value && ('detail-type' in value || 'source' in value)) {
    if (!isObject(value.detail))
      return fail('wrong-type:detail', `expected object, got ${typeName(value.detail)}`, input, ctx);
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
      return fail(reason, detail, input, ctx);
    }
    ct = r.data;
  }
  const time = normalizeTime(ct.eventTime);
  if (!time)
    return fail(
      'invalid-time:eventTime',
      `unrecognized eventTime ${JSON.stringify(ct.eventTime).slice(0, 60)}`,
      input,
      ctx,
    );
  const bytes: Record<string, number> = {};
  const extra = ct.additionalEventData;
  if (extra)
    for (const f of ['bytesTransferredIn', 'bytesTransferredOut'] as const) {
      const b = boundedNum(extra[f], `additionalEventData.${f}`, NUMERIC_BOUNDS.bytes);
      if (!b.ok) {
        // A digit string CloudTrail never writes is not a count; a number past the bound is a forged record.
        if (b.reason.startsWith('out-of-range')) return fail(b.reason, b.detail, input, ctx);
      } else if (b.value !== undefined) bytes[f] = b.value;
    }
  return { observations: [toObservation(ct, time, value, bytes, ctx)], rejects: [] };
}

function fail(reason: string, detail: string, input: RecordInput, ctx: ParseContext): RecordResult {
  return { observations: [], rejects: [reject('cloudtrail', reason, detail, input, ctx.file)] };
}

const recent = {
  principal: new RecentStrings(),
  accessKey: new RecentStrings(),
  session: new RecentStrings(),
  userAgent: new RecentStrings(),
  resource: new RecentStrings(),
  key: new RecentStrings(),
};

/** `value` is the record as given (envelope included): a record without eventID is identified by its hash. */
function toObservation(
  ct: CloudTrailRecord,
  time: string,
  value: unknown,
  bytes: Record<string, number>,
  ctx: ParseContext,
): Observation {
  const { service, action, eventSource, eventName } = serviceAndAction(ct.eventSource, ct.eventName);
  const region = ct.awsRegion ?? undefined;
  const account = ct.recipientAccountId ?? ct.userIdentity?.accountId ?? undefined;
  const params = ct.requestParameters ?? {};
  const resource = resourceOf(service, action, params, ct.resources ?? [], region, account);
  const ui = ct.userIdentity;
  const issuer = ui?.sessionContext?.sessionIssuer;
  const principalArn = ui?.arn ? recent.principal.share(ui.arn) : undefined;
  const roleArn = issuer?.type === 'Role' ? (issuer.arn ?? undefined) : undefined;
  const sessionName = principalArn ? sessionNameOf(principalArn) : undefined;

  const correlation: Correlation = {};
  if (ct.eventID) correlation.eventId = ct.eventID;
  if (ct.requestID) correlation.requestId = ct.requestID;
  if (principalArn) correlation.principalArn = principalArn;
  if (ui?.accessKeyId) correlation.accessKeyId = recent.accessKey.share(ui.accessKeyId);
  if (issuer?.arn && sessionName) correlation.roleSession = recent.session.share(`${issuer.arn}/${sessionName}`);
  else if (issuer?.userName && sessionName)
    correlation.roleSession = recent.session.share(`${issuer.userName}/${sessionName}`);

  const ref: PrincipalRef = {};
  if (principalArn) ref.arn = principalArn;
  if (roleArn) ref.roleArn = roleArn;
  if (sessionName) ref.roleSessionName = sessionName;
  if (ui?.accessKeyId) ref.accessKeyId = ui.accessKeyId;
  const tags = sessionTagsOf(ct);
  if (tags) ref.sessionTags = tags;
  const webSub = webIdentitySubjectOf(ct);
  if (webSub) ref.webIdentitySubject = webSub;

  let subject =
    principalArn || roleArn || sessionName || ui?.accessKeyId || tags || webSub
      ? ctx.identity.byPrincipal(ref, time)
      : undefined;
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

  // Long values that repeat from record to record are shared (see RecentStrings); short or unique ones are not.
  const attrs: Record<string, AttrValue> = { eventName, eventSource };
  const readOnly = ct.readOnly === undefined || ct.readOnly === null ? undefined : isTrue(ct.readOnly);
  if (readOnly !== undefined) attrs.readOnly = readOnly;
  if (ct.eventType) attrs.eventType = ct.eventType;
  if (ct.eventCategory) attrs.eventCategory = ct.eventCategory;
  if (ct.managementEvent !== undefined && ct.managementEvent !== null)
    attrs.managementEvent = isTrue(ct.managementEvent);
  if (ct.sourceIPAddress) attrs.sourceIPAddress = ct.sourceIPAddress;
  if (ct.userAgent) attrs.userAgent = recent.userAgent.share(ct.userAgent.slice(0, 256));
  if (ct.recipientAccountId) attrs.recipientAccountId = ct.recipientAccountId;
  if (region) attrs.awsRegion = region;
  if (ct.errorCode) attrs.errorCode = ct.errorCode;
  if (ct.errorMessage) attrs.errorMessage = ct.errorMessage.slice(0, 512);
  if (ui?.type) attrs.identityType = ui.type;
  if (ct.vpcEndpointId) attrs.vpcEndpointId = ct.vpcEndpointId;
  if (resource !== '*') attrs.resource = recent.resource.share(resource);
  Object.assign(attrs, bytes);
  const modelId = str(params.modelId);
  if (service === 'bedrock' && modelId) attrs.modelId = modelId;
  if (isDeployEvent(service, ct.eventName, action, readOnly)) attrs.deployEvent = true;

  return {
    v: 1,
    // Hash of the parsed value, not of the text: the same record read through the splitter's fast path (which has
    // no raw text) or line by line gets the same id.
    id: ct.eventID ? `cloudtrail:${ct.eventID}` : hashId('cloudtrail', boundedJson(value)),
    time,
    source: 'cloudtrail',
    subject,
    layer: 'cloud-api',
    kind: 'api',
    key: recent.key.share(keys.api(service, action, resource === '*' ? undefined : resource)),
    count: 1,
    correlation,
    attrs,
  };
}

/** CloudTrail writes booleans as JSON booleans, some exports as `"true"` / `"TRUE"`. */
function isTrue(v: boolean | string): boolean {
  return v === true || (typeof v === 'string' && (v === 'true' || v.toLowerCase() === 'true'));
}

/** The session name of an assumed-role ARN (`arn:aws:sts::A:assumed-role/Role/session` -> `session`). */
function sessionNameOf(arn: string): string | undefined {
  const at = arn.indexOf(':assumed-role/');
  if (at < 0) return undefined;
  const slash = arn.indexOf('/', at + 14);
  // The role name is not empty, and neither is the session name (which may itself contain slashes).
  if (slash <= at + 14 || slash === arn.length - 1) return undefined;
  return arn.slice(slash + 1);
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

/** EKS Pod Identity session tags when the record carries them (AssumeRoleForPodIdentity, tagged sessions). */
function sessionTagsOf(ct: CloudTrailRecord): Record<string, string> | undefined {
  const sc = ct.userIdentity?.sessionContext;
  const params = ct.requestParameters ?? {};
  // Most records carry no tags at all: return before allocating.
  if (
    !sc?.sessionTags &&
    !sc?.principalTags &&
    !Array.isArray(params.tags) &&
    ct.eventName !== 'AssumeRoleForPodIdentity'
  )
    return undefined;
  const out: Record<string, string> = {};
  for (const t of [obj(sc?.sessionTags), obj(sc?.principalTags)])
    if (t) for (const [k, v] of Object.entries(t)) if (typeof v === 'string') out[k] = v;
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
  const fed = ui?.sessionContext?.webIdFederationData;
  if (!fed) return undefined;
  const attrs = obj(obj(fed)?.attributes);
  if (attrs)
    for (const k in attrs) {
      const v = attrs[k];
      if (typeof v === 'string' && v.startsWith('system:serviceaccount:')) return v;
    }
  return undefined;
}
