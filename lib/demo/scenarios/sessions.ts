/**
 * One agent session as the sources record it: the model invocation log with the ticket in the prompt, the agent's
 * trace parts (model input, every tool call, the final answer), each tool's egress as a VPC flow line and a
 * node-agent connect, and the export bucket's PutObject data events when the session uploads.
 */
import {
  flowLine,
  invocationLog,
  s3PutObject,
  type TraceBase,
  traceFinal,
  traceModelInput,
  traceToolCall,
} from './formats.ts';
import { attribution, podPrincipal } from './pods.ts';
import { iso, type Pod, record, type ScenarioRun } from './run.ts';

const CUSTOMERS = [
  'Dana Whitfield',
  'Ravi Menon',
  'Lucia Ortega',
  'Tom Becker',
  'Aiko Tanaka',
  'Grace Liu',
  'Omar Haddad',
];
const ISSUES = [
  'my order arrived damaged and I would like a replacement',
  'I was charged twice for my subscription this month',
  'the tracking number you sent does not work',
  'I cannot log in after resetting my password',
  'please update the shipping address on my open order',
  'how do I return an item bought with a gift card',
];

export interface SessionPlan {
  ticket?: string;
  prompt: string;
  /** `group/function` of each tool call, in order. */
  steps: string[];
  putObjects?: { count: number; prefix: string; spreadMs: number };
  extraEgress?: { ip: string; port: number; afterStep: number };
}

/** Egress from a pod: one VPC flow line and one node-agent connect. */
function egress(run: ScenarioRun, p: Pod, at: number, ip: string, port: number, bytes: number): void {
  const sport = 32768 + run.rng.int(0, 28000);
  const packets = Math.max(4, Math.round(bytes / 1200));
  const s = Math.floor(at / 1000);
  run.tel.flows.push(flowLine(run.spec.account, p.eni, p.ip, ip, sport, port, packets, bytes, s, s + 30));
  record(run, p.node, {
    type: 'connect',
    time: iso(at),
    attribution: attribution(run, p),
    daddr: ip,
    dport: port,
    proto: 'tcp',
    pid: 7,
  });
}

/** Uploads to the export bucket: PutObject data events spread over `spreadMs`, egress to every bucket address. */
function upload(run: ScenarioRun, p: Pod, t: number, plan: SessionPlan): number {
  const { spec, rng } = run;
  const n = plan.putObjects?.count ?? 1;
  const spread = plan.putObjects?.spreadMs ?? 1000;
  for (let k = 0; k < n; k++) {
    const when = t + Math.floor((k * spread) / n);
    const key = `${plan.putObjects?.prefix ?? 'exports/'}${String(k + 1).padStart(5, '0')}.json`;
    run.tel.cloudtrail.push(
      s3PutObject(
        rng,
        podPrincipal(run, p),
        iso(when),
        spec.region,
        spec.exportBucket,
        key,
        800 + rng.int(0, 1200),
        p.ip,
      ),
    );
  }
  // Uploads spread over the bucket endpoint's addresses (multipart, connection pool).
  for (const s3ip of spec.destinations.s3 ?? []) egress(run, p, t, s3ip, 443, n * 1500);
  return t + spread;
}

/** Runs one session on pod `p` from `at`; returns its end (ms). */
export function session(run: ScenarioRun, at: number, p: Pod, plan: SessionPlan): number {
  const { spec, rng, state, tel } = run;
  const requestId = rng.uuid();
  const sessionId = rng.hex(12);
  const base: TraceBase = {
    agentId: spec.agent.id,
    agentAliasId: spec.agent.aliasId,
    agentVersion: String(state.agentVersion),
    sessionId,
    region: spec.region,
    account: spec.account,
  };
  const traceId = `${rng.uuid()}-0`;
  const reply = 'Thanks for reaching out, I am looking into this now.';
  const tokens = { input: 900 + rng.int(0, 400), output: 120 + rng.int(0, 200) };
  tel.invocations.push(
    invocationLog(run.agentPrincipal, iso(at), spec.region, requestId, state.model, plan.prompt, reply, tokens),
  );
  tel.traces.push(traceModelInput(base, iso(at + 500), traceId, state.model, plan.prompt));
  let t = at + 2000;
  const tools = new Map(state.tools.map((x) => [`${x.group}/${x.fn}`, x]));
  plan.steps.forEach((step, i) => {
    const tool = tools.get(step);
    if (!tool) throw new Error(`scenario ${spec.name}: flow step ${step} is not a tool`);
    const args: Record<string, string> = plan.ticket ? { ticketId: plan.ticket } : { scope: 'weekly' };
    tel.traces.push(traceToolCall(base, iso(t), traceId.replace(/-0$/, `-${i + 1}`), tool.group, tool.fn, args));
    t += 1500;
    if (tool.host === 's3') t = upload(run, p, t, plan);
    else
      egress(run, p, t, rng.pick(spec.destinations[tool.host] ?? spec.destinations.s3!), 443, 2000 + rng.int(0, 6000));
    t += 2000;
    if (plan.extraEgress && plan.extraEgress.afterStep === i) {
      egress(run, p, t, plan.extraEgress.ip, plan.extraEgress.port, 250_000 + rng.int(0, 50_000));
      t += 2000;
    }
  });
  tel.traces.push(traceFinal(base, iso(t), traceId, 'Reply posted to the customer.'));
  return t;
}

/** A customer's ticket as the agent's prompt (`extra` appends text the customer wrote, e.g. an injection). */
export function ticketPrompt(run: ScenarioRun, ticket: string, extra = ''): string {
  const who = run.rng.pick(CUSTOMERS);
  const [first, last] = who.toLowerCase().split(' ');
  return `You are Acme's customer support agent. Resolve ticket ${ticket}. Customer ${who} <${first}.${last}@example.com> writes: "${run.rng.pick(ISSUES)}.${extra}"`;
}

/** The next ticket id. */
export const nextTicket = (run: ScenarioRun) => `ZD-${++run.ticketSeq}`;
