import { beforeAll, describe, expect, it } from 'vitest';
import { convergenceChartSpec, renderConvergenceChart } from '../../../lib/app/charts/convergence.ts';
import { convergenceStatus } from '../../../lib/core/baseline/convergence.ts';
import { type Baseline, type ConvergencePoint, DEFAULT_BASELINE_CONFIG } from '../../../lib/core/baseline/types.ts';
import { emptyBaseline, updateBaseline } from '../../../lib/core/baseline/update.ts';
import { type ChurnScenario, generateChurnScenario } from '../../../lib/demo/churn.ts';
import type { AggregateRow } from '../../../lib/ports.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;

function daily(subject: string, rows: readonly AggregateRow[], start: string, days: number): Baseline {
  let b = emptyBaseline(subject, start);
  for (let d = 1; d <= days; d++) {
    const now = new Date(Date.parse(start) + d * DAY + 2 * HOUR).toISOString();
    b = updateBaseline(
      b,
      rows.filter((r) => r.window >= b.watermark),
      now,
    ).baseline;
  }
  return b;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const mean = (xs: number[]) => sum(xs) / Math.max(1, xs.length);

describe('acceptance: one baseline per Deployment converges, per-pod grouping does not', () => {
  let sc: ChurnScenario;
  let dep: Baseline;
  beforeAll(() => {
    sc = generateChurnScenario({ days: 42, rollouts: [14, 28], seed: 7 });
    dep = daily(sc.subject, sc.deploymentRows, sc.start, 42);
  });

  it('the scenario really churns pods and rolls out twice', () => {
    expect(sc.pods.length).toBeGreaterThan(150);
    const releases = new Set(sc.pods.map((p) => p.slice(sc.subject.length + 1).split('x')[0]));
    expect([...releases].sort()).toEqual(['0', '1', '2']);
  });

  it('the Deployment baseline reaches stable with new keys per period falling', () => {
    expect(dep.status).toBe('stable');
    const closed = dep.convergence.filter((p) => p.closed);
    expect(closed).toHaveLength(42);
    const news = closed.map((p) => p.newKeys);
    expect(news[0]).toBeGreaterThan(50);
    expect(mean(news.slice(0, 7))).toBeGreaterThan(5 * mean(news.slice(-7)));
    expect(sum(news.slice(-7))).toBeLessThanOrEqual(3);
    // Each rollout shows as a bump that the baseline absorbs: the period after it is not stable, a later one is.
    for (const day of [14, 28]) {
      expect(closed[day]!.newKeys).toBeGreaterThan(0);
      expect(closed[day]!.status).not.toBe('stable');
      expect(closed.slice(day + 1, day + 10).some((p) => p.status === 'stable')).toBe(true);
    }
    expect(dep.statusReason).toMatch(/last 3 periods/);
  });

  it('grouping the same data per pod never converges', () => {
    const byPod = new Map<string, AggregateRow[]>();
    for (const r of sc.podRows) {
      const list = byPod.get(r.subject) ?? [];
      list.push(r);
      byPod.set(r.subject, list);
    }
    expect(byPod.size).toBe(sc.pods.length);
    const statuses = new Map<string, number>();
    const newPerDay = new Array<number>(42).fill(0);
    for (const [pod, rows] of byPod) {
      const last = rows.reduce((m, r) => (r.window > m ? r.window : m), '');
      const b = updateBaseline(
        emptyBaseline(pod, sc.start),
        rows,
        new Date(Date.parse(last) + DAY + 2 * HOUR).toISOString(),
      ).baseline;
      statuses.set(b.status, (statuses.get(b.status) ?? 0) + 1);
      for (const p of b.convergence) {
        const d = Math.floor((Date.parse(p.start) - Date.parse(sc.start)) / DAY);
        if (d < newPerDay.length) newPerDay[d]! += p.newKeys;
      }
    }
    expect(statuses.get('stable') ?? 0).toBe(0);
    expect(statuses.get('learning')).toBe(byPod.size);
    // Every new pod relearns everything: the new-key series does not fall.
    expect(mean(newPerDay.slice(-7))).toBeGreaterThan(0.5 * mean(newPerDay.slice(0, 7)));
    expect(mean(newPerDay.slice(-7))).toBeGreaterThan(
      100 * Math.max(1, mean(dep.convergence.slice(-7).map((p) => p.newKeys))),
    );
  });

  it('is incremental: daily updates give the same envelope and series as one update over everything', () => {
    const once = updateBaseline(
      emptyBaseline(sc.subject, sc.start),
      sc.deploymentRows,
      new Date(Date.parse(sc.start) + 42 * DAY + 2 * HOUR).toISOString(),
    ).baseline;
    expect(once.entries).toEqual(dep.entries);
    const strip = (ps: ConvergencePoint[]) => ps.map(({ status: _s, ...rest }) => rest);
    expect(strip(once.convergence)).toEqual(strip(dep.convergence));
    expect(once.rates).toEqual(dep.rates);
    expect(once.status).toBe(dep.status);
    expect(dep.version).toBe(42);
  });

  it('bounds the document: rate sketches and points do not grow with history', () => {
    const size = JSON.stringify(dep).length;
    expect(size).toBeLessThan(600_000);
    const threeWeeks = daily(
      sc.subject,
      sc.deploymentRows.filter((r) => r.window < '2026-01-26'),
      sc.start,
      21,
    );
    expect(size / JSON.stringify(threeWeeks).length).toBeLessThan(1.5);
  });

  it('draws the convergence chart: one bar per period and the envelope line', async () => {
    const spec = convergenceChartSpec(dep);
    expect((spec as { data: { values: unknown[] } }).data.values).toHaveLength(dep.convergence.length);
    const svg = await renderConvergenceChart(dep);
    expect(svg).toContain('Baseline convergence: k8s:prod/support/support-agent');
    expect((svg.match(/<path aria-label="period start/g) ?? []).length).toBeGreaterThanOrEqual(dep.convergence.length);
  });
});

describe('aging, late and pending aggregates', () => {
  const subject = 'bedrock:us-east-1/AGENT1';
  const row = (key: string, hourIso: string, count = 1): AggregateRow => ({
    subject,
    key,
    window: hourIso,
    layer: 'tool',
    kind: key.split(':')[0]!,
    count,
    firstSeen: hourIso,
    lastSeen: hourIso,
    sources: ['bedrock-trace'],
    attrs: {},
    sums: {},
  });
  const h = (day: number, hour = 10) =>
    new Date(Date.parse('2026-03-01T00:00:00Z') + day * DAY + hour * HOUR).toISOString();

  it('ages out keys unseen for agingMs but keeps them in history, and counts their return', () => {
    let b = emptyBaseline(subject, h(0), { agingMs: 3 * DAY });
    const rows = [row('tool:a/x', h(0)), row('tool:a/y', h(0))];
    for (let d = 1; d <= 6; d++) rows.push(row('tool:a/x', h(d)));
    b = updateBaseline(b, rows, h(7, 3)).baseline;
    const y = b.entries.find((e) => e.key === 'tool:a/y')!;
    expect(y.active).toBe(false);
    expect(y.count).toBe(1);
    expect(b.entries.find((e) => e.key === 'tool:a/x')!.active).toBe(true);
    expect(sum(b.convergence.map((p) => p.agedKeys))).toBe(1);
    b = updateBaseline(b, [row('tool:a/y', h(7, 5))], h(8, 3)).baseline;
    expect(b.entries.find((e) => e.key === 'tool:a/y')!.active).toBe(true);
    expect(b.convergence.at(-1)!.returningKeys + b.convergence.at(-2)!.returningKeys).toBe(1);
    expect(sum(b.convergence.map((p) => p.newKeys))).toBe(2);
  });

  it('leaves unsettled windows for later and reports late ones without counting them', () => {
    const b0 = emptyBaseline(subject, h(0));
    const r1 = updateBaseline(b0, [row('tool:a/x', h(0, 10)), row('tool:a/z', h(0, 12))], h(0, 12)).baseline;
    expect(r1.entries.map((e) => e.key)).toEqual(['tool:a/x']);
    expect(r1.watermark).toBe(h(0, 11));
    const r2 = updateBaseline(r1, [row('tool:a/late', h(0, 9)), row('tool:a/z', h(0, 12))], h(0, 20));
    expect(r2.late).toBe(1);
    expect(r2.baseline.entries.map((e) => e.key)).toEqual(['tool:a/x', 'tool:a/z']);
    const r3 = updateBaseline(r2.baseline, [], h(0, 20));
    expect(r3.changed).toBe(false);
    expect(r3.baseline).toBe(r2.baseline);
  });

  it('ignores rows of other subjects and rejects a period that is not whole hours', () => {
    const b = updateBaseline(emptyBaseline(subject, h(0)), [{ ...row('tool:a/x', h(0)), subject: 'other' }], h(2));
    expect(b.changed).toBe(false);
    expect(() => emptyBaseline(subject, h(0), { periodMs: 90 * 60_000 })).toThrow(RangeError);
  });
});

describe('status rule', () => {
  const pt = (newKeyRate: number, observations = 10, closed = true): ConvergencePoint => ({
    start: '',
    end: '',
    newKeys: 0,
    returningKeys: 0,
    agedKeys: 0,
    seenKeys: 0,
    envelopeSize: 100,
    newKeyRate,
    observations,
    closed,
    status: 'learning',
  });
  const cfg = DEFAULT_BASELINE_CONFIG;
  it.each([
    ['too few periods', [pt(1), pt(0)], 'learning'],
    ['idle periods do not count', [pt(1), pt(0), pt(0, 0), pt(0, 0)], 'learning'],
    ['open period does not count', [pt(1), pt(0), pt(0, 10, false)], 'learning'],
    ['three quiet periods', [pt(1), pt(0.5), pt(0.01), pt(0), pt(0.02)], 'stable'],
    ['one bump in the last three', [pt(1), pt(0), pt(0.05), pt(0), pt(0)], 'converging'],
    ['idle days between quiet days', [pt(1), pt(0), pt(0, 0), pt(0), pt(0, 0), pt(0)], 'stable'],
    ['churning', [pt(1), pt(0.3), pt(0.4), pt(0.25)], 'unstable'],
    ['churn calming down', [pt(1), pt(0.3), pt(0.4), pt(0.1)], 'converging'],
  ] as const)('%s', (_name, points, want) => {
    expect(convergenceStatus(points, cfg).status).toBe(want);
  });
});
