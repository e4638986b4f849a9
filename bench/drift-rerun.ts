/**
 * Where a rerun of incremental drift spends its read and write units and its time: the fleet benchmark's live drift
 * (bench/fleet/drift-live.ts) in one process, with the use case called directly instead of the bundled handler, and
 * every Store call metered by what it reads (the DynamoDB units the counting endpoint sees during the call, by store
 * method and document kind). History as the 1x store (DRIFT_AGENTS agents, DRIFT_DAYS days), the state built an hour
 * before, then the new hour delivered in RERUN_DELIVERIES slices with a run after each and the run that seals it.
 * RERUN_COLD=1 gives every run a store of its own (a cold process: no state carried between runs).
 * Run: `npx tsx bench/drift-rerun.ts` (prints a JSON line per run and the totals by call).
 */
import { DynamoStore } from '../lib/adapters/dynamo-store.ts';
import { localClientConfig } from '../lib/adapters/open-store.ts';
import { ingestStreams } from '../lib/app/ingest/pipeline.ts';
import { reportDriftIncremental } from '../lib/app/report-drift.ts';
import type { Store } from '../lib/ports.ts';
import { writeHistory } from './fleet/drift.ts';
import { newHourSlices } from './fleet/drift-live.ts';
import { startDynaliteProcess } from './fleet/dynalite-process.ts';
import { startBenchEndpoint } from './fleet/endpoint.ts';
import { fleet, REGION } from './fleet/workload.ts';

const HOUR = 3_600_000;
const num = (name: string, d: number) => Number(process.env[name] ?? d);
type Tally = Record<string, { calls: number; read: number; write: number; ms: number }>;

/** Adds `v` to the tally's row `label`. */
function add(tally: Tally, label: string, v: Tally[string]): void {
  const row = tally[label] ?? { calls: 0, read: 0, write: 0, ms: 0 };
  tally[label] = { calls: row.calls + v.calls, read: row.read + v.read, write: row.write + v.write, ms: row.ms + v.ms };
}

/** `store` whose calls (and those of its dirty marks) add their units and time to `tally`, by method and kind. */
function metered(store: Store, units: () => { read: number; write: number }, tally: () => Tally): Store {
  const wrap = <T extends object>(target: T, prefix: string): T =>
    new Proxy(target, {
      get(t, name, receiver) {
        const v = Reflect.get(t, name, receiver);
        if (name === 'dirty' && v) return wrap(v as object, 'dirty.');
        if (typeof v !== 'function') return v;
        return async (...args: unknown[]) => {
          const label = `${prefix}${String(name)}${typeof args[0] === 'string' && /Doc/.test(String(name)) ? ` ${args[0]}` : ''}`;
          const u0 = units();
          const t0 = performance.now();
          try {
            return await (v as (...a: unknown[]) => Promise<unknown>).apply(t, args);
          } finally {
            const u1 = units();
            add(tally(), label, {
              calls: 1,
              read: u1.read - u0.read,
              write: u1.write - u0.write,
              ms: performance.now() - t0,
            });
          }
        };
      },
    });
  return wrap(store, '');
}

async function main() {
  const agents = fleet(num('DRIFT_AGENTS', 2));
  const deliveries = num('RERUN_DELIVERIES', 4);
  const cold = process.env.RERUN_COLD === '1';
  const now = Math.floor(Date.now() / HOUR) * HOUR;
  const dyn = await startDynaliteProcess();
  const ep = await startBenchEndpoint(dyn.endpoint);
  const table = 'warden';
  await writeHistory(ep.endpoint, table, agents, num('DRIFT_DAYS', 0.5), now);
  const open = () => new DynamoStore({ tableName: table, clientConfig: localClientConfig(ep.endpoint, REGION) });
  const units = () => ({ read: ep.counts.readUnits, write: ep.counts.writeUnits });
  const requests = () => Object.values(ep.counts.dynamo).reduce((n, x) => n + x, 0);
  for (;;) {
    const r = await reportDriftIncremental(
      { store: open() },
      { sinceMs: 24 * HOUR, now: new Date(now - HOUR).toISOString() },
    );
    if (r.remaining.length === 0) break;
  }
  // One store object for every run, as the Lambda's module-scope store (a warm process).
  let tally: Tally = {};
  const warm = metered(open(), units, () => tally);
  const total: Tally = {};
  const runs: { at: string; read: number; write: number; requests: number; ms: number; items: number }[] = [];
  const slices = newHourSlices(agents, now, deliveries);
  for (let j = 0; j <= deliveries; j++) {
    const end = j < deliveries ? now - HOUR + ((j + 1) * HOUR) / deliveries - 1000 : now + 1000;
    if (j < deliveries) {
      const w = open();
      await ingestStreams(w, slices[j]!.inputs, { defaultRegion: REGION });
      await w.close();
    }
    tally = {};
    const u0 = units();
    const q0 = requests();
    const t0 = performance.now();
    const r = await reportDriftIncremental(
      { store: cold ? metered(open(), units, () => tally) : warm },
      { sinceMs: 24 * HOUR, now: new Date(end).toISOString() },
    );
    const u1 = units();
    const run = {
      at: new Date(end).toISOString(),
      read: u1.read - u0.read,
      write: u1.write - u0.write,
      /** DynamoDB requests: DynamoDB bills at least half a unit for each read, also one that finds nothing. */
      requests: requests() - q0,
      ms: Math.round(performance.now() - t0),
      items: r.items.length,
    };
    runs.push(run);
    process.stdout.write(`${JSON.stringify({ ...run, calls: rounded(tally) })}\n`);
    for (const [k, v] of Object.entries(tally)) add(total, k, v);
  }
  const sum = (k: 'read' | 'write' | 'requests' | 'ms') => runs.reduce((n, r) => n + r[k], 0);
  const totals = { read: sum('read'), write: sum('write'), requests: sum('requests'), ms: sum('ms') };
  process.stdout.write(`${JSON.stringify({ deliveries, cold, ...totals, calls: rounded(total) })}\n`);
  await ep.close();
  await dyn.close();
}

const rounded = (t: Tally) =>
  Object.fromEntries(
    Object.entries(t)
      .sort((a, b) => b[1].read + b[1].write - (a[1].read + a[1].write))
      .map(([k, v]) => [k, { ...v, read: +v.read.toFixed(1), write: +v.write.toFixed(1), ms: Math.round(v.ms) }]),
  );

await main();
