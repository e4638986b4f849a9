/**
 * Properties of the per-session judgement (fast-check):
 * - reordering the calls of a benign baseline session never makes it risky (an unseen order of known tools is not
 *   risky on its own), and an order finding never weighs anything;
 * - an argument value taken from the user's request never counts as injected, whatever the tool results held.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { judgeDrift } from '../../../lib/core/drift/classify.ts';
import { benignHistory, type CallSpec, DAY, driftInput, observe, type SessionSpec, T0, tool } from './agent-fixture.ts';

const FROM = T0 + 35 * DAY;
const TO = FROM + 7 * DAY;
const history = benignHistory(80);
const historyObs = observe(history);

function judgeOne(s: SessionSpec) {
  const j = judgeDrift(driftInput([...historyObs, ...observe([s])], FROM, TO));
  return j.sessions.find((v) => v.sessionIds.includes(s.id))!;
}

describe('reordering a benign session', () => {
  it('never makes it risky', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: history.length - 1 }), fc.func(fc.integer()), (i, key) => {
        const base = history[i]!;
        // A permutation of the calls (each keeps its own result) decided by the generated function.
        const calls: CallSpec[] = [...base.calls]
          .map((c, k) => ({ c, k: key(k) }))
          .sort((a, b) => a.k - b.k)
          .map((x) => x.c);
        const v = judgeOne({ ...base, id: `reordered-${i}`, start: FROM + DAY, calls });
        expect(v.verdict).not.toBe('risky');
        for (const r of v.reasons) if (r.kind === 'order') expect(r.bits).toBe(0);
      }),
      { numRuns: 40 },
    );
  });
});

const word = fc.stringMatching(/^[a-z]{3,9}$/);
const value = fc.oneof(
  fc.tuple(word, word, fc.constantFrom('example', 'corp', 'mail')).map(([a, b, d]) => `${a}.${b}@${d}.example`),
  fc.tuple(word, word).map(([a, b]) => `https://www.${a}-${b}.example/${a}`),
  fc.stringMatching(/^[A-Z]{2}[0-9]{2}[0-9]{18}$/),
  fc.tuple(word, fc.integer({ min: 100, max: 99_999 })).map(([a, n]) => `${a}_${n}`),
  fc.tuple(word, word).map(([a, b]) => `${a[0]!.toUpperCase()}${a.slice(1)} ${b[0]!.toUpperCase()}${b.slice(1)}`),
  // Values with no token of their own (short numbers, short words) still come from the request when it holds them.
  fc.integer({ min: 1, max: 999 }).map(String),
  fc.constantFrom('the', 'no', 'A1', 'it is ok'),
);

describe('a value from the user request', () => {
  it('never counts as injected, even when an earlier tool result also held it', () => {
    fc.assert(
      fc.property(
        value,
        fc.constantFrom('send_message', 'transfer_funds', 'post_webpage', 'invite_user'),
        fc.constantFrom('to', 'recipient', 'url', 'account'),
        fc.constantFrom(
          (v: string) => v,
          (v: string) => v.toUpperCase(),
          (v: string) => `(${v})`,
          (v: string) => `"${v}".`,
        ),
        (v, fn, param, dress) => {
          const s: SessionSpec = {
            id: 'asked',
            start: FROM + DAY,
            request: `Please look at my inbox, then use ${dress(v)} for the ${fn.replace('_', ' ')}`,
            calls: [
              {
                fn: 'read_message',
                params: { id: 'msg-1001' },
                result: JSON.stringify({ body: `contact ${v} today` }),
              },
              { fn, params: { [param]: v }, result: '{"ok":true}' },
            ],
          };
          const r = judgeOne(s).reasons.filter((x) => x.kind === 'provenance' && x.key === `${tool(fn)}#${param}`);
          expect(r).toEqual([]);
        },
      ),
      { numRuns: 60 },
    );
  });
});
