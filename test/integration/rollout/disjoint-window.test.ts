/**
 * The blast radius never replays the data its artifacts were generated from. Through the real store and the real
 * artifact provider (baseline cut at `until`, aggregates replayed from the window): an agent behaves the same for
 * three weeks, then in the held-out week also reaches a new destination and calls ptrace. Generated from the data
 * before `until`, the artifacts deny both, and the window counts exactly the held-out events, no earlier one. The
 * same replay against artifacts generated from all the data finds nothing to deny: that is the circular measurement
 * the cut prevents, and what this test would see if generation read past `until`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadIamCatalog } from '../../../lib/adapters/iam-scope.ts';
import { openStore } from '../../../lib/adapters/open-store.ts';
import { refreshBaseline } from '../../../lib/app/baselines/service.ts';
import type { BlastSummary } from '../../../lib/app/rollout/deps.ts';
import { runRolloutLocal } from '../../../lib/app/rollout/local.ts';
import { transitions } from '../../../lib/app/rollout/record.ts';
import { storeArtifactProvider } from '../../../lib/app/rollout/store-provider.ts';
import type { Layer, Observation } from '../../../lib/core/observation.ts';
import { blastRadius } from '../../../lib/core/rollout/blast-radius.ts';
import type { Store, TimeRange } from '../../../lib/ports.ts';
import { localRolloutDeps } from '../../support/rollout-fixtures.ts';

const AGENT = 'k8s:prod/agents/kb-retriever';
const NOW = '2026-12-06T10:30:00.000Z';
/** Seven days before NOW, on the hour: where the rollout stops generation (`hourFloor(now - 7 d)`). */
const UNTIL = '2026-11-29T10:00:00.000Z';
const HOUR = 3_600_000;
const NOVEL = ['net:egress:198.51.100.7/32:8443', 'syscall:ptrace'];

let seq = 0;
function obs(key: string, layer: Layer, at: number, count: number): Observation {
  return {
    v: 1,
    id: `disjoint-${seq++}`,
    time: new Date(at + 60_000).toISOString(),
    source: 'node-agent',
    subject: AGENT,
    layer,
    kind: key.split(':')[0]!,
    key,
    count,
    correlation: {},
    attrs: {},
  };
}

const usual = (at: number) => [
  obs('net:egress:52.217.10.4/32:443', 'network', at, 4),
  obs('syscall:read', 'kernel', at, 300),
  obs('syscall:openat', 'kernel', at, 20),
  obs('exec:/usr/bin/python3', 'kernel', at, 1),
];

let store: Store;
let dir: string;
/** Events written after UNTIL, by key (what a correct window replays, exactly). */
const heldOut = new Map<string, number>();

beforeAll(async () => {
  store = await openStore('embedded:memory');
  dir = mkdtempSync(join(tmpdir(), 'warden-disjoint-'));
  const all: Observation[] = [];
  const until = Date.parse(UNTIL);
  for (let t = until - 21 * 24 * HOUR; t < until; t += 3 * HOUR) all.push(...usual(t));
  for (let t = until; t < Date.parse(NOW) - HOUR; t += 3 * HOUR) {
    const week = [...usual(t), obs(NOVEL[0]!, 'network', t, 2), obs(NOVEL[1]!, 'kernel', t, 1)];
    for (const o of week) if (!o.key.startsWith('exec:')) heldOut.set(o.key, (heldOut.get(o.key) ?? 0) + o.count);
    all.push(...week);
  }
  await store.write(all, []);
  await store.setLabels(AGENT, { 'warden.dev/agent-class': 'retrieval' });
  // The stored baseline is folded through NOW: it holds the held-out week, which generation must not read.
  await refreshBaseline(store, AGENT, NOW);
}, 60_000);
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const sum = (keys: (k: string) => boolean) => [...heldOut].filter(([k]) => keys(k)).reduce((n, [, c]) => n + c, 0);

describe('blast radius window disjoint from generation', () => {
  it('generation stops at until, the window replays exactly the held-out events, and the new ones are denied', async () => {
    const provider = storeArtifactProvider({ store, now: () => NOW, loadCatalog: loadIamCatalog });
    const generatedUntil: (string | undefined)[] = [];
    const ranges: TimeRange[] = [];
    const deps = {
      ...localRolloutDeps(store, dir),
      now: () => NOW,
      artifacts: {
        ...provider,
        async generate(...a: Parameters<typeof provider.generate>) {
          const g = await provider.generate(...a);
          generatedUntil.push(g.generatedUntil);
          // Nothing the artifacts were built from was seen at or after `until`.
          for (const f of g.files)
            for (const r of f.rules)
              for (const e of r.derivedFrom) expect(e.lastSeen < UNTIL, `${f.path} ${e.key} ${e.lastSeen}`).toBe(true);
          expect(JSON.stringify(g.files)).not.toContain('198.51.100.7');
          return g;
        },
        async window(...a: Parameters<typeof provider.window>) {
          ranges.push(a[2]);
          const w = await provider.window(...a);
          for (const b of w) expect(b.firstSeen >= UNTIL, `${b.key} ${b.firstSeen}`).toBe(true);
          return w;
        },
      },
    };
    const r = await runRolloutLocal(deps, {
      rolloutId: 'disjoint-1',
      observationSeconds: 0,
      subjects: [{ subject: AGENT, class: 'retrieval', track: 'observe-in-production' }],
      threshold: { maxWouldDenyEvents: 0, maxWouldDenyRatio: 0 },
      evaluation: { mode: 'held-out', holdoutDays: 7 },
    });
    expect(generatedUntil).toEqual([UNTIL]);
    expect(ranges.length).toBeGreaterThan(0);
    for (const x of ranges) expect(x).toMatchObject({ from: UNTIL, to: NOW });
    const blast = (await transitions(store, 'disjoint-1')).find((t) => t.step === 'measure-blast-radius')!
      .blast as BlastSummary;
    // Exactly the held-out week: three weeks of earlier events would more than quadruple these counts.
    expect(blast.perArtifact.network.evaluatedEvents).toBe(sum((k) => k.startsWith('net:')));
    expect(blast.perArtifact.seccomp.evaluatedEvents).toBe(sum((k) => k.startsWith('syscall:')));
    // What the agent did only in the held-out week is what the artifacts would deny, and nothing else.
    expect(blast.wouldDenyEvents).toBe(heldOut.get(NOVEL[0]!)! + heldOut.get(NOVEL[1]!)!);
    expect(blast.perArtifact.network.examples.map((d) => d.key)).toEqual([NOVEL[0]]);
    expect(blast.perArtifact.seccomp.examples.map((d) => d.key)).toEqual([NOVEL[1]]);
    expect(r.path).not.toContain('Enforce(retrieval)');
  });

  it('the same window against artifacts generated from all the data denies nothing: the replay would be circular', async () => {
    const provider = storeArtifactProvider({ store, now: () => NOW, loadCatalog: loadIamCatalog });
    const range = { from: UNTIL, to: NOW };
    const window = await provider.window(AGENT, 'production', range);
    const cut = await provider.generate(AGENT, 'production', { until: UNTIL });
    const full = await provider.generate(AGENT, 'production', {});
    expect(full.generatedUntil).toBe(NOW);
    const replay = (g: typeof cut) => blastRadius([{ artifacts: g.monitored, window }]).wouldDenyEvents;
    expect(replay(cut)).toBe(heldOut.get(NOVEL[0]!)! + heldOut.get(NOVEL[1]!)!);
    expect(replay(full)).toBe(0);
  });
});
