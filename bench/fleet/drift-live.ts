/**
 * Drift on ingest as it runs live: the deployed stack starts a Drift run after every ingest that stored data, so a
 * subject is judged once per delivery while its hour is open, and its hour is sealed by the first run after the hour
 * ends. The scaling runs (./drift.ts) judge a whole new hour in one run; this measures the same new hour of the 1x
 * store delivered in `deliveries` slices, a Drift run after each with the clock at the slice's end (the handler reads
 * the clock through `Date`, shifted here for the run only), and the run after the hour that seals it. Its units per
 * new event are what drift on ingest costs per event when each delivery starts a run.
 */
import { DynamoStore } from '../../lib/adapters/dynamo-store.ts';
import { localClientConfig } from '../../lib/adapters/open-store.ts';
import { ingestStreams } from '../../lib/app/ingest/pipeline.ts';
import { type NewHourInput, newHourInputs, writeHistory } from './drift.ts';
import { type Counts, diffCounts } from './endpoint.ts';
import type { Lambdas } from './lambda.ts';
import { type Agent, fleet, REGION } from './workload.ts';

const HOUR = 3_600_000;

export interface LiveDrift {
  deliveries: number;
  newEvents: number;
  readUnits: number;
  writeUnits: number;
  /** Runs metered: one per delivery and the sealing run. */
  runs: number;
  ms: number;
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
function newHourSlices(agents: Agent[], now: number, k: number) {
  const slices = Array.from({ length: k }, () => ({ events: 0, inputs: [] as NewHourInput['input'][] }));
  for (const x of newHourInputs(agents, now)) {
    const s = slices[Math.floor((x.at * k) / HOUR)]!;
    s.events += x.events;
    s.inputs.push(x.input);
  }
  return slices;
}

/** Measures drift on ingest over one live hour at 1x, `deliveries` runs in the hour plus the sealing run. */
export async function driftLive(
  l: Lambdas,
  counts: Counts,
  fresh: () => Promise<string>,
  o: { table: string; agents: number; days: number; now: number; deliveries: number },
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
  const out: LiveDrift = { deliveries: o.deliveries, newEvents: 0, readUnits: 0, writeUnits: 0, runs: 0, ms: 0 };
  const run = async (at: number) => {
    const c0 = structuredClone(counts);
    const r = await atClock(at, () => l.invoke('Drift', { sinceHours: 24 }));
    const d = diffCounts(counts, c0);
    out.readUnits += d.readUnits;
    out.writeUnits += d.writeUnits;
    out.runs++;
    out.ms += r.ms;
  };
  for (const [j, s] of newHourSlices(agents, o.now, o.deliveries).entries()) {
    const end = o.now - HOUR + ((j + 1) * HOUR) / o.deliveries - 1000;
    const store = new DynamoStore({ tableName: o.table, clientConfig: localClientConfig(endpoint, REGION) });
    await atClock(end, () => ingestStreams(store, s.inputs, { defaultRegion: REGION }));
    await store.close();
    out.newEvents += s.events;
    await run(end);
  }
  await run(o.now + 1000);
  process.stderr.write(`fleet: drift live ${JSON.stringify(out)}\n`);
  return out;
}
