/**
 * The generated drift evaluation set: 50 benign deploy-correlated changes and 20 injected attacks of four shapes,
 * each generated in the real formats on top of the same three learned weeks of the support agent, parsed by the real
 * parsers and judged by the drift core. It comes from the same generator as the demo, so it is a regression test of
 * deploy correlation and the attack shapes the demo shows, not evidence that drift holds on real agents (the public
 * agent-session corpora are: `npm run bench -- drift`).
 */
import {
  deployEventsFromCloudTrail,
  deployEventsFromInventory,
  mergeDeployEvents,
} from '../../core/deploy-events/index.ts';
import { aggregateObservations, judgeDrift } from '../../core/drift/index.ts';
import type { DriftObject } from '../../core/drift/types.ts';
import type { Observation } from '../../core/observation.ts';
import { generateScenario } from './generate.ts';
import { scenarioAgentOwner, scenarioIdentity } from './identity.ts';
import { parseTelemetry } from './parse.ts';
import { FLOWS_V1, FLOWS_V2, supportAgentSpec } from './reference-incident.ts';
import type { At, ScenarioEvent, Telemetry } from './types.ts';

const DAYS = 24;
/** Week 4, Monday: cases happen from here, on top of three learned weeks. */
export const CASE_FROM = Date.parse('2026-09-28T00:00:00.000Z');
const base = supportAgentSpec({ days: DAYS, seed: 11 });

export interface EvaluationCase {
  name: string;
  /** Attack (should be risky) or benign change (should not). */
  attack: boolean;
  events: ScenarioEvent[];
}

const at = (day: number, hour: number, minute = 17): At => ({ week: 4, day, hour, minute });
const MODELS = [
  'anthropic.claude-3-5-sonnet-20241022-v2:0',
  'anthropic.claude-3-5-haiku-20241022-v1:0',
  'us.anthropic.claude-3-7-sonnet-20250219-v1:0',
  'amazon.nova-pro-v1:0',
];

function benignEvent(i: number): ScenarioEvent {
  const when = at(i % 2, 9 + (i % 8));
  switch (i % 5) {
    case 0:
      return { type: 'model-update', at: when, model: MODELS[i % MODELS.length]! };
    case 1:
      return {
        type: 'prompt-revision',
        at: when,
        flows: i % 2 ? FLOWS_V2 : [...FLOWS_V1].reverse().map((f, k) => ({ ...f, weight: k + 1 })),
      };
    case 2:
      return {
        type: 'tool-catalog',
        at: when,
        tool: { group: 'support-tools', fn: `getRefundPolicy${i}`, host: 'zendesk' },
        flows: [
          ...FLOWS_V1,
          {
            name: 'refund',
            weight: 4,
            steps: ['support-tools/getTicket', `support-tools/getRefundPolicy${i}`, 'support-tools/postReply'],
          },
        ],
      };
    case 3:
      return {
        type: 'image-update',
        at: when,
        packages: [
          { name: 'httpx', version: `0.28.${2 + i}` },
          { name: 'tenacity', version: '9.0.0' },
        ],
        ...(i % 2 ? { exec: '/usr/bin/git' } : {}),
      } as ScenarioEvent;
    default:
      return { type: 'traffic-change', at: when, ticketsPerHour: 4 + (i % 2) };
  }
}

/** The 70 cases: 50 benign changes, 20 attacks (the hidden ones are a real deploy followed by an exfiltration). */
export function evaluationCases(): EvaluationCase[] {
  const cases: EvaluationCase[] = [];
  for (let i = 0; i < 50; i++) {
    const e = benignEvent(i);
    cases.push({ name: `benign ${e.type} #${i}`, attack: false, events: [e] });
  }
  for (let i = 0; i < 5; i++) {
    cases.push({
      name: `attack new-destination #${i}`,
      attack: true,
      events: [{ type: 'new-destination', at: at(i % 3, 10 + i), ip: `203.0.113.${10 + i}`, port: i % 2 ? 443 : 8443 }],
    });
    cases.push({
      name: `attack tool-sequence #${i}`,
      attack: true,
      events: [
        {
          type: 'tool-sequence',
          at: at(i % 3, 11 + i),
          steps:
            i % 2
              ? ['support-tools/getTicket', 'crm-tools/searchCustomers', 'support-tools/postReply']
              : ['support-tools/getTicket', 'support-tools/uploadExport', 'support-tools/postReply'],
        },
      ],
    });
    cases.push({
      name: `attack volume-burst #${i}`,
      attack: true,
      events: [
        {
          type: 'volume-burst',
          at: { week: 4, day: 2, hour: 1 + i, minute: 12 },
          tool: 'crm-tools/lookupCustomer',
          calls: 60 + i * 20,
        },
      ],
    });
    // Hidden right after a real deploy: a model update, then an exfiltration two hours later.
    cases.push({
      name: `attack deploy-then-injection #${i}`,
      attack: true,
      events: [
        { type: 'model-update', at: at(1, 9 + i, 0), model: MODELS[i % MODELS.length]! },
        { type: 'injection', at: at(1, 11 + i, 5), records: 300 + i * 100 },
      ],
    });
  }
  return cases;
}

function after(tel: Telemetry, ms: number): Telemetry {
  const t = (s: unknown) => Date.parse(String(s)) >= ms;
  return {
    cloudtrail: tel.cloudtrail.filter((r) => t(r.eventTime)),
    invocations: tel.invocations.filter((r) => t(r.timestamp)),
    traces: tel.traces.filter((r) => t(r.eventTime)),
    flows: tel.flows.filter((l) => Number(l.split(' ')[10]) * 1000 >= ms),
    nodeAgent: tel.nodeAgent.filter((b) => t((b.window as { start: string }).start)),
  };
}

let learned: Observation[] | undefined;
/** The three learned weeks every case shares (generated once). */
export function learnedWeeks(): Observation[] {
  if (!learned) {
    const g = generateScenario(base);
    learned = parseTelemetry(g.telemetry, scenarioIdentity(g)).observations.filter(
      (o) => Date.parse(o.time) < CASE_FROM,
    );
  }
  return learned;
}

/** Lets the event loop run between the long synchronous steps (a test runner's heartbeats). */
const breathe = () => new Promise<void>((r) => setImmediate(r));

/** Judges one case: its drift items over the case period (week 4 to the end). */
export async function judgeEvaluationCase(c: EvaluationCase): Promise<DriftObject[]> {
  const history = learnedWeeks();
  await breathe();
  const g = generateScenario({ ...base, events: c.events });
  await breathe();
  const fresh = parseTelemetry(after(g.telemetry, CASE_FROM), scenarioIdentity(g)).observations.filter(
    (o) => Date.parse(o.time) >= CASE_FROM,
  );
  await breathe();
  const observations = [...history, ...fresh];
  const deploys = mergeDeployEvents(
    deployEventsFromCloudTrail(observations, scenarioAgentOwner(g)),
    deployEventsFromInventory(observations),
  );
  return judgeDrift({
    subject: g.truth.subject,
    aggregates: aggregateObservations(observations),
    evidence: observations.filter((o) => o.layer !== 'kernel'),
    deploys,
    from: new Date(CASE_FROM).toISOString(),
    to: new Date(Date.parse(base.start) + DAYS * 86_400_000).toISOString(),
  }).items;
}

export interface EvaluationResult {
  attacks: number;
  benign: number;
  detected: number;
  benignFlagged: number;
  precision: number;
  recall: number;
  /** Cases judged wrongly, with the first risky summary (or none). */
  wrong: { name: string; summary?: string }[];
}

/** Judges every case; a case is called risky when any of its items is. */
export async function runEvaluationSet(cases: EvaluationCase[] = evaluationCases()): Promise<EvaluationResult> {
  let detected = 0;
  let benignFlagged = 0;
  const wrong: EvaluationResult['wrong'] = [];
  for (const c of cases) {
    const risky = (await judgeEvaluationCase(c)).filter((d) => d.classification === 'risky');
    if (c.attack && risky.length > 0) detected++;
    if (!c.attack && risky.length > 0) benignFlagged++;
    if (c.attack !== risky.length > 0) wrong.push({ name: c.name, ...(risky[0] ? { summary: risky[0].summary } : {}) });
  }
  const attacks = cases.filter((c) => c.attack).length;
  return {
    attacks,
    benign: cases.length - attacks,
    detected,
    benignFlagged,
    precision: detected / Math.max(1, detected + benignFlagged),
    recall: detected / Math.max(1, attacks),
    wrong,
  };
}
