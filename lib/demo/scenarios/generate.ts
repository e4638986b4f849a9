/**
 * The scenario engine: walks a spec week by week, hour by hour, and emits telemetry in the real formats.
 * Deterministic: the same spec (and seed) gives the same records.
 *
 * What happens each hour: pods (replicas) are replaced at day boundaries and on rollouts (./pods.ts); the dated
 * events of the hour change the agent or run an attack session (./incidents.ts); once a week the export session
 * writes the export bucket; on weekdays in business hours tickets arrive and the agent handles each as one Bedrock
 * Agent session (./sessions.ts); every active pod reports kernel activity (aggregated syscall counts).
 */
import { applyEvent } from './incidents.ts';
import { attribution, replacePods } from './pods.ts';
import { atMs, flushHour, HOUR, iso, record, type ScenarioRun, startRun } from './run.ts';
import { nextTicket, session, ticketPrompt } from './sessions.ts';
import type { GeneratedScenario, ScenarioEvent, ScenarioSpec } from './types.ts';

export { atMs } from './run.ts';

/** The week's export job, when this hour is its slot. */
function weeklyExport(run: ScenarioRun, h: number): void {
  const { spec } = run;
  run.truth.exports++;
  session(run, h + 5 * 60_000, run.pods[0]!, {
    prompt: `Weekly export job for ${iso(h).slice(0, 10)}: collect updated customer records and upload them to the export bucket.`,
    steps: ['crm-tools/searchCustomers', 'support-tools/uploadExport'],
    putObjects: { count: spec.weeklyExport.objects, prefix: `exports/${iso(h).slice(0, 10)}/part-`, spreadMs: 60_000 },
  });
}

/** An hour of tickets, each one session on a random pod; tickets keep clear of the minutes `busy` occupies. */
function ticketHour(run: ScenarioRun, h: number, busy: number[]): void {
  const { rng, state } = run;
  const n = Math.max(1, state.ticketsPerHour + rng.int(-1, 1));
  const slot = Math.floor(60 / n);
  for (let i = 0; i < n; i++) {
    const at = h + (i * slot + rng.int(0, Math.max(0, slot - 3))) * 60_000 + rng.int(0, 20_000);
    if (busy.some((b) => Math.abs(b - at) < 6 * 60_000)) continue;
    const ticket = nextTicket(run);
    run.truth.tickets++;
    const flow = rng.weighted(state.flows.map((f) => ({ weight: f.weight, value: f })));
    session(run, at, rng.pick(run.pods), { ticket, prompt: ticketPrompt(run, ticket), steps: flow.steps });
  }
}

/** Kernel counts are read from the kernel as aggregates: one record per pod and hour (every sixth hour when idle). */
function kernelHour(run: ScenarioRun, h: number, business: boolean): void {
  if (!business && new Date(h).getUTCHours() % 6 !== 0) return;
  const load = business ? 4 : 1;
  for (const p of run.pods) {
    record(run, p.node, {
      type: 'syscalls',
      time: iso(h),
      attribution: attribution(run, p),
      counts: { read: 900 * load + run.rng.int(0, 50), epoll_wait: 1200 * load, connect: business ? 12 : 1 },
    });
    if (run.state.extraExec)
      record(run, p.node, {
        type: 'exec',
        time: iso(h + 120_000),
        attribution: attribution(run, p),
        path: run.state.extraExec,
      });
  }
}

/** Generates the scenario's telemetry and the ground truth of what it put in. */
export function generateScenario(spec: ScenarioSpec): GeneratedScenario {
  const run = startRun(spec);
  const t0 = Date.parse(spec.start);
  const end = t0 + spec.days * 24 * HOUR;
  const events: ScenarioEvent[] = [...spec.events].sort((a, b) => atMs(spec, a.at) - atMs(spec, b.at));
  let nextEvent = 0;
  replacePods(run, t0);
  for (let h = t0; h < end; h += HOUR) {
    const date = new Date(h);
    const dow = (date.getUTCDay() + 6) % 7; // Monday = 0
    const hour = date.getUTCHours();
    if (hour === 0 && h !== t0) replacePods(run, h + run.rng.int(60_000, 600_000));
    // Events of this hour, and the minutes they occupy (regular tickets keep clear of an injected session).
    const busy: number[] = [];
    while (nextEvent < events.length && atMs(spec, events[nextEvent]!.at) < h + HOUR) {
      const ev = events[nextEvent++]!;
      const at = Math.max(atMs(spec, ev.at), h);
      applyEvent(run, ev, at);
      busy.push(at);
    }
    if (dow === spec.weeklyExport.day && hour === spec.weeklyExport.hour) weeklyExport(run, h);
    const business = dow < 5 && hour >= spec.businessHours[0] && hour < spec.businessHours[1];
    if (business) ticketHour(run, h, busy);
    kernelHour(run, h, business);
    flushHour(run, h);
  }
  return { spec, telemetry: run.tel, truth: run.truth };
}
