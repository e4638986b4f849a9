import { describe, expect, it } from 'vitest';
import {
  generateScenario,
  parseTelemetry,
  referenceIncidentSpec,
  scenarioIdentity,
} from '../../../lib/demo/scenarios/index.ts';

const spec = { ...referenceIncidentSpec(), days: 3 };

describe('scenario generator', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = JSON.stringify(generateScenario(spec).telemetry);
    expect(JSON.stringify(generateScenario(spec).telemetry)).toBe(a);
    expect(JSON.stringify(generateScenario({ ...spec, seed: 8 }).telemetry)).not.toBe(a);
  });

  it('emits every source in a format the real parsers accept, attributed to the agent', () => {
    const g = generateScenario(spec);
    const { observations, rejects } = parseTelemetry(g.telemetry, scenarioIdentity(g));
    expect(rejects).toEqual([]);
    const sources = new Set(observations.map((o) => o.source));
    expect([...sources].sort()).toEqual(['bedrock-invocation', 'bedrock-trace', 'node-agent', 'vpc-flow']);
    const agent = observations.filter((o) => o.subject === g.truth.subject && !o.key.startsWith('drops:'));
    expect(agent.length / observations.length).toBeGreaterThan(0.99);
    // The ticket id in the prompt reaches correlation.ticket in both Bedrock sources.
    const tickets = observations.filter((o) => o.correlation.ticket);
    expect(new Set(tickets.map((o) => o.source))).toEqual(new Set(['bedrock-invocation', 'bedrock-trace']));
    expect(g.truth.tickets).toBeGreaterThan(20);
  });

  it('places the incident events in weeks three, five and seven', () => {
    const g = generateScenario(referenceIncidentSpec());
    expect(g.truth.events.map((e) => [e.type, e.time.slice(0, 10), e.benign])).toEqual([
      ['model-update', '2026-09-23', true],
      ['prompt-revision', '2026-10-06', true],
      ['injection', '2026-10-20', false],
    ]);
    const puts = g.telemetry.cloudtrail.filter(
      (r) => r.eventName === 'PutObject' && String((r.requestParameters as { key: string }).key).startsWith('audit/'),
    );
    expect(puts).toHaveLength(2400);
    expect(g.truth.exports).toBe(7);
  });
});
