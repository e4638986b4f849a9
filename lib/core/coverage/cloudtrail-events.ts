/**
 * Which kind of CloudTrail event records the use of an IAM action: a management event (logged by a trail's default
 * selector), a data event of a resource type (logged only when a selector names that type), or no event at all
 * (permission-only actions, services without CloudTrail integration). Reconciliation uses it to decide whether "never
 * seen in CloudTrail" can mean "never used".
 *
 * The data-event table follows the CloudTrail User Guide "Logging data events" resource types; an action missing
 * from it is taken as a management event (CloudTrail's default for integrated services).
 *
 * @example cloudTrailEventClass('bedrock:InvokeAgent') // { kind: 'data', resourceType: 'AWS::Bedrock::AgentAlias', readOnly: false }
 */
import type { AccessLevel } from '../iam/catalog.ts';

export type EventClass =
  | { kind: 'management'; readOnly: boolean }
  | { kind: 'data'; resourceType: string; readOnly: boolean }
  | { kind: 'unlogged'; reason: string };

/** IAM actions (lower case) recorded as data events, by resource type. `read` marks read-only events. */
const DATA_EVENTS: { resourceType: string; actions: Record<string, 'read' | 'write'> }[] = [
  {
    resourceType: 'AWS::S3::Object',
    actions: {
      // Object-level operations and the bucket listings (ListObjects, HeadBucket) S3 logs as data events.
      's3:getobject': 'read',
      's3:getobjectversion': 'read',
      's3:getobjectacl': 'read',
      's3:getobjectversionacl': 'read',
      's3:getobjecttagging': 'read',
      's3:getobjectversiontagging': 'read',
      's3:getobjectattributes': 'read',
      's3:getobjectversionattributes': 'read',
      's3:getobjectretention': 'read',
      's3:getobjectlegalhold': 'read',
      's3:listbucket': 'read',
      's3:listbucketversions': 'read',
      's3:listbucketmultipartuploads': 'read',
      's3:listmultipartuploadparts': 'read',
      's3:putobject': 'write',
      's3:putobjectacl': 'write',
      's3:putobjectversionacl': 'write',
      's3:putobjecttagging': 'write',
      's3:putobjectversiontagging': 'write',
      's3:putobjectretention': 'write',
      's3:putobjectlegalhold': 'write',
      's3:deleteobject': 'write',
      's3:deleteobjectversion': 'write',
      's3:deleteobjecttagging': 'write',
      's3:deleteobjectversiontagging': 'write',
      's3:abortmultipartupload': 'write',
      's3:restoreobject': 'write',
    },
  },
  { resourceType: 'AWS::Lambda::Function', actions: { 'lambda:invokefunction': 'write' } },
  {
    resourceType: 'AWS::DynamoDB::Table',
    actions: {
      'dynamodb:getitem': 'read',
      'dynamodb:batchgetitem': 'read',
      'dynamodb:query': 'read',
      'dynamodb:scan': 'read',
      'dynamodb:conditioncheckitem': 'read',
      'dynamodb:partiqlselect': 'read',
      'dynamodb:putitem': 'write',
      'dynamodb:updateitem': 'write',
      'dynamodb:deleteitem': 'write',
      'dynamodb:batchwriteitem': 'write',
      'dynamodb:partiqlinsert': 'write',
      'dynamodb:partiqlupdate': 'write',
      'dynamodb:partiqldelete': 'write',
    },
  },
  { resourceType: 'AWS::Bedrock::AgentAlias', actions: { 'bedrock:invokeagent': 'write' } },
  { resourceType: 'AWS::Bedrock::InlineAgent', actions: { 'bedrock:invokeinlineagent': 'write' } },
  {
    resourceType: 'AWS::Bedrock::KnowledgeBase',
    actions: { 'bedrock:retrieve': 'read', 'bedrock:retrieveandgenerate': 'read' },
  },
  { resourceType: 'AWS::Bedrock::FlowAlias', actions: { 'bedrock:invokeflow': 'write' } },
  { resourceType: 'AWS::Bedrock::Guardrail', actions: { 'bedrock:applyguardrail': 'write' } },
  {
    resourceType: 'AWS::SQS::Queue',
    actions: {
      'sqs:sendmessage': 'write',
      'sqs:receivemessage': 'read',
      'sqs:deletemessage': 'write',
      'sqs:changemessagevisibility': 'write',
    },
  },
  { resourceType: 'AWS::SNS::Topic', actions: { 'sns:publish': 'write' } },
  {
    resourceType: 'AWS::Kinesis::Stream',
    actions: {
      'kinesis:putrecord': 'write',
      'kinesis:putrecords': 'write',
      'kinesis:getrecords': 'read',
      'kinesis:getsharditerator': 'read',
      'kinesis:subscribetoshard': 'read',
    },
  },
];

const DATA_BY_ACTION = new Map<string, { resourceType: string; readOnly: boolean }>();
for (const t of DATA_EVENTS)
  for (const [a, rw] of Object.entries(t.actions))
    DATA_BY_ACTION.set(a, { resourceType: t.resourceType, readOnly: rw === 'read' });

/**
 * Actions IAM checks that no CloudTrail event ever names: they are authorized as part of another call (passing a
 * role, tagging a session), so their use cannot be read from the log.
 */
const PERMISSION_ONLY: Record<string, string> = {
  'iam:passrole': 'checked when another call passes a role; never logged as its own event',
  'sts:tagsession': 'checked when a role session is tagged during AssumeRole; never logged as its own event',
  'sts:setsourceidentity': 'checked during AssumeRole; never logged as its own event',
  'sts:setcontext': 'checked during AssumeRole; never logged as its own event',
  'bedrock:invokemodelwithbidirectionalstream': 'a streaming session; not recorded per call',
};

/** Service prefixes whose API calls CloudTrail does not record (CloudTrail User Guide, unsupported services). */
const UNSUPPORTED_SERVICES: Record<string, string> = {
  sdb: 'Amazon SimpleDB is not integrated with CloudTrail',
};

/** The CloudTrail event class recording `action`; `level` (from the catalog) decides read-only for management events. */
export function cloudTrailEventClass(action: string, level?: AccessLevel): EventClass {
  const a = action.toLowerCase();
  const only = PERMISSION_ONLY[a];
  if (only) return { kind: 'unlogged', reason: only };
  const svc = a.split(':')[0] ?? '';
  const unsupported = UNSUPPORTED_SERVICES[svc];
  if (unsupported) return { kind: 'unlogged', reason: unsupported };
  const data = DATA_BY_ACTION.get(a);
  if (data) return { kind: 'data', ...data };
  return { kind: 'management', readOnly: level === 'read' || level === 'list' };
}

/** Human name of an event class, as a missing source: `CloudTrail data events for AWS::Bedrock::AgentAlias`. */
export function eventClassSource(c: EventClass): string {
  if (c.kind === 'data') return `CloudTrail data events for ${c.resourceType} (${c.readOnly ? 'read' : 'write'})`;
  if (c.kind === 'management') return `CloudTrail ${c.readOnly ? 'read-only' : 'write'} management events`;
  return `no CloudTrail event (${c.reason})`;
}
