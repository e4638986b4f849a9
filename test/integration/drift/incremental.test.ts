/**
 * Incremental drift equals full recomputation (fast-check): a generated multi-subject history
 * (./incremental-fixture.ts) ingested in random splits and orders into the embedded store, with an incremental run
 * after each ingest, ends with exactly the drift items one full run over the same period makes from all of it (same
 * ids, subjects, classifications, scores, sessions, change keys, audit ids, related items). Splits: records dealt to
 * batches at random; time slices in random order; and the live shape, records arriving late by source (minutes for
 * traces, hours for CloudTrail) with each run's `now` at the arrival. The sessions the state recorded are those of the full run too (grouping, verdict,
 * summary). A run with nothing new then judges nothing, writes nothing and publishes nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../lib/adapters/sqlite-store.ts';
import { runDriftIncremental } from '../../../lib/app/drift/incremental.ts';
import { listDriftItems } from '../../../lib/app/drift/items-store.ts';
import { runDrift } from '../../../lib/app/drift/service.ts';
import { loadRecords, loadState } from '../../../lib/app/drift/state-store.ts';
import type { DriftObject } from '../../../lib/core/drift/types.ts';
import type { Observation } from '../../../lib/core/observation.ts';
import { Rng } from '../../../lib/demo/rng.ts';
import type { DirtyMarks, Store } from '../../../lib/ports.ts';
import { CI, DAY, END, HOUR, history, MAIL, OPTIONS, P0, WORKER } from './incremental-fixture.ts';

const iso = (t: number) => new Date(t).toISOString();

/** What must be equal about an item. */
function shape(d: DriftObject) {
  return {
    id: d.id,
    subject: d.subject,
    classification: d.classification,
    score: d.score,
    sessions: [...(d.sessions ?? [])].sort(),
    changes: d.changes.map((c) => `${c.type}|${c.key}|${c.window}`).sort(),
    auditId: d.auditId,
    related: [...(d.related ?? [])].sort(),
  };
}

/** What must be equal about a judged session: its grouping, verdict and everything the agent's model learns. */
const session = (s: { subject: string; id: string; start: number; verdict: string; summary: object }) => ({
  subject: s.subject,
  id: s.id,
  start: s.start,
  verdict: s.verdict,
  summary: s.summary,
});

async function full(all: Observation[]) {
  const store = new SqliteStore();
  await store.write(all, []);
  const r = await runDrift(store, { now: iso(END), sinceMs: END - P0, options: OPTIONS, persist: false });
  await store.close();
  return {
    items: r.items.map(shape).sort((a, b) => a.id.localeCompare(b.id)),
    sessions: r.sessions
      .map((v) => session({ ...v, id: v.session, start: Date.parse(v.start) }))
      .sort((a, b) => a.start - b.start || a.id.localeCompare(b.id)),
  };
}

async function storedSessions(store: Store) {
  const out: ReturnType<typeof session>[] = [];
  for (const s of await store.subjects())
    for (const r of await loadRecords(store, s.subject, P0)) out.push(session({ ...r, subject: s.subject }));
  return out.sort((a, b) => a.start - b.start || a.id.localeCompare(b.id));
}

async function storedItems(store: Store) {
  const out: ReturnType<typeof shape>[] = [];
  for (const s of await store.subjects()) for (const d of await listDriftItems(store, s.subject)) out.push(shape(d));
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

const SPLITS = ['dealt', 'shuffled-slices', 'late-arrival', 'cadence'] as const;
type Split = (typeof SPLITS)[number];

/** The batches of one split, each with the `now` its run judges up to. */
function batches(all: Observation[], split: Split, n: number, seed: number): { obs: Observation[]; now: number }[] {
  const rng = new Rng(seed);
  if (split === 'dealt') {
    const out = Array.from({ length: n }, () => ({ obs: [] as Observation[], now: END }));
    for (const o of all) out[rng.int(0, n - 1)]!.obs.push(o);
    return out;
  }
  if (split === 'shuffled-slices') {
    const first = Math.min(...all.map((o) => Date.parse(o.time)));
    const slice = Math.ceil((END - first) / n);
    const out = Array.from({ length: n }, () => ({ obs: [] as Observation[], now: END }));
    for (const o of all) out[Math.min(n - 1, Math.floor((END - Date.parse(o.time)) / slice))]!.obs.push(o);
    for (let i = out.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
  // Live: records arrive after they happened, each source with its own delay (agent traces and the node agent within
  // minutes, flow logs within the hour, CloudTrail up to three hours); a run every `n` hours of arrivals.
  const MIN = 60_000;
  const delay: Record<Observation['source'], [number, number]> = {
    'bedrock-trace': [0, 10 * MIN],
    'bedrock-invocation': [0, 10 * MIN],
    'node-agent': [0, 2 * MIN],
    'vpc-flow': [10 * MIN, HOUR],
    cloudtrail: [15 * MIN, 3 * HOUR],
  };
  const arrivals = all.map((o) => ({ o, at: Date.parse(o.time) + rng.int(...delay[o.source]) }));
  if (split === 'cadence') return cadence(arrivals, n, rng);
  const step = n * HOUR;
  const out: { obs: Observation[]; now: number }[] = [];
  for (let t = P0 - DAY; t < END + 3 * HOUR; t += step) {
    const obs = arrivals.filter((a) => a.at < t + step && (a.at >= t || t === P0 - DAY)).map((a) => a.o);
    out.push({ obs, now: Math.min(t + step, END) });
  }
  return out;
}

/**
 * Runs at random instants within each of the last `n` hours (one to six an hour, as deliveries or a schedule start
 * them), each judging what arrived before it; what arrived earlier comes in one batch, the rest in a last one.
 */
function cadence(arrivals: { o: Observation; at: number }[], n: number, rng: Rng) {
  const times = [END - n * HOUR];
  for (let h = END - n * HOUR; h < END; h += HOUR) {
    const k = rng.int(1, 6);
    times.push(...Array.from({ length: k }, () => h + rng.int(1, HOUR - 1)).sort((a, b) => a - b));
  }
  times.push(END + 3 * HOUR);
  return times.map((t, i) => ({
    obs: arrivals.filter((a) => a.at < t && (i === 0 || a.at >= times[i - 1]!)).map((a) => a.o),
    now: Math.min(t, END),
  }));
}

/** `store`, whose first listing of dirty marks is followed by `other` writing `obs` (a concurrent ingest). */
function writingAfterListing(store: Store, other: Store, obs: Observation[]): Store {
  let done = false;
  const dirty: DirtyMarks = {
    list: async (opts) => {
      const marks = await store.dirty!.list(opts);
      if (!done) {
        done = true;
        await other.write(obs, []);
      }
      return marks;
    },
    get: (subject) => store.dirty!.get(subject),
    mark: (subject, windows, opts) => store.dirty!.mark(subject, windows, opts),
    clear: (subject, seq, keep) => store.dirty!.clear(subject, seq, keep),
  };
  return new Proxy(store, { get: (t, name) => (name === 'dirty' ? dirty : Reflect.get(t, name, t)) });
}

describe('incremental drift', () => {
  it('the generated history exercises every kind of item', async () => {
    const { items } = await full(history(1));
    const kinds = new Set(
      items.map((d) => (d.id.includes('#deploy:') ? 'evolution' : d.id.includes('#') ? d.classification : 'window')),
    );
    expect([...kinds].sort()).toEqual(['evolution', 'risky', 'window']);
    expect(items.some((d) => d.related.length > 0)).toBe(true);
  }, 60_000);

  it('equals one full recomputation whatever the ingest order and split', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.constantFrom(...SPLITS),
        fc.integer({ min: 2, max: 6 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.boolean(),
        async (seed, split, n, order, moving) => {
          const all = history(seed);
          const want = await full(all);
          const store = new SqliteStore();
          // Data arrives at most three hours late in the live shape: a checkpoint trailing by a day stays exact.
          const horizonMs = split !== 'dealt' && split !== 'shuffled-slices' && moving ? DAY : Number.POSITIVE_INFINITY;
          const run = (now: number) =>
            runDriftIncremental(store, { now: iso(now), origin: iso(P0), options: OPTIONS, horizonMs });
          try {
            for (const b of batches(all, split, n, order)) {
              await store.write(b.obs, []);
              await run(b.now);
            }
            await run(END);
            expect(await storedItems(store)).toEqual(want.items);
            expect(await storedSessions(store)).toEqual(want.sessions);
            // Nothing new: nothing judged, written or published.
            const again = await run(END);
            expect(again.subjects).toEqual([]);
            expect(again.items).toEqual([]);
          } finally {
            await store.close();
          }
        },
      ),
      { numRuns: Number(process.env.DRIFT_PROPERTY_RUNS ?? 16) },
    );
  }, 600_000);

  it('stays exact with two processes on one store, and a write landing between listing and judging', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.constantFrom(...SPLITS),
        fc.integer({ min: 2, max: 5 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        async (seed, split, n, order) => {
          const all = history(seed);
          const want = await full(all);
          const dir = mkdtempSync(join(tmpdir(), 'warden-incremental-'));
          // Two store objects on one database: two warm processes, each with its own caches, or a cold start.
          const stores = [new SqliteStore({ path: join(dir, 'w.db') }), new SqliteStore({ path: join(dir, 'w.db') })];
          const rng = new Rng(order);
          const run = (store: Store, now: number) =>
            runDriftIncremental(store, { now: iso(now), origin: iso(P0), options: OPTIONS, horizonMs: DAY });
          try {
            const list = batches(all, split, n, order);
            for (let i = 0; i < list.length; i++) {
              const b = list[i]!;
              await stores[rng.int(0, 1)]!.write(b.obs, []);
              const next = list[i + 1];
              // Sometimes the next batch is written by the other process while this run has listed its dirty marks.
              const racing = next && rng.int(0, 2) === 0;
              const runner = stores[rng.int(0, 1)]!;
              await run(racing ? writingAfterListing(runner, stores[1]!, next.obs) : runner, b.now);
              if (racing) list.splice(i + 1, 1, { ...next, obs: [] });
            }
            await run(stores[0]!, END);
            await run(stores[1]!, END);
            expect(await storedItems(stores[0]!)).toEqual(want.items);
            expect(await storedSessions(stores[1]!)).toEqual(want.sessions);
          } finally {
            for (const st of stores) await st.close();
            rmSync(dir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: Number(process.env.DRIFT_PROPERTY_RUNS ?? 16) / 2 },
    );
  }, 600_000);

  it('judges in the same run an agent that a deploy reopens after the last subject listed', async () => {
    // The deploy's principal sorts before the agent it changes: the one dirty page is short, the agent not on it.
    const ci = 'aws:role/ci';
    const all = history(5).map((o) => (o.subject === CI ? { ...o, subject: ci } : o));
    const want = await full(all);
    const store = new SqliteStore();
    const run = () => runDriftIncremental(store, { now: iso(END), origin: iso(P0), options: OPTIONS, horizonMs: DAY });
    try {
      await store.write(
        all.filter((o) => o.subject !== ci),
        [],
      );
      await run();
      await store.write(
        all.filter((o) => o.subject === ci),
        [],
      );
      const r = await run();
      expect(r.deploys).toHaveLength(1);
      expect(r.subjects.map((x) => x.subject)).toEqual([MAIL]);
      expect(await store.dirty!.list()).toEqual([]);
      expect(await storedItems(store)).toEqual(want.items);
    } finally {
      await store.close();
    }
  }, 120_000);

  it('keeps a window dirty while it holds data dated after the run, and clears it once judged', async () => {
    const store = new SqliteStore();
    try {
      const all = history(3);
      await store.write(all, []);
      // The run's clock is a minute into the last hour; the worker's records of that hour are dated later.
      const now = END - HOUR + 60_000;
      await runDriftIncremental(store, { now: iso(now), origin: iso(P0), options: OPTIONS, horizonMs: DAY });
      const lastHour = iso(END - HOUR);
      const later = all.filter((o) => o.subject === WORKER && o.time > iso(now));
      expect(later.length).toBeGreaterThan(0);
      expect((await store.dirty!.get(WORKER))?.windows).toEqual([lastHour]);
      const quiet = (await store.subjects()).filter((x) => x.lastSeen <= iso(now)).map((x) => x.subject);
      for (const q of quiet) expect(await store.dirty!.get(q)).toBeUndefined();
      const r = await runDriftIncremental(store, { now: iso(END), origin: iso(P0), options: OPTIONS, horizonMs: DAY });
      expect(r.subjects.map((x) => x.subject)).toContain(WORKER);
      expect(await store.dirty!.get(WORKER)).toBeUndefined();
    } finally {
      await store.close();
    }
  }, 120_000);

  it('stays exact with a checkpoint trailing a day behind: late data within the day re-judges, none before', async () => {
    const all = history(7);
    const want = await full(all);
    const store = new SqliteStore();
    try {
      for (const b of batches(all, 'late-arrival', 3, 11)) {
        await store.write(b.obs, []);
        await runDriftIncremental(store, { now: iso(b.now), origin: iso(P0), options: OPTIONS, horizonMs: DAY });
      }
      const state = (await loadState(store, MAIL))!.state;
      expect(state.at).toBe(END - DAY);
      expect(state.closed.length).toBeGreaterThan(0);
      expect(await storedItems(store)).toEqual(want.items);
    } finally {
      await store.close();
    }
  }, 120_000);
});
