/**
 * One subject in an incremental drift run (lib/app/drift/incremental.ts): load its state, find where new data makes it
 * judge again (the re-judge start R, lib/core/drift/incremental/plan.ts), read the store from R on only, judge
 * (lib/core/drift/incremental/advance.ts), then store the items, the session records, the sealed timeline and the
 * state, in that order. A subject without state, or whose new data reaches before its checkpoint, is bootstrapped:
 * its lookback is read and everything from its origin judged, as a full run from there would.
 */
import type { DeployEvent } from '../../core/deploy-events/types.ts';
import {
  moveCheckpoint,
  type SessionStep,
  sessionStep,
  type WindowStep,
  type WindowStepInput,
  windowStep,
} from '../../core/drift/incremental/advance.ts';
import { rejudgeStart } from '../../core/drift/incremental/plan.ts';
import {
  DAY_MS,
  daysOf,
  emptyTimelineKeys,
  HOUR_MS,
  hoursOfDay,
  partsOfMisses,
  seal,
  type TimelineParts,
} from '../../core/drift/incremental/timeline-state.ts';
import {
  correlationIds,
  optionsKey,
  type SessionRecord,
  type SubjectState,
} from '../../core/drift/incremental/types.ts';
import type { Calibration, SessionVerdict } from '../../core/drift/session/types.ts';
import type { DriftObject, DriftOptions } from '../../core/drift/types.ts';
import type { Observation } from '../../core/observation.ts';
import { byTimeThenId } from '../../core/store/fold.ts';
import type { DirtyMark, Store } from '../../ports.ts';
import { deploysOf, startInventory, traceAgents } from './deploy-index.ts';
import type { EvidenceCache } from './evidence-cache.ts';
import { type ItemsRead, readItems, replaceItems } from './items-store.ts';
import { loadRecords, loadState, loadTimeline, saveRecords, saveState, saveTimeline } from './state-store.ts';

export interface SubjectRunOptions {
  now: number;
  /** Origin of a subject judged for the first time (sessions before it are history). */
  origin: number;
  options: DriftOptions;
  /** How far back new data may still re-judge without a bootstrap: the checkpoint trails `now` by this (ms). */
  horizonMs: number;
  /** Closed sessions kept this long after their end (new data naming one re-bootstraps), ms. */
  closedKeepMs: number;
  /** Windows this close to `now` stay open (read from the store again next run), ms. */
  sealLagMs: number;
}

export interface SubjectOutcome {
  subject: string;
  from: number;
  bootstrapped: boolean;
  published: DriftObject[];
  retracted: string[];
  verdicts: SessionVerdict[];
  calibration: Calibration;
  deploys: DeployEvent[];
  /** Documents written for the subject. */
  writes: number;
  /** Windows holding data dated after now (judged up to now only: they stay dirty). */
  ahead: number[];
}

const floorHour = (t: number) => Math.floor(t / HOUR_MS) * HOUR_MS;
const floorDay = (t: number) => Math.floor(t / DAY_MS) * DAY_MS;
const iso = (t: number) => new Date(t).toISOString();
/** How far before the re-judge start a stored item can start and still overlap the re-judged ones. */
const reachOf = (o: SubjectRunOptions) => o.options.deployWindowMs + DAY_MS;

/** The mark's dirty windows in [notBefore, now), and the earliest of them (Infinity: none). */
export function dirtySpan(mark: DirtyMark, now: number, notBefore = 0): { from: number; windows: number[] } {
  const windows = mark.windows.map((w) => Date.parse(w)).filter((w) => w < now && w >= notBefore);
  const bulk = mark.from ? Math.max(Date.parse(mark.from), notBefore) : Number.POSITIVE_INFINITY;
  const from = Math.min(bulk < now ? bulk : Number.POSITIVE_INFINITY, ...windows);
  return { from, windows };
}

/** Judges one dirty agent subject; see the module comment. `dirty` is the evidence of its dirty windows. */
export async function runSubject(
  store: Store,
  mark: DirtyMark,
  cache: EvidenceCache,
  o: SubjectRunOptions,
): Promise<SubjectOutcome> {
  const subject = mark.subject;
  const key = optionsKey(o.options);
  const loaded = await loadState(store, subject);
  const state = loaded?.state.optionsKey === key ? loaded.state : undefined;
  const lookback = Math.max(o.options.lookbackMs, o.options.sessionLookbackMs);
  if (!state) return bootstrap(store, subject, loaded, undefined, o.origin, cache, o);
  // Data older than the lookback before the origin is outside every period this state judges.
  const span = dirtySpan(mark, o.now, state.origin - lookback);
  const dirty = await cache.windows(subject, span.windows, o.now);
  const inventory = mergeInventory(state.inventory, startInventory(dirty));
  const agents = [...new Set([...state.agents, ...traceAgents(dirty)])].sort();
  // Independent reads, side by side (the run's wall time). The timeline's keys are read once: the parts this run
  // needs are added to them below.
  const [deploys, records, timeline] = await Promise.all([
    deploysOf(store, subject, agents, inventory, iso(state.at - lookback), iso(o.now + HOUR_MS)),
    loadRecords(store, subject, state.at),
    loadTimeline(store, subject, { hours: [], days: [] }),
  ]);
  const changes = deployChanges(state.deploys, deploys).filter((t) => t >= state.at - o.options.lookbackMs - DAY_MS);
  const keys = timeline.keys;
  const newIds = new Set(dirty.flatMap(correlationIds));
  const earliest = Math.min(span.from, keys.sealed, ...changes);
  const clustersFrom = earliest - 2 * DAY_MS;
  // Read once, reaching back as far as storing the items will (reachOf): the clusters are the part from clustersFrom.
  const read = Number.isFinite(earliest)
    ? await readItems(store, subject, iso(earliest - Math.max(2 * DAY_MS, reachOf(o))))
    : undefined;
  const stored = read ? read.docs.filter((d) => d.id >= iso(clustersFrom)) : [];
  const r = rejudgeStart({
    dirtyFrom: span.from,
    sealed: keys.sealed || state.at,
    deployChanges: changes,
    newIds,
    sessions: [...records, ...state.closed],
    clusters: stored
      .map((d) => d.body)
      .filter((d) => !d.retracted && !d.id.slice(subject.length + 1).includes('#'))
      .map((d) => ({ from: Date.parse(d.from), to: Date.parse(d.to) })),
    mergeGapMs: o.options.mergeGapMs,
  });
  if (r < state.at) {
    const origin = Math.max(state.origin, floorDay(r));
    return bootstrap(store, subject, loaded, { state, records }, origin, cache, o);
  }
  const [evidence, aggregates, parts] = await Promise.all([
    cache.range(subject, r, o.now),
    store.aggregates(subject, { from: iso(r), to: iso(o.now) }),
    loadTimeline(store, subject, { hours: hoursOfDay(r, o.now), days: [] }, timeline),
  ]);
  const s = sessionStep({ subject, options: o.options, now: o.now, from: r, state, records, evidence, deploys });
  const data = { aggregates, evidence, inSession: s.inSession, parts, deploys };
  const w = await windowsWithParts(store, subject, parts, windowInput(subject, o, r, r, data));
  const items = await storeItems(store, subject, r, w, s, o, read);
  let writes = items.writes + (await saveRecords(store, subject, records, s.records));
  writes += await sealFrom(store, subject, parts, w.rows, r, state.at, o);
  let next: SubjectState = { ...state, inventory, agents, deploys };
  let nextRecords = s.records;
  const at = floorDay(o.now - o.horizonMs);
  if (Number.isFinite(at) && at > state.at) {
    // Records before the new checkpoint stay where they are; no run reads before the checkpoint.
    ({ state: next, records: nextRecords } = moveCheckpoint(next, nextRecords, at, o.options, o.closedKeepMs));
  }
  if (JSON.stringify(next) !== JSON.stringify(state)) {
    await saveState(store, next, loaded);
    writes++;
  }
  return outcome(subject, r, false, items, s, deploys, writes, aheadOf(aggregates, o.now));
}

/** Windows of aggregates whose last observation is dated after now. */
function aheadOf(aggregates: readonly { window: string; lastSeen: string }[], now: number): number[] {
  const hi = iso(now);
  return [...new Set(aggregates.filter((a) => a.lastSeen > hi).map((a) => Date.parse(a.window)))];
}

type WindowData = Pick<WindowStepInput, 'aggregates' | 'evidence' | 'inSession' | 'parts' | 'deploys'>;

/** The window step's input: windows judged from `from`, the store's rows read from `openFrom`. */
function windowInput(subject: string, o: SubjectRunOptions, from: number, openFrom: number, d: WindowData) {
  return { subject, options: o.options, now: o.now, from, openFrom, ...d };
}

/** Stores the items judged from `from` on: the window-level ones and the sessions' (see items-store.ts). */
function storeItems(
  store: Store,
  subject: string,
  from: number,
  w: WindowStep,
  s: SessionStep,
  o: SubjectRunOptions,
  read?: ItemsRead,
) {
  return replaceItems(store, subject, {
    from,
    fresh: [...w.items, ...s.items],
    affectedDeploys: s.affectedDeploys,
    now: iso(o.now),
    reachMs: reachOf(o),
    ...(read ? { read } : {}),
  });
}

/**
 * The window step, loading the timeline parts it missed until it has what it needs: the day parts first (one per
 * day), then the hour parts (which hold every sealed day, when a day's ring slot holds a later day already).
 */
async function windowsWithParts(
  store: Store,
  subject: string,
  parts: TimelineParts,
  input: WindowStepInput,
): Promise<WindowStep> {
  for (let round = 0; ; round++) {
    const w = windowStep({ ...input, parts });
    if (w.misses.length === 0) return w;
    const loaded = parts.hours.size + parts.days.size;
    const want = partsOfMisses(w.misses);
    await loadTimeline(store, subject, round === 0 ? { hours: [], days: want.days } : want, parts);
    if (round > 0 && parts.hours.size + parts.days.size === loaded)
      throw new Error(`drift timeline of ${subject}: sealed counts missing from its parts`);
  }
}

/** Seals the windows from `from` up to the seal lag before now, keeping the lookback before the checkpoint. */
async function sealFrom(
  store: Store,
  subject: string,
  parts: TimelineParts,
  rows: Parameters<typeof seal>[1],
  from: number,
  at: number,
  o: SubjectRunOptions,
): Promise<number> {
  const to = Math.max(parts.keys.sealed, floorHour(o.now - o.sealLagMs));
  if (to <= from) return 0;
  await loadTimeline(store, subject, { hours: hoursOfDay(from, to), days: daysOf(from, to) }, parts);
  const sealed = seal(parts, rows, from, to, at - o.options.lookbackMs - DAY_MS);
  return saveTimeline(store, subject, sealed);
}

/**
 * Builds a subject's state from its data: the lookback before `origin` is history, everything from `origin` judged.
 * With `prior` (new data before the checkpoint), the evolution parts before `origin` carry over.
 */
async function bootstrap(
  store: Store,
  subject: string,
  loaded: Awaited<ReturnType<typeof loadState>>,
  prior: { state: SubjectState; records: SessionRecord[] } | undefined,
  origin: number,
  cache: EvidenceCache,
  o: SubjectRunOptions,
): Promise<SubjectOutcome> {
  const lookback = Math.max(o.options.lookbackMs, o.options.sessionLookbackMs);
  const readFrom = origin - lookback;
  const evidence = await cache.range(subject, readFrom, o.now, { keep: false });
  const aggregates = await store.aggregates(subject, { from: iso(readFrom), to: iso(o.now) });
  const inventory = startInventory(evidence);
  const agents = traceAgents(evidence);
  const deploys = await deploysOf(store, subject, agents, inventory, iso(readFrom), iso(o.now + HOUR_MS));
  const s = sessionStep({ subject, options: o.options, now: o.now, from: origin, records: [], evidence, deploys });
  const parts: TimelineParts = { keys: emptyTimelineKeys(), hours: new Map(), days: new Map() };
  const data = { aggregates, evidence, inSession: s.inSession, parts, deploys };
  const w = windowStep(windowInput(subject, o, origin, readFrom, data));
  const items = await storeItems(store, subject, origin, w, s, o);
  const before = prior ? prior.records.filter((r) => r.start >= origin) : [];
  let writes = items.writes + (await saveRecords(store, subject, before, s.records));
  const to = floorHour(o.now - o.sealLagMs);
  if (to > readFrom)
    writes += await saveTimeline(
      store,
      subject,
      seal(parts, w.rows, readFrom, to, origin - o.options.lookbackMs - DAY_MS),
    );
  const carried = prior
    ? [...prior.state.evolution, ...prior.records.flatMap((r) => (r.evolution ? [r.evolution] : []))].filter(
        (p) => Date.parse(p.start) < origin,
      )
    : [];
  const state: SubjectState = {
    v: 1,
    subject,
    optionsKey: optionsKey(o.options),
    origin: prior ? prior.state.origin : origin,
    at: origin,
    judge: s.bootstrap!.judge,
    closed: s.bootstrap!.closed,
    evolution: carried,
    inventory,
    agents,
    deploys,
  };
  await saveState(store, state, loaded);
  return outcome(subject, origin, true, items, s, deploys, writes + 1, aheadOf(aggregates, o.now));
}

function outcome(
  subject: string,
  from: number,
  bootstrapped: boolean,
  items: Awaited<ReturnType<typeof replaceItems>>,
  s: SessionStep,
  deploys: DeployEvent[],
  writes: number,
  ahead: number[],
): SubjectOutcome {
  return {
    ahead,
    subject,
    from,
    bootstrapped,
    published: items.published,
    retracted: items.retracted,
    verdicts: s.verdicts,
    calibration: s.calibration,
    deploys,
    writes,
  };
}

/** Inventory observations, once each, in time order. */
function mergeInventory(a: readonly Observation[], b: readonly Observation[]): Observation[] {
  const byId = new Map([...a, ...b].map((x) => [x.id, x]));
  return [...byId.values()].sort(byTimeThenId);
}

/** Times of deploys added, removed or moved between two lists (by id). */
function deployChanges(before: readonly DeployEvent[], after: readonly DeployEvent[]): number[] {
  const a = new Map(before.map((d) => [d.id, JSON.stringify(d)]));
  const b = new Map(after.map((d) => [d.id, JSON.stringify(d)]));
  const out: number[] = [];
  for (const d of after) if (a.get(d.id) !== b.get(d.id)) out.push(Date.parse(d.time));
  for (const d of before) if (a.get(d.id) !== b.get(d.id)) out.push(Date.parse(d.time));
  return out;
}
