/**
 * CloudTrail parser: raw CloudTrail records (from trail files, bare arrays, NDJSON) and the EventBridge
 * "AWS API Call via CloudTrail" envelope (`detail` is the record). One observation per record:
 * layer `cloud-api`, kind `api`, key `api:<iam service prefix>:<action>:<resource>`.
 *
 * Service prefix from eventSource: `<prefix>.amazonaws.com` -> `<prefix>`, except the table `SERVICE_PREFIX`
 * (bedrock-runtime / bedrock-agent / bedrock-agent-runtime -> bedrock, monitoring -> cloudwatch, email -> ses,
 * api.ecr -> ecr, ...). Action: the eventName, with Lambda's API-version suffix removed
 * (`UpdateFunctionCode20150331v2` -> `UpdateFunctionCode`) and the few event names that differ from the IAM action
 * mapped (`ACTION_ALIASES`: Lambda `Invoke` -> `InvokeFunction`, Bedrock `Converse` -> `InvokeModel`,
 * `ConverseStream` -> `InvokeModelWithResponseStream`); attrs.eventName keeps the original.
 * Resource: S3 bucket/key from requestParameters (`arn:aws:s3:::bucket/key`, generalized to `bucket/*` by
 * canonicalArn); Bedrock model / agent alias / knowledge base ARNs from requestParameters; else the first ARN of
 * resources[] (object ARNs preferred); else `*`. The naming is cloudtrail-names.ts, the record's schema
 * cloudtrail-schema.ts.
 */
import type { BedrockAgentRef, PrincipalRef } from '../identity/types.ts';
import { type AttrValue, type Correlation, keys, type Observation, subjectIds } from '../observation.ts';
import { isDeployEvent, resourceOf, serviceAndAction } from './cloudtrail-names.ts';
import {
  type CloudTrailRecord,
  canonicalCase,
  cloudTrailRecordSchema,
  matchesRecordSchema,
} from './cloudtrail-schema.ts';
import type { ParseContext, RecordInput, RecordResult, SourceParser } from './types.ts';
import {
  boundedJson,
  boundedNum,
  hashId,
  isObject,
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

export { iamAction, servicePrefix } from './cloudtrail-names.ts';

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
    const r = cloudTrailRecordSchema.safeParse(rec);
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
/** No sharing, for a caller that folds each observation as it is parsed (see ParseContext.shareStrings). */
const same = { share: (s: string) => s };
const unshared: Record<keyof typeof recent, { share(s: string): string }> = {
  principal: same,
  accessKey: same,
  session: same,
  userAgent: same,
  resource: same,
  key: same,
};

/** `value` is the record as given (envelope included): a record without eventID is identified by its hash. */
function toObservation(
  ct: CloudTrailRecord,
  time: string,
  value: unknown,
  bytes: Record<string, number>,
  ctx: ParseContext,
): Observation {
  const shared = ctx.shareStrings === false ? unshared : recent;
  const { service, action, eventSource, eventName } = serviceAndAction(ct.eventSource, ct.eventName);
  const region = ct.awsRegion ?? undefined;
  const account = ct.recipientAccountId ?? ct.userIdentity?.accountId ?? undefined;
  const params = ct.requestParameters ?? {};
  const resource = resourceOf(service, action, params, ct.resources ?? [], region, account);
  const ui = ct.userIdentity;
  const issuer = ui?.sessionContext?.sessionIssuer;
  const principalArn = ui?.arn ? shared.principal.share(ui.arn) : undefined;
  const roleArn = issuer?.type === 'Role' ? (issuer.arn ?? undefined) : undefined;
  const sessionName = principalArn ? sessionNameOf(principalArn) : undefined;

  const correlation: Correlation = {};
  if (ct.eventID) correlation.eventId = ct.eventID;
  if (ct.requestID) correlation.requestId = ct.requestID;
  if (principalArn) correlation.principalArn = principalArn;
  if (ui?.accessKeyId) correlation.accessKeyId = shared.accessKey.share(ui.accessKeyId);
  if (issuer?.arn && sessionName) correlation.roleSession = shared.session.share(`${issuer.arn}/${sessionName}`);
  else if (issuer?.userName && sessionName)
    correlation.roleSession = shared.session.share(`${issuer.userName}/${sessionName}`);

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
  if (ct.userAgent) attrs.userAgent = shared.userAgent.share(ct.userAgent.slice(0, 256));
  if (ct.recipientAccountId) attrs.recipientAccountId = ct.recipientAccountId;
  if (region) attrs.awsRegion = region;
  if (ct.errorCode) attrs.errorCode = ct.errorCode;
  if (ct.errorMessage) attrs.errorMessage = ct.errorMessage.slice(0, 512);
  if (ui?.type) attrs.identityType = ui.type;
  if (ct.vpcEndpointId) attrs.vpcEndpointId = ct.vpcEndpointId;
  if (resource !== '*') attrs.resource = shared.resource.share(resource);
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
    key: shared.key.share(keys.api(service, action, resource === '*' ? undefined : resource)),
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
