/**
 * The CloudTrail record as the parser reads it: the fields it uses (zod schema, the contract), a fast check of the
 * same constraints for well-formed records, and the mapping of data-lake exports' lower-cased columns.
 */
import { z } from 'zod';
import { isObject, type JsonObject } from './util.ts';

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
export type CloudTrailRecord = z.infer<typeof recordSchema>;
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

const TOP_LEVEL_FIELDS = Object.keys(recordSchema.shape);
const BY_LOWER = new Map(TOP_LEVEL_FIELDS.map((k) => [k.toLowerCase(), k]));

/** Data-lake exports (Athena, Snowflake) lower-case column names: map top-level keys back to CloudTrail's case. */
export function canonicalCase(rec: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(rec)) {
    const c = BY_LOWER.get(k.toLowerCase()) ?? k;
    if (!(c in out) || c === k) out[c] = v;
  }
  return out;
}
