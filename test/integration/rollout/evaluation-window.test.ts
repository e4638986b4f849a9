/**
 * The rollout measures the blast radius on a window the artifacts were not generated from: held out of generation
 * (local runs, pre-enforced) or after the monitor was applied; a class whose window is empty is not enforced and
 * the next class is judged on its own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../../lib/adapters/open-store.ts';
import { runRolloutLocal } from '../../../lib/app/rollout/local.ts';
import { transitions } from '../../../lib/app/rollout/record.ts';
import type { ArtifactProvider, Store, TimeRange } from '../../../lib/ports.ts';
import { CODER, localRolloutDeps, RETRIEVER, rolloutProvider } from '../../support/rollout-fixtures.ts';

let store: Store;
let dir: string;
beforeAll(async () => {
  store = await openStore('embedded:memory');
  dir = mkdtempSync(join(tmpdir(), 'warden-eval-'));
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const NOW = '2026-12-06T10:30:00.000Z';

describe('evaluation window of the blast radius', () => {
  it('holds out the last days from generation and replays only them; an empty window is not enforced', async () => {
    const calls: { subject: string; until?: string; range?: TimeRange }[] = [];
    const provider: ArtifactProvider = {
      async generate(subject, source, opts) {
        calls.push({ subject, ...(opts?.until ? { until: opts.until } : {}) });
        return rolloutProvider.generate(subject, source, opts);
      },
      async window(subject, source, range) {
        calls.push({ subject, range });
        // the retriever went quiet: nothing in its held-out week
        return subject === RETRIEVER ? [] : rolloutProvider.window(subject, source, range);
      },
    };
    const deps = { ...localRolloutDeps(store, dir), artifacts: provider, now: () => NOW };
    const r = await runRolloutLocal(deps, {
      rolloutId: 'held-1',
      observationSeconds: 0,
      subjects: [
        { subject: RETRIEVER, class: 'retrieval', track: 'observe-in-production' },
        { subject: CODER, class: 'code-execution', track: 'observe-in-production' },
      ],
      threshold: { maxWouldDenyEvents: 100, maxWouldDenyRatio: 1 },
      evaluation: { mode: 'held-out', holdoutDays: 7 },
    });
    // generation stopped on the hour, 7 days before now; every window starts there and ends now
    const until = '2026-11-29T10:00:00.000Z';
    expect(calls.filter((c) => 'until' in c).map((c) => c.until)).toEqual([until, until]);
    for (const c of calls.filter((x) => x.range)) expect(c.range).toMatchObject({ from: until, to: NOW });
    // retrieval: not measured, never enforced; code-execution goes on and is enforced (within the loose threshold)
    expect(r.path).toContain('MeasureBlastRadius(retrieval)');
    expect(r.path).not.toContain('Enforce(retrieval)');
    expect(r.path).toContain('Enforce(code-execution)');
    expect(r.status).toBe('SUCCEEDED');
    const measured = (await transitions(store, 'held-1')).filter((t) => t.step === 'measure-blast-radius');
    const retrieval = measured.find((t) => t.class === 'retrieval')!.blast as { measured: boolean; verdict: string };
    expect(retrieval.measured).toBe(false);
    expect(retrieval.verdict).toMatch(/^not measured/);
    const doc = await store.getDoc<{ notMeasured?: string[] }>('rollout', 'global', 'held-1');
    expect(doc!.body.notMeasured).toEqual(['retrieval']);
  });

  it('after the monitor: the window starts when the monitor artifacts were applied', async () => {
    const ranges: TimeRange[] = [];
    let t = Date.parse(NOW);
    const provider: ArtifactProvider = {
      generate: (s, src, o) => rolloutProvider.generate(s, src, o),
      async window(subject, source, range) {
        ranges.push(range);
        return rolloutProvider.window(subject, source, range);
      },
    };
    const deps = {
      ...localRolloutDeps(store, dir),
      artifacts: provider,
      // every step a minute later: generate, apply-monitor, measure ...
      now: () => {
        t += 60_000;
        return new Date(t).toISOString();
      },
    };
    await runRolloutLocal(deps, {
      rolloutId: 'mon-1',
      observationSeconds: 0,
      subjects: [{ subject: RETRIEVER, class: 'retrieval', track: 'observe-in-production' }],
    });
    const steps = await transitions(store, 'mon-1');
    const applied = steps.find((s) => s.step === 'apply-monitor')!.time as string;
    expect(ranges[0]!.from >= applied).toBe(true);
    expect(ranges[0]!.to > ranges[0]!.from).toBe(true);
  });
});
