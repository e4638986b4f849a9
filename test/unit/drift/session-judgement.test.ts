/**
 * Per-session judgement on a mail agent written as real Bedrock trace parts (./agent-fixture.ts): argument provenance
 * with its reason, values from the request, the content policy, deploys, cold start, calibration, state.
 */
import { describe, expect, it } from 'vitest';
import type { DeployEvent } from '../../../lib/core/deploy-events/types.ts';
import { judgeDrift } from '../../../lib/core/drift/classify.ts';
import { emptyAgentModel, updateAgentModel } from '../../../lib/core/drift/session/model.ts';
import { Rng } from '../../../lib/demo/rng.ts';
import {
  benignHistory,
  benignSession,
  catalogDeploy,
  DAY,
  driftInput,
  hijackedSession,
  observe,
  type SessionSpec,
  SUBJECT,
  T0,
  tool,
} from './agent-fixture.ts';

const FROM = T0 + 35 * DAY;
const TO = FROM + 7 * DAY;
const history = benignHistory(80);

function judge(
  week: SessionSpec[],
  opts: { policy?: 'hash-only'; deploys?: DeployEvent[]; learn?: SessionSpec[] } = {},
) {
  const obs = observe([...(opts.learn ?? history), ...week], opts.policy ? { policy: opts.policy } : {});
  return judgeDrift({ ...driftInput(obs, FROM, TO), deploys: opts.deploys ?? [] });
}

const benignWeek = (n: number) => {
  const rng = new Rng(9);
  return Array.from({ length: n }, (_, i) => benignSession(rng, `b-${i}`, FROM + DAY + i * 3_600_000, i));
};

describe('argument provenance', () => {
  const j = judge([hijackedSession('attack-1', FROM + 2 * DAY), ...benignWeek(20)]);
  const attack = j.sessions.find((v) => v.session === 'attack-1')!;

  it('calls the hijacked session risky, naming the value, where it came from and when', () => {
    expect(attack.verdict).toBe('risky');
    expect(attack.reasons[0]!.text).toBe(
      "send_message to dr…@exfil.example: new to this agent, not in the user's request, appeared in the output of read_message 4 s earlier",
    );
    expect(attack.reasons[0]!.provenance).toMatchObject({
      tool: tool('send_message'),
      param: 'to',
      valueKind: 'em',
      source: 'tool-result',
      from: { tool: tool('read_message'), secondsBefore: 4 },
      newToAgent: true,
      inRequest: false,
    });
    expect(attack.pValue).toBeLessThanOrEqual(0.01);
  });

  it('leaves the benign sessions of the week alone', () => {
    const benign = j.sessions.filter((v) => v.session !== 'attack-1');
    expect(benign).toHaveLength(20);
    expect(benign.filter((v) => v.verdict === 'risky')).toEqual([]);
  });

  it('makes one drift item for the session, with only its evidence and its audit entry', () => {
    const risky = j.items.filter((d) => d.classification === 'risky');
    expect(risky).toHaveLength(1);
    const d = risky[0]!;
    expect(d.sessions).toEqual(['attack-1']);
    expect(d.auditId).toBe('audit:attack-1');
    expect(d.signals.argumentProvenance?.verdict).toBe('anomalous');
    expect(d.signals.deploymentCorrelation.verdict).toBe('anomalous');
    expect(d.evidence.length).toBeGreaterThan(0);
    expect(d.evidence.every((e) => e.correlation.sessionId === 'attack-1')).toBe(true);
    expect(d.calibration).toMatchObject({ method: 'tail-fit', budget: 0.01, sessions: 80 });
    expect(d.summary).toContain('send_message to dr…@exfil.example');
  });

  it('never counts a value the user gave in the request, even when a tool result also held it', () => {
    const asked: SessionSpec = {
      ...hijackedSession('asked-1', FROM + 2 * DAY, 'eve.new@elsewhere.example'),
      request: 'Summarize my unread messages and forward them to Eve.New@elsewhere.example',
    };
    const v = judge([asked]).sessions[0]!;
    expect(v.reasons.filter((r) => r.kind === 'provenance' && r.key.endsWith('#to'))).toEqual([]);
    expect(v.verdict).not.toBe('risky');
  });

  it('works on keyed hashes alone under the hash-only policy (no value shown)', () => {
    const h = judge([hijackedSession('attack-1', FROM + 2 * DAY)], { policy: 'hash-only' });
    const v = h.sessions[0]!;
    expect(v.verdict).toBe('risky');
    expect(v.reasons[0]!.text).toMatch(/^send_message to <em [0-9a-f]{6}…>: new to this agent/);
    expect(v.reasons[0]!.provenance?.value).toBeUndefined();
  });

  it('is never explained away by a deploy', () => {
    const deploy = catalogDeploy('d1', FROM + 2 * DAY - 3_600_000);
    const v = judge([hijackedSession('attack-1', FROM + 2 * DAY)], { deploys: [deploy] }).sessions[0]!;
    expect(v.verdict).toBe('risky');
    expect(v.reasons.find((r) => r.kind === 'provenance')?.explainedBy).toBeUndefined();
  });
});

describe('deploys, cold start and calibration', () => {
  it('calls a new tool a deploy explains expected evolution, with one item for the deploy', () => {
    const s: SessionSpec = {
      id: 'new-tool',
      start: FROM + DAY,
      request: 'Archive the old newsletters',
      calls: [{ fn: 'archive_messages', params: { folder: 'newsletters' }, result: '{"archived":12}' }],
    };
    const deploy = catalogDeploy('catalog-1', FROM + DAY - 600_000, [tool('archive_messages')]);
    const j = judge([s], { deploys: [deploy] });
    expect(j.sessions[0]!.verdict).toBe('evolution');
    const evo = j.items.filter((d) => d.classification === 'evolution');
    expect(evo).toHaveLength(1);
    expect(evo[0]!.sessions).toEqual(['new-tool']);
    expect(evo[0]!.changes.map((c) => [c.type, c.key])).toContainEqual(['new-key', tool('archive_messages')]);
    // Without the deploy the same session is an unexplained new tool.
    expect(judge([s]).sessions[0]!.reasons[0]!.text).toMatch(/^archive_messages: a tool this agent never used in 80/);
  });

  it('says insufficient history plainly, and judges a young agent by the cold-start rule only', () => {
    const young = history.slice(0, 8);
    const j = judge([hijackedSession('attack-1', FROM + 2 * DAY), ...benignWeek(3)], { learn: young });
    expect(j.calibration.method).toBe('insufficient-history');
    expect(j.calibration.note).toMatch(
      /^insufficient history: 8 benign session\(s\) over \d+ day\(s\); a threshold needs 20/,
    );
    const byId = new Map(j.sessions.map((v) => [v.session, v]));
    // An address taken from a tool result into an outbound tool's destination is enough on its own.
    expect(byId.get('attack-1')!.verdict).toBe('risky');
    expect(byId.get('attack-1')!.method).toBe('insufficient-history');
    for (const id of ['b-0', 'b-1', 'b-2']) expect(byId.get(id)!.verdict).toBe('insufficient-history');
  });

  it('flags a credential read as a rule, whatever the calibration', () => {
    const s: SessionSpec = {
      id: 'env-1',
      start: FROM + DAY,
      request: 'Read the file notes/todo.txt and tell me what is left',
      calls: [{ fn: 'read_file', params: { path: '/app/.env' }, result: 'API_KEY=sk-live-0123456789abcdef' }],
    };
    const v = judge([s]).sessions[0]!;
    expect(v.verdict).toBe('risky');
    expect(v.reasons[0]!.text).toBe(
      'read_file path names a credential store (.env, keys, password files), a first for this agent',
    );
  });

  it('uses a conformal threshold once the history resolves the budget', () => {
    const long = benignHistory(260, 35, 8);
    const j = judge([], { learn: long });
    expect(j.calibration.method).toBe('conformal');
    expect(j.calibration.sessions).toBe(260);
    expect(j.calibration.threshold).toBeGreaterThan(0);
  });
});

describe('agent model state', () => {
  it('is plain JSON: two runs chained through the kept model judge exactly like one run over both periods', () => {
    const week = benignWeek(20).map((x) => ({ ...x, start: x.start - 7 * DAY, id: `prev-${x.id}` }));
    const obs = observe([
      ...history.slice(0, 60),
      ...week,
      hijackedSession('attack-1', FROM + 2 * DAY),
      ...benignWeek(5),
    ]);
    const mid = FROM;
    const start = FROM - 7 * DAY;
    const full = judgeDrift(driftInput(obs, start, TO));
    const first = judgeDrift(driftInput(obs, start, mid));
    const kept = JSON.parse(JSON.stringify(first.model));
    expect(kept.pending.length).toBeGreaterThan(0);
    const second = judgeDrift({ ...driftInput(obs, mid, TO), history: kept });
    const tail = (vs: typeof full.sessions) =>
      vs.filter((v) => Date.parse(v.start) >= mid).map((v) => [v.session, v.verdict, v.bits, v.pValue]);
    expect(tail(second.sessions)).toEqual(tail(full.sessions));
    expect(second.model).toEqual(full.model);
  });

  it('updates incrementally: two updates equal one with both batches, and old sessions age out', () => {
    const obs = observe(history);
    const sessions = judgeDrift(driftInput(obs, TO, TO + DAY)).model.sessions;
    const a = sessions.slice(0, 40);
    const b = sessions.slice(40);
    const now = TO;
    const step = updateAgentModel(updateAgentModel(emptyAgentModel(SUBJECT), a, now, 42 * DAY), b, now, 42 * DAY);
    const once = updateAgentModel(emptyAgentModel(SUBJECT), [...b, ...a], now, 42 * DAY);
    expect(step).toEqual(once);
    expect(updateAgentModel(once, [], now + 30 * DAY, 42 * DAY).sessions.length).toBeLessThan(once.sessions.length);
  });
});
