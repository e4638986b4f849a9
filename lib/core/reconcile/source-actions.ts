/**
 * IAM actions an agent's non-CloudTrail telemetry shows it exercising. CloudTrail is not the only witness: a Bedrock
 * agent's traces show every agent invocation and model call even when the trail logs no Bedrock data events, and
 * model invocation logs show each model call. A tightening must keep these whatever CloudTrail says.
 *
 * - k8s subject with Bedrock agent traces: the workload invoked the agent -> `bedrock:InvokeAgent` (alias unknown in
 *   the aggregate: resource `*`);
 * - `model:<id>` from traces -> `bedrock:InvokeModel` and `bedrock:InvokeModelWithResponseStream` on the foundation
 *   model (a trace does not say whether the call streamed); from invocation logs, the action of the logged operation;
 * - `kb:<id>` from traces -> `bedrock:Retrieve` on the knowledge base; `agent:<alias arn>` (a collaborator) ->
 *   `bedrock:InvokeAgent` on that alias.
 * The calling principal is not in these records (a traced model call runs under the Bedrock agent's own role), so
 * for a k8s subject these uses never prove that the workload's role needs the action; they only forbid removing it.
 */
import { parseSubject } from '../observation.ts';
import type { ObservedBehavior } from './types.ts';

export const NON_CLOUDTRAIL_SOURCES = ['bedrock-trace', 'bedrock-invocation'] as const;

export interface SourceAction {
  action: string;
  /** ARN, or `*` when the record does not name the resource. */
  resource: string;
  source: string;
  count: number;
  firstSeen: string;
  lastSeen: string;
  key: string;
  /** True when the record's principal is the subject's declared role (a Bedrock agent's own service role). */
  principalIsRole: boolean;
}

const fromSources = (b: ObservedBehavior) =>
  (b.sources ?? []).filter((s) => (NON_CLOUDTRAIL_SOURCES as readonly string[]).includes(s));

function modelArn(id: string, region: string | undefined): string {
  if (id.startsWith('arn:')) return id;
  // Inference profile ids carry a geography prefix (`us.anthropic...`); their ARN is account-scoped and unknown here.
  if (/^(us|eu|apac|global|us-gov)\./.test(id)) return '*';
  return `arn:aws:bedrock:${region ?? '*'}::foundation-model/${id}`;
}

/** Actions shown by the subject's traces and invocation logs, one entry per behavior key. */
export function actionsFromOtherSources(
  subject: string,
  observed: ObservedBehavior[],
  roleVia?: string,
): SourceAction[] {
  const s = parseSubject(subject);
  const region = s?.kind === 'bedrock' ? s.scope : undefined;
  const ownRole = roleVia === 'bedrock-service-role';
  const out: SourceAction[] = [];
  let traced: ObservedBehavior | undefined;
  let tracedCount = 0;
  for (const b of observed) {
    const srcs = fromSources(b);
    if (srcs.length === 0) continue;
    const base = { count: b.count, firstSeen: b.firstSeen, lastSeen: b.lastSeen, key: b.key, source: srcs.join('+') };
    if (srcs.includes('bedrock-trace')) {
      tracedCount += b.count;
      if (!traced || b.lastSeen > traced.lastSeen) traced = b;
    }
    if (b.key.startsWith('model:')) {
      const resource = modelArn(b.key.slice(6), region);
      // A trace does not say whether the call streamed: either action may have authorized it. An invocation log
      // names its operation.
      const streamed = /Stream/.test(String(b.attrs.operation ?? ''));
      const actions = srcs.includes('bedrock-trace')
        ? ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream']
        : [streamed ? 'bedrock:InvokeModelWithResponseStream' : 'bedrock:InvokeModel'];
      for (const action of actions) out.push({ ...base, action, resource, principalIsRole: ownRole });
    } else if (b.key.startsWith('kb:')) {
      const id = b.key.slice(3);
      const arn = region ? `arn:aws:bedrock:${region}:*:knowledge-base/${id}` : '*';
      out.push({ ...base, action: 'bedrock:Retrieve', resource: arn, principalIsRole: ownRole });
    } else if (b.key.startsWith('agent:')) {
      const alias = b.key.slice(6);
      out.push({
        ...base,
        action: 'bedrock:InvokeAgent',
        resource: alias.startsWith('arn:') ? alias : '*',
        principalIsRole: ownRole,
      });
    }
  }
  // A Deployment whose Bedrock agent traces Warden holds invoked that agent: the workload itself is the caller.
  if (s?.kind === 'k8s' && traced) {
    out.push({
      action: 'bedrock:InvokeAgent',
      resource: '*',
      source: 'bedrock-trace',
      count: tracedCount,
      firstSeen: observed
        .filter((b) => fromSources(b).includes('bedrock-trace'))
        .reduce((m, b) => (b.firstSeen < m ? b.firstSeen : m), traced.firstSeen),
      lastSeen: traced.lastSeen,
      key: 'bedrock-trace:*',
      principalIsRole: true,
    });
  }
  return out;
}
