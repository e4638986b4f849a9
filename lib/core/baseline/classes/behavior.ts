/** Behavior predicates over canonical keys, shared by class inference and class-baseline checks. */

const INTERPRETERS =
  /\/(python[0-9.]*|sh|bash|dash|zsh|ash|busybox|node|deno|bun|ruby|perl|php|lua|R|Rscript|java|pwsh)$/;
const TEMP_DIRS = /^exec:\/(tmp|var\/tmp|dev\/shm|run\/user)\//;
const READ_PREFIX =
  /^(Get|List|Describe|Retrieve|Query|Scan|Search|Select|BatchGet|Head|Lookup|Read|View|Check|Validate)/;
/** Calls that neither read nor write customer data: model use, credentials. */
const NEUTRAL = new Set([
  'bedrock:InvokeModel',
  'bedrock:InvokeModelWithResponseStream',
  'bedrock:Converse',
  'bedrock:ConverseStream',
  'bedrock:ApplyGuardrail',
  'sts:AssumeRole',
  'sts:AssumeRoleWithWebIdentity',
  'sts:GetCallerIdentity',
  'kms:Decrypt',
  'kms:GenerateDataKey',
  'logs:CreateLogStream',
  'logs:PutLogEvents',
  'xray:PutTraceSegments',
]);
const AGENT_INVOKE = new Set(['bedrock:InvokeAgent', 'bedrock:InvokeInlineAgent', 'bedrock-agent-runtime:InvokeAgent']);
const SUPPORT_HINT = /(ticket|zendesk|salesforce|freshdesk|intercom|servicenow|helpdesk|customer)/i;
const IMDS = /^net:egress:(169\.254\.169\.254\/32|fd00:ec2::254\/128):/;

export function isInterpreterExec(key: string): boolean {
  return key.startsWith('exec:') && INTERPRETERS.test(key.slice(5));
}

export function isTempExec(key: string): boolean {
  return TEMP_DIRS.test(key);
}

/** `api:<service>:<Action>:<resource>` -> { service, action }; undefined for other keys. */
export function apiAction(key: string): { service: string; action: string } | undefined {
  const m = /^api:([^:]+):([^:]+):/.exec(key);
  return m ? { service: m[1]!, action: m[2]! } : undefined;
}

export type ApiAccess = 'read' | 'write' | 'neutral' | 'agent';

export function apiAccess(key: string): ApiAccess | undefined {
  const a = apiAction(key);
  if (!a) return undefined;
  const id = `${a.service}:${a.action}`;
  if (AGENT_INVOKE.has(id)) return 'agent';
  if (NEUTRAL.has(id)) return 'neutral';
  return READ_PREFIX.test(a.action) ? 'read' : 'write';
}

export function isAgentInvocation(key: string): boolean {
  return key.startsWith('agent:') || apiAccess(key) === 'agent';
}

export function isSupportHint(key: string): boolean {
  return (key.startsWith('tool:') || key.startsWith('dns:') || key.startsWith('mcp:')) && SUPPORT_HINT.test(key);
}

export function isImdsAccess(key: string): boolean {
  return IMDS.test(key);
}

/** In-cluster or link-local destinations that a deny-all posture still permits (DNS, the pod network). */
export function isClusterLocalEgress(key: string): boolean {
  return /^net:egress:(10\.|172\.(1[6-9]|2\d|3[01])\.|192\.168\.)/.test(key) || /^net:egress:[^:]+:53$/.test(key);
}
