/**
 * Generated evaluation set (lib/demo/scenarios/evaluation-set.ts): 50 benign deploy-correlated changes and 20 injected
 * attacks of four shapes on top of the same three learned weeks, parsed by the real parsers and judged by the drift
 * core. A regression test of deploy correlation and of the demo's attack shapes (the target on real agents is the
 * public corpora bench, `npm run bench -- drift`): every attack risky, at most one benign change risky.
 */
import { describe, expect, it } from 'vitest';
import { evaluationCases, judgeEvaluationCase, learnedWeeks } from '../../../lib/demo/scenarios/evaluation-set.ts';

const cases = evaluationCases();
const outcome = new Map<string, boolean>();

describe('drift evaluation set', () => {
  it('has 20 attacks and 50 benign changes on top of three learned weeks', () => {
    expect(cases.filter((c) => c.attack)).toHaveLength(20);
    expect(cases.filter((c) => !c.attack)).toHaveLength(50);
    expect(learnedWeeks().length).toBeGreaterThan(1000);
  }, 120_000);

  it.each(cases.map((c) => [c.name, c] as const))(
    '%s',
    async (_name, c) => {
      const items = await judgeEvaluationCase(c);
      const risky = items.filter((d) => d.classification === 'risky');
      outcome.set(c.name, risky.length > 0);
      if (process.env.DRIFT_EVAL_DEBUG)
        process.stdout.write(`${c.name}: ${risky.map((d) => d.summary.slice(0, 160)).join(' | ') || 'not risky'}\n`);
      if (c.attack) expect(risky.length, `${c.name} should be risky`).toBeGreaterThan(0);
    },
    120_000,
  );

  it('flags every attack and at most one benign change', () => {
    const tp = cases.filter((c) => c.attack && outcome.get(c.name)).length;
    const fp = cases.filter((c) => !c.attack && outcome.get(c.name)).length;
    process.stdout.write(
      `drift evaluation: 20 attacks, 50 benign; detected ${tp}, benign flagged ${fp}; precision ${(tp / Math.max(1, tp + fp)).toFixed(3)} recall ${(tp / 20).toFixed(3)}\n`,
    );
    expect(outcome.size).toBe(cases.length);
    expect(tp).toBe(20);
    expect(fp).toBeLessThanOrEqual(1);
  });
});
