/**
 * Incremental drift: judge only the subjects with new data since they were last judged (Store.dirty), and of each
 * only what the new data can change (lib/app/drift/subject-run.ts), so a run's work follows the new data, not the fleet
 * or its history. Its items equal those of one full run over the same period (lib/app/drift/service.ts runDrift; the
 * property test test/unit/drift/incremental.test.ts), and a run with nothing new writes and publishes nothing.
 *
 * A run pages through the dirty subjects in subject order (`pageSize` at a time, the next page after the last
 * subject; `deadline` stops it between subjects, the rest stays dirty for the next run). Per page:
 * 1. index: every dirty subject's new evidence is read once; its CloudTrail deploys are indexed by time and their
 *    owners marked dirty from the deploy's time, the Bedrock agents its traces name recorded (owners), its tickets
 *    and session ids indexed for the audit trail;
 * 2. judge: each agent subject (k8s:, bedrock:, local:) is judged from its re-judge start; then its mark is cleared
 *    at the seq read, keeping the windows that hold data dated after now (judged only up to now).
 * Memory is bounded by the page: the evidence of its subjects' new windows, one subject's re-judged range at a time.
 *
 * A rerun while a subject's hour is open (drift runs several times an hour) reads per subject its mark (listed, read
 * again only when indexing re-marked it), the open hour's evidence, and per agent subject its head, timeline keys and
 * hour parts, records, stored items, deploys and aggregates; independent reads go side by side. A warm process keeps
 * across runs only what never changes back (the key index's completion, and the models of state-store.ts): the head
 * is what would validate a cache of the rest, and records, items and timeline are written without it.
 */
import type { DeployEvent } from '../../core/deploy-events/types.ts';
import { DEPLOY_SKEW_MS } from '../../core/drift/session/explain.ts';
import type { Calibration, SessionVerdict } from '../../core/drift/session/types.ts';
import { DEFAULT_DRIFT_OPTIONS, type DriftObject, type DriftOptions } from '../../core/drift/types.ts';
import type { Observation } from '../../core/observation.ts';
import type { DirtyMark, Store } from '../../ports.ts';
import { indexKeys, keyIndexComplete, markKeyIndexComplete } from '../audit/key-index.ts';
import {
  addAgentSubject,
  agentDeploys,
  agentSubjects,
  cloudTrailDeploys,
  indexDeploys,
  traceAgents,
} from './deploy-index.ts';
import { EvidenceCache } from './evidence-cache.ts';
import { isAgentSubject } from './service.ts';
import { dirtySpan, runSubject, type SubjectOutcome } from './subject-run.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const iso = (t: number) => new Date(t).toISOString();
const floorHour = (t: number) => Math.floor(t / HOUR_MS) * HOUR_MS;

export interface IncrementalOptions {
  /** End of the judged data (ISO); default now. */
  now?: string;
  /** A subject judged for the first time is judged over this period before now (earlier data is history); ms. */
  sinceMs?: number;
  /** Or from this origin (ISO) instead. */
  origin?: string;
  options?: Partial<DriftOptions>;
  /** Dirty subjects per page (default 25). */
  pageSize?: number;
  /** Epoch ms after which no further subject is started. */
  deadline?: number;
  /** New data up to this long before now re-judges without a bootstrap (default 2 days; Infinity: always). */
  horizonMs?: number;
  /** Closed sessions are remembered this long after their end (default 7 days). */
  closedKeepMs?: number;
  /**
   * Windows this close to now stay open, read from the store by every run (default 0: every full hour is sealed;
   * data arriving late for a sealed hour seals it again).
   */
  sealLagMs?: number;
}

export interface IncrementalRun {
  to: string;
  /** Items new or changed in this run (what is published). */
  items: DriftObject[];
  /** Ids of stored items this run's judgement no longer makes. */
  retracted: string[];
  /** Sessions judged in this run. */
  sessions: SessionVerdict[];
  calibrations: Calibration[];
  /** Deploy events this run indexed for the first time. */
  deploys: DeployEvent[];
  subjects: Pick<SubjectOutcome, 'subject' | 'from' | 'bootstrapped' | 'writes'>[];
  /** Dirty subjects indexed but not judged: the deadline came first (they stay dirty). */
  remaining: string[];
}

/**
 * Judges every dirty subject's new data (see the module comment).
 * @example await runDriftIncremental(store, { sinceMs: 24 * 3_600_000, deadline: Date.now() + 10 * 60_000 })
 */
export async function runDriftIncremental(store: Store, opts: IncrementalOptions = {}): Promise<IncrementalRun> {
  const dirty = store.dirty;
  if (!dirty) throw new Error(`${store.description} keeps no dirty marks: incremental drift cannot run on it`);
  const options = { ...DEFAULT_DRIFT_OPTIONS, ...opts.options };
  const now = Date.parse(opts.now ?? new Date().toISOString());
  const origin = opts.origin ? Date.parse(opts.origin) : now - (opts.sinceMs ?? DAY_MS);
  await adoptExistingData(store, now);
  const run: IncrementalRun = {
    to: iso(now),
    items: [],
    retracted: [],
    sessions: [],
    calibrations: [],
    deploys: [],
    subjects: [],
    remaining: [],
  };
  const subjectOptions = {
    now,
    origin,
    options,
    horizonMs: opts.horizonMs ?? 2 * DAY_MS,
    closedKeepMs: opts.closedKeepMs ?? 7 * DAY_MS,
    sealLagMs: opts.sealLagMs ?? 0,
  };
  const pageSize = opts.pageSize ?? 25;
  let after = '';
  for (let last = false; !last; ) {
    const marks = await dirty.list({ after, limit: pageSize });
    if (marks.length === 0) break;
    after = marks[marks.length - 1]!.subject;
    const cache = new EvidenceCache(store, now);
    const remarked = new Set<string>();
    await cache.prefetch(marks.map((m) => ({ subject: m.subject, windows: dirtySpan(m, now).windows })));
    for (const m of marks) run.deploys.push(...(await indexSubject(store, m, cache, now, remarked)));
    // A short page is the last unless indexing reopened a subject after it; one a write marks meanwhile stays dirty
    // for the next run.
    last = marks.length < pageSize && ![...remarked].some((s) => s > after);
    for (const listed of marks) {
      if (opts.deadline !== undefined && Date.now() > opts.deadline) {
        run.remaining.push(listed.subject);
        continue;
      }
      // Indexing may have marked it again (a deploy of an agent it owns): judge the mark as it is now. A mark moved on
      // by a write since it was listed is judged as listed: its clear, conditioned on the seq, fails and it stays dirty.
      const m = remarked.has(listed.subject) ? await dirty.get(listed.subject) : listed;
      if (!m) continue;
      const ahead = new Set(cache.ahead(m.subject));
      if (isAgentSubject(m.subject) && Number.isFinite(dirtySpan(m, now).from)) {
        const o = await runSubject(store, m, cache, subjectOptions);
        run.items.push(...o.published);
        run.retracted.push(...o.retracted);
        run.sessions.push(...o.verdicts);
        if (o.verdicts.length > 0 || o.calibration.sessions > 0) run.calibrations.push(o.calibration);
        run.subjects.push({ subject: o.subject, from: o.from, bootstrapped: o.bootstrapped, writes: o.writes });
        for (const w of o.ahead) ahead.add(w);
      }
      // Judged up to now: windows after it, and those holding data dated after it, stay dirty.
      const keep = m.windows.filter((w) => Date.parse(w) > now || ahead.has(Date.parse(w)));
      await dirty.clear(m.subject, m.seq, keep);
    }
    cache.clear();
  }
  return run;
}

/**
 * A store whose data predates dirty marks (or the audit key index) is adopted once: every subject is marked dirty
 * from its first observation, so the next runs index and judge it; from then on every write marks what it wrote.
 */
async function adoptExistingData(store: Store, now: number): Promise<void> {
  if (ADOPTED.has(store)) return;
  if (!(await keyIndexComplete(store))) {
    for (const s of await store.subjects())
      if (s.firstSeen) await store.dirty!.mark(s.subject, [], { from: iso(floorHour(Date.parse(s.firstSeen))) });
    await markKeyIndexComplete(store, iso(now));
  }
  ADOPTED.add(store);
}

/**
 * Stores this process has seen adopted: the key index's completion is a document never removed (the store has no
 * delete), so a warm process reads it once per store object, not once per run.
 */
const ADOPTED = new WeakSet<Store>();

/** Indexes one dirty subject's new evidence (see the module comment); returns the deploys new to the index. */
async function indexSubject(
  store: Store,
  m: DirtyMark,
  cache: EvidenceCache,
  now: number,
  remarked: Set<string>,
): Promise<DeployEvent[]> {
  const span = dirtySpan(m, now);
  const added: DeployEvent[] = [];
  const index = async (obs: Observation[]) => {
    for (const d of await indexDeploys(store, cloudTrailDeploys(obs))) {
      added.push(d.event);
      const owner = d.agent
        ? ((await agentSubjects(store, d.agent.agentId))[0] ?? `bedrock:${d.agent.region}/${d.agent.agentId}`)
        : d.event.subject;
      await reopen(store, owner, d.event.time, remarked);
    }
    for (const agentId of traceAgents(obs)) {
      const moved = await addAgentSubject(store, agentId, m.subject);
      if (!moved) continue;
      // The agent's deploys change hands: both owners are judged again from each deploy's time.
      for (const d of await agentDeploys(store, agentId))
        for (const owner of [moved.before ?? `bedrock:${d.agent!.region}/${agentId}`, moved.after])
          await reopen(store, owner, d.event.time, remarked);
    }
    await indexKeys(store, obs);
  };
  if (m.from && Date.parse(m.from) < now) {
    // Adopted data: read a day at a time, not held (a subject's whole history need not fit in memory).
    for (let t = Date.parse(m.from); t < now; t += DAY_MS)
      await index(await store.evidence(m.subject, iso(t), iso(Math.min(t + DAY_MS - 1, now))));
  }
  await index(await cache.windows(m.subject, span.windows, now));
  return added;
}

/** Marks a subject dirty from the hour a deploy at `time` can first change (the skew before it). */
async function reopen(store: Store, subject: string, time: string, remarked: Set<string>): Promise<void> {
  await store.dirty!.mark(subject, [iso(floorHour(Date.parse(time) - DEPLOY_SKEW_MS))]);
  remarked.add(subject);
}
