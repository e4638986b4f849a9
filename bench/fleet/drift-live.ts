/**
 * Drift between the hours as it runs live. The scaling runs (./drift.ts) judge a whole new hour in one run; this
 * measures the same new hour of the 1x store with runs inside the hour, the handler's clock at each run's time (it
 * reads the clock through `Date`, shifted here for the run only):
 * - `warden:driftMinutes` 0 (`mode: 'per-delivery'`): the deployed stack starts a Drift run after every ingest that
 *   stored data, so a subject is judged once per delivery while its hour is open, and its hour is sealed by the first
 *   run after it ends: the hour delivered in `runs` slices, a run after each, and the sealing run.
 * - N above 0 (`mode: 'schedule'`): a run every N minutes, `runs` = 60 / N of them in the hour, at :N, :2N ... and
 *   the last just after the hour ends (which seals it); each input arrives at its own time (newHourInputs' `at`).
 * Each run's units are kept apart, so the run at the end of the hour can be set against the one hourly run that the
 * ingest slice already prices.
 */
import { DynamoStore } from '../../lib/adapters/dynamo-store.ts';
import { localClientConfig } from '../../lib/adapters/open-store.ts';
import { ingestStreams } from '../../lib/app/ingest/pipeline.ts';
import { type NewHourInput, newHourInputs, writeHistory } from './drift.ts';
import { type Counts, diffCounts } from './endpoint.ts';
import type { Lambdas } from './lambda.ts';
import { type Agent, fleet, REGION } from './workload.ts';

const HOUR = 3_600_000;

/** What one metered Drift run took. */
export interface RunUse {
  readUnits: number;
  writeUnits: number;
  /** PutEvents entries ("Warden Drift Detected"). */
  eventEntries: number;
  ms: number;
}

export interface LiveDrift {
  mode: 'per-delivery' | 'schedule';
  /** Deliveries in the hour (per-delivery), or scheduled runs in the hour (schedule). */
  deliveries: number;
  newEvents: number;
  readUnits: number;
  writeUnits: number;
  eventEntries: number;
  /** Runs metered: per delivery and the sealing run, or the scheduled runs (the last seals the hour). */
  runs: number;
  ms: number;
  /** Each run, in order. */
  perRun: RunUse[];
}

/** Runs `fn` with `Date` (its constructor without arguments, and `Date.now`) reading `at` plus the time since. */
async function atClock<T>(at: number, fn: () => Promise<T>): Promise<T> {
  const Real = Date;
  const offset = at - Real.now();
  class Shifted extends Real {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(Real.now() + offset);
      else super(...(args as [number]));
    }
    static override now(): number {
      return Real.now() + offset;
    }
  }
  globalThis.Date = Shifted as DateConstructor;
  try {
    return await fn();
  } finally {
    globalThis.Date = Real;
  }
}

/** The new hour of `agents` (newHourInputs), cut by arrival into `k` slices. */
export function newHourSlices(agents: Agent[], now: number, k: number) {
  const slices = Array.from({ length: k }, () => ({ events: 0, inputs: [] as NewHourInput['input'][] }));
  for (const x of newHourInputs(agents, now)) {
    const s = slices[Math.floor((x.at * k) / HOUR)]!;
    s.events += x.events;
    s.inputs.push(x.input);
  }
  return slices;
}

/**
 * Measures drift over one live hour at 1x: `runs` slices of the hour, a run at the end of each (per-delivery: and the
 * sealing run after the hour; schedule: the last run is the one after the hour).
 */
export async function driftLive(
  l: Lambdas,
  counts: Counts,
  fresh: () => Promise<string>,
  o: { table: string; agents: number; days: number; now: number; runs: number; mode: LiveDrift['mode'] },
): Promise<LiveDrift> {
  const endpoint = await fresh();
  const agents = fleet(o.agents);
  await writeHistory(endpoint, o.table, agents, o.days, o.now);
  await atClock(o.now - HOUR, async () => {
    for (;;) {
      const prep = await l.invoke<{ remaining?: number }>('Drift', { sinceHours: 24 });
      if (!prep.result.remaining) break;
    }
  });
  const out: LiveDrift = {
    mode: o.mode,
    deliveries: o.runs,
    newEvents: 0,
    readUnits: 0,
    writeUnits: 0,
    eventEntries: 0,
    runs: 0,
    ms: 0,
    perRun: [],
  };
  // The scheduled input is what the rule sends (`{}`); drift on ingest sends `{"sinceHours": 24}`: the same default.
  const input = o.mode === 'schedule' ? {} : { sinceHours: 24 };
  const run = async (at: number) => {
    const c0 = structuredClone(counts);
    const r = await atClock(at, () => l.invoke('Drift', input));
    const d = diffCounts(counts, c0);
    const use = { readUnits: d.readUnits, writeUnits: d.writeUnits, eventEntries: d.eventEntries, ms: r.ms };
    out.readUnits += use.readUnits;
    out.writeUnits += use.writeUnits;
    out.eventEntries += use.eventEntries;
    out.runs++;
    out.ms += use.ms;
    out.perRun.push(use);
  };
  const slices = newHourSlices(agents, o.now, o.runs);
  for (const [j, s] of slices.entries()) {
    const end = o.now - HOUR + ((j + 1) * HOUR) / o.runs - 1000;
    const store = new DynamoStore({ tableName: o.table, clientConfig: localClientConfig(endpoint, REGION) });
    await atClock(end, () => ingestStreams(store, s.inputs, { defaultRegion: REGION }));
    await store.close();
    out.newEvents += s.events;
    // On a schedule the last slice's run is the one just after the hour; per delivery it runs at the slice's end.
    if (o.mode === 'per-delivery' || j < slices.length - 1) await run(end);
  }
  await run(o.now + 1000);
  process.stderr.write(`fleet: drift live ${JSON.stringify(out)}\n`);
  return out;
}
