/**
 * Incremental drift on data we did not generate: the public agent sessions (../shared/data/public/agent-sessions,
 * real recorded sessions as Bedrock traces; its README) ingested as `warden ingest` does, then week 7 (where the
 * injection sessions are) judged as a deployment on the default 15-minute drift schedule judges it: records arriving
 * up to 10 minutes after they happened, an incremental run every 15 minutes judging what arrived before it. The drift
 * items stored at the end must be exactly those one full run over the week makes (same ids, classifications, scores,
 * sessions, changes, audit ids).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { localInputFiles } from '../../../lib/adapters/read-input.ts';
import { SqliteStore } from '../../../lib/adapters/sqlite-store.ts';
import { runDriftIncremental } from '../../../lib/app/drift/incremental.ts';
import { listDriftItems } from '../../../lib/app/drift/items-store.ts';
import { runDrift } from '../../../lib/app/drift/service.ts';
import { ingestPaths } from '../../../lib/app/ingest/pipeline.ts';
import type { DriftObject } from '../../../lib/core/drift/types.ts';
import type { Observation } from '../../../lib/core/observation.ts';

const SESSIONS = path.resolve(import.meta.dirname, '../../../../shared/data/public/agent-sessions');
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** End of week 7 (the README: weeks start Monday 2026-06-01; week 7 is 2026-07-13..19). */
const END = Date.parse('2026-07-20T00:00:00.000Z');
const WEEK7 = END - 7 * DAY;
const iso = (t: number) => new Date(t).toISOString();

const shape = (d: DriftObject) =>
  JSON.stringify({
    id: d.id,
    classification: d.classification,
    score: d.score,
    sessions: [...(d.sessions ?? [])].sort(),
    changes: d.changes.map((c) => `${c.type}|${c.key}|${c.window}`).sort(),
    auditId: d.auditId,
  });

/** Every observation the public sessions give, as the embedded store holds them after `warden ingest`. */
async function publicObservations(): Promise<Observation[]> {
  const files = ['tau-bench', 'tau2-bench', 'issue-summarizer-injection'].map((d) =>
    path.join(SESSIONS, d, 'traces.jsonl'),
  );
  for (const f of files)
    if (!existsSync(f)) throw new Error(`public agent sessions missing: ${f} (clone ../shared beside the repository)`);
  const src = new SqliteStore();
  try {
    await ingestPaths(src, files, { files: localInputFiles, workers: 0 });
    const all: Observation[] = [];
    for (const s of await src.subjects()) all.push(...(await src.evidence(s.subject, iso(0), iso(END + DAY))));
    return all;
  } finally {
    await src.close();
  }
}

describe('incremental drift on the public agent sessions', () => {
  it('a run every 15 minutes over week 7 stores exactly the items of one full run', async () => {
    const all = await publicObservations();
    expect(all.length).toBeGreaterThan(10_000);

    const fullStore = new SqliteStore();
    await fullStore.write(all, []);
    const full = await runDrift(fullStore, { now: iso(END), sinceMs: END - WEEK7, persist: false });
    await fullStore.close();
    const want = full.items.map(shape).sort();
    // The week holds the injection sessions: a comparison of empty lists would prove nothing.
    expect(full.items.filter((d) => d.classification === 'risky').length).toBeGreaterThan(50);

    const store = new SqliteStore();
    try {
      // A fixed delay per record (0 to 10 minutes, from its id): arrivals cross the runs' boundaries.
      const arriving = all.map((o) => ({ o, at: Date.parse(o.time) + ((o.id.charCodeAt(3) * 7919) % (10 * MIN)) }));
      const run = (now: number) => runDriftIncremental(store, { now: iso(now), origin: iso(WEEK7) });
      await store.write(
        arriving.filter((a) => a.at < WEEK7).map((a) => a.o),
        [],
      );
      await run(WEEK7);
      for (let t = WEEK7; t < END + 3 * HOUR; t += 15 * MIN) {
        const obs = arriving.filter((a) => a.at >= t && a.at < t + 15 * MIN).map((a) => a.o);
        if (obs.length > 0) await store.write(obs, []);
        await run(Math.min(t + 15 * MIN, END));
      }
      const got: string[] = [];
      for (const s of await store.subjects())
        for (const d of await listDriftItems(store, s.subject)) got.push(shape(d));
      expect(got.sort()).toEqual(want);
      // Nothing new: the next run judges nothing.
      expect((await run(END)).subjects).toEqual([]);
    } finally {
      await store.close();
    }
  }, 180_000);
});
