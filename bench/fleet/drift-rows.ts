/**
 * The drift rows of the fleet benchmark: the scaling points (./drift.ts; target: read units per new event at 16x
 * within 1.5x of 1x) and what drift between the hours adds per 1M input events to the ingest path and the hourly
 * runs (./cost.ts), measured live (./drift-live.ts) as the stack is configured (`warden:driftMinutes`):
 * - on a schedule (N above 0): the runs inside the hour are what the schedule adds; the run just after the hour is
 *   set against the one hourly run the ingest slice already prices (the 1x scaling run: same store, same new hour),
 *   so only its difference is added. No announcement exists.
 * - on ingest (0): a run per delivery and the sealing run, plus every announcement's run at an empty run's cost (it
 *   counts the runs with work twice: an upper bound), and the model the earlier steps used.
 */
import type { BenchRow } from '../run.ts';
import type { DriftPoint } from './drift.ts';
import type { LiveDrift, RunUse } from './drift-live.ts';
import { PRICES } from './prices.ts';

/** The deployed path without drift between the hours, per 1M input events, and Lake's price for the same events. */
export interface DeployedCost {
  /** Ingest path + the hourly Baselines and Drift runs. */
  ingestPerM: number;
  lakePerM: number;
  /** Input events per hour of the metered fleet (a schedule's runs are per deployment, not per subject). */
  eventsPerHour: number;
}

export function driftRows(
  points: DriftPoint[],
  announcePerM: number,
  driftMemoryMb: number,
  live: LiveDrift[] = [],
  deployed?: DeployedCost,
): BenchRow[] {
  const [p1, , p16] = points;
  if (!p1 || !p16) return [];
  const perEvent = (q: DriftPoint) => q.readUnits / q.newEvents;
  const gbs = (ms: number) => (ms / 1000) * (driftMemoryMb / 1024) * PRICES.lambdaGbSecondArm;
  /** A run's units, Lambda time and "Warden Drift Detected" events (its request is priced by the caller). */
  const runCost = (u: Omit<RunUse, 'eventEntries'> & { eventEntries?: number }) =>
    u.readUnits * PRICES.dynamoReadUnit +
    u.writeUnits * PRICES.dynamoWriteUnit +
    gbs(u.ms) +
    (u.eventEntries ?? 0) * PRICES.eventBridgeEvent;
  const perEventCost = runCost({ ...p16, eventEntries: 0 }) / p16.newEvents;
  const idleCost = runCost(p16.idle);
  const total = (name: string, added: number, note: string): BenchRow[] =>
    deployed
      ? [
          {
            name: `cost per 1M events: deployed path, all of it (${name})`,
            value: deployed.ingestPerM + added,
            unit: 'USD',
            baseline: { name: 'CloudTrail Lake', value: deployed.lakePerM },
            target: '<= 0.25',
            note: `ingest path + the hourly runs ${deployed.ingestPerM.toFixed(4)} USD, plus ${added.toFixed(4)} USD: ${note}`,
          },
        ]
      : [];
  const onIngest = announcePerM > 0 || live.some((v) => v.mode === 'per-delivery');
  return [
    ...points.map((q) => ({
      name: `drift run at ${q.scale}x: read units per new event`,
      value: perEvent(q),
      unit: 'RRU/event',
      ...(q.scale > 1 ? { baseline: { name: '1x', value: perEvent(p1) } } : {}),
      ...(q.scale === 16 ? { target: '<= 1.5' } : {}),
      note: `${q.agents} agents x ${q.days} d; ${q.newEvents} new events; ${q.readUnits} RRU, ${q.writeUnits} WRU, ${q.itemsRead} items read, ${q.ms} ms, peak heap +${q.peakHeapMb.toFixed(0)} MiB; a run with nothing new: ${q.idle.readUnits} RRU, ${q.idle.writeUnits} WRU, ${q.idle.ms} ms`,
    })),
    ...(onIngest
      ? [
          {
            name: 'cost per 1M events: drift on ingest, the model',
            value: perEventCost * 1e6 + announcePerM * idleCost,
            unit: 'USD',
            note: `each new event's share of a run at 16x (${(p16.readUnits / p16.newEvents).toFixed(3)} RRU, ${(p16.writeUnits / p16.newEvents).toFixed(3)} WRU), plus ${announcePerM.toFixed(0)} runs per 1M events at an empty run's cost`,
          },
        ]
      : []),
    ...live.flatMap((v) => (v.mode === 'schedule' ? scheduleRows(v, p1) : perDeliveryRows(v))),
  ];

  function perDeliveryRows(v: LiveDrift): BenchRow[] {
    const value =
      ((runCost(v) + v.runs * PRICES.lambdaRequest) / v.newEvents) * 1e6 +
      announcePerM * (idleCost + PRICES.lambdaRequest);
    const name = `drift on ingest, a run per delivery (${v.deliveries} an hour)`;
    return [
      {
        name: `cost per 1M events: ${name}`,
        value,
        unit: 'USD',
        note: `1x store, ${v.newEvents} new events in ${v.deliveries} deliveries; ${v.runs} runs: ${v.readUnits} RRU, ${v.writeUnits} WRU (${(v.writeUnits / v.newEvents).toFixed(3)} WRU per new event), ${v.eventEntries} events, ${v.ms} ms; plus ${announcePerM.toFixed(0)} runs per 1M events at an empty run's cost`,
      },
      ...total(name, value, 'drift on ingest measured live'),
    ];
  }

  /** `hourly`: the 1x scaling run, one run judging the same new hour whole. */
  function scheduleRows(v: LiveDrift, hourly: DriftPoint): BenchRow[] {
    const minutes = 60 / v.deliveries;
    const inside = v.perRun.slice(0, -1);
    const last = v.perRun.at(-1) as RunUse;
    const perM = (usd: number) => (usd / v.newEvents) * 1e6;
    // A scheduled run is one invocation for the whole fleet: its request per 1M events of the metered fleet.
    const requestsPerM = deployed ? (inside.length * PRICES.lambdaRequest * 1e6) / deployed.eventsPerHour : 0;
    const insideCost = perM(inside.reduce((s, u) => s + runCost(u), 0)) + requestsPerM;
    // What the run after the hour costs beyond the hourly run, counted at least 0 (an upper bound): it judges less new
    // data than the hourly run but seals the hour as that run does, and its duration is within this machine's noise.
    const rawDelta = perM(runCost(last) - runCost(hourly));
    const lastDelta = Math.max(0, rawDelta);
    const sum = (k: keyof RunUse, us: RunUse[]) => us.reduce((s, u) => s + u[k], 0);
    const name = `drift every ${minutes} minutes`;
    return [
      {
        name: `cost per 1M events: ${name}, the runs inside the hour (${inside.length})`,
        value: insideCost,
        unit: 'USD',
        note: `1x store, ${v.newEvents} new events arriving through the hour; runs at ${inside.map((_, j) => `:${String((j + 1) * minutes).padStart(2, '0')}`).join(', ') || 'none'}: ${sum('readUnits', inside)} RRU, ${sum('writeUnits', inside)} WRU, ${sum('eventEntries', inside)} events, ${sum('ms', inside)} ms; their Lambda requests for the metered fleet ${requestsPerM.toFixed(4)} USD`,
      },
      {
        name: `cost per 1M events: ${name}, the run after the hour vs the one hourly run`,
        value: perM(runCost(last)),
        unit: 'USD',
        baseline: { name: 'one hourly run over the whole hour (1x scaling run)', value: perM(runCost(hourly)) },
        note: `after the hour: ${last.readUnits} RRU, ${last.writeUnits} WRU, ${last.eventEntries} events, ${last.ms} ms; the hourly run: ${hourly.readUnits} RRU, ${hourly.writeUnits} WRU, ${hourly.eventEntries} events, ${hourly.ms} ms (already in the ingest path + the hourly runs; only the difference is added)`,
      },
      {
        name: `cost per 1M events: ${name}, added to the hourly runs`,
        value: insideCost + lastDelta,
        unit: 'USD',
        note: `the runs inside the hour ${insideCost.toFixed(4)} USD, and the run after the hour less the hourly run ${lastDelta.toFixed(4)} USD (measured ${rawDelta.toFixed(4)}; counted at least 0); no announcement (the ingest functions publish nothing)`,
      },
      ...total(name, insideCost + lastDelta, `${name} measured live`),
    ];
  }
}
