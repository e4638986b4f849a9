import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BASELINE_DOC_ID,
  BASELINE_DOC_KIND,
  loadBaseline,
  refreshAll,
  refreshBaseline,
} from '../../../lib/app/baselines/service.ts';
import type { Observation } from '../../../lib/core/observation.ts';
import { generateChurnScenario } from '../../../lib/demo/churn.ts';
import type { AggregateRow, Store } from '../../../lib/ports.ts';
import { startDynaliteStore } from '../../support/dynalite.ts';

const DAY = 86_400_000;

function toObservations(rows: AggregateRow[]): Observation[] {
  return rows.map((r, i) => ({
    v: 1,
    id: `gen-${i}-${r.window}-${r.key}`,
    time: r.firstSeen,
    source: 'node-agent',
    subject: r.subject,
    layer: r.layer,
    kind: r.kind,
    key: r.key,
    count: r.count,
    correlation: {},
    attrs: { ...r.attrs, ...r.sums },
  }));
}

describe('baseline service over a real store (dynalite)', () => {
  let store: Store;
  let stop: () => Promise<void>;
  const full = generateChurnScenario({ days: 4, rollouts: [2], perPod: false, seed: 11 });
  // A slice of the behavior keeps the store writes (the slow part here) small; the core is tested at scale elsewhere.
  const sc = {
    ...full,
    deploymentRows: full.deploymentRows.filter(
      (r) =>
        /^(syscall:read|dns:|tool:support-tools\/(get|reply)|pkg:|model:)/.test(r.key) &&
        Date.parse(r.window) % (3 * 3_600_000) === 0,
    ),
  };
  const obs = toObservations(sc.deploymentRows);
  const at = (d: number) => new Date(Date.parse(sc.start) + d * DAY + 2 * 3_600_000).toISOString();

  beforeAll(async () => {
    ({ store, stop } = await startDynaliteStore());
    await store.write(
      obs.filter((o) => o.time < at(2)),
      [],
    );
  });
  afterAll(async () => stop?.());

  it('builds the baseline from stored aggregates and saves it as a doc', async () => {
    const r = await refreshBaseline(store, sc.subject, at(2));
    expect(r.saved).toBe(true);
    expect(r.folded).toBeGreaterThan(0);
    const doc = await store.getDoc(BASELINE_DOC_KIND, sc.subject, BASELINE_DOC_ID);
    expect(doc?.version).toBe(1);
    const loaded = await loadBaseline(store, sc.subject);
    expect(loaded!.baseline.entries.length).toBe(r.baseline.entries.length);
    expect(loaded!.baseline.convergence.filter((p) => p.closed)).toHaveLength(2);
    expect(loaded!.baseline.entries.find((e) => e.key === 'syscall:read')!.count).toBe(
      sc.deploymentRows
        .filter((x) => x.key === 'syscall:read' && x.window < loaded!.baseline.watermark)
        .reduce((n, x) => n + x.count, 0),
    );
  });

  it('a refresh with nothing new writes nothing; replayed input changes nothing', async () => {
    const again = await refreshBaseline(store, sc.subject, at(2));
    expect(again.saved).toBe(false);
    await store.write(
      obs.filter((o) => o.time >= at(1) && o.time < at(2)),
      [],
    );
    const replay = await refreshBaseline(store, sc.subject, at(2));
    expect(replay.saved).toBe(false);
  });

  it('folds only the new days on the next refresh', async () => {
    await store.write(
      obs.filter((o) => o.time >= at(2)),
      [],
    );
    const before = (await loadBaseline(store, sc.subject))!.baseline;
    const r = await refreshBaseline(store, sc.subject, at(4));
    expect(r.saved).toBe(true);
    expect(r.late).toBe(0);
    const newRows = sc.deploymentRows.filter((x) => x.window >= before.watermark && x.window < r.baseline.watermark);
    expect(r.folded).toBe(newRows.length);
    expect((await store.getDoc(BASELINE_DOC_KIND, sc.subject, BASELINE_DOC_ID))!.version).toBe(2);

    const [all] = await refreshAll(store, at(4), { subjects: [sc.subject] });
    expect(all).toMatchObject({ subject: sc.subject, saved: false });
  });

  it('rejects a stored doc that is not a baseline', async () => {
    await store.putDoc(BASELINE_DOC_KIND, 'k8s:c/ns/broken', BASELINE_DOC_ID, { hello: 1 });
    await expect(loadBaseline(store, 'k8s:c/ns/broken')).rejects.toThrow(/not a warden.baseline\/v1 document/);
  });
});
