/**
 * Scoring of one agent-session corpus for bench/drift.ts: ingest through the real parser and pipeline into the
 * embedded store, run drift as `warden drift` would, and only then compare each judged session with the labels
 * (which never reach the detector). Tallies are per label class (hijacked, attacked but not hijacked, held-back
 * benign, learning-period benign) and say how many sessions were judged without a threshold (insufficient history).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../lib/adapters/open-store.ts';
import { localInputFiles } from '../lib/adapters/read-input.ts';
import { type DriftRun, runDrift } from '../lib/app/drift/service.ts';
import { ingestPaths } from '../lib/app/ingest/pipeline.ts';
import type { SessionVerdict } from '../lib/core/drift/session/types.ts';
import type { DriftOptions } from '../lib/core/drift/types.ts';
import type { PromptContentPolicy } from '../lib/core/sources/types.ts';
import type { Store } from '../lib/ports.ts';

export const DAY = 86_400_000;
/** HMAC key of the bench's ingests (any fixed key: one store, one key). */
const BENCH_TOKEN_KEY = 'warden-bench-drift';

interface Label {
  sessionId: string;
  agentId: string;
  attack: boolean;
  hijacked: boolean;
  heldBack: boolean;
}

export const CLASSES = ['hijacked', 'attacked', 'heldBack', 'learning'] as const;
export type LabelClass = (typeof CLASSES)[number];

/** Sessions of one class: all, risky, and those judged without a threshold (insufficient history). */
export interface Tally {
  n: number;
  risky: number;
  cold: number;
  coldRisky: number;
}

export interface RunScore {
  byClass: Record<LabelClass, Tally>;
  /** Held-back benign sessions per agent (risky / n). */
  heldBackByAgent: Map<string, { n: number; risky: number }>;
  items: { n: number; risky: number };
  coldAgents: number;
  calibrations: string[];
}

export interface CorpusScore {
  corpus: string;
  promptContent: PromptContentPolicy;
  /** The held-back week at the 1% default budget. */
  week: RunScore;
  /** The held-back week at other budgets (calibration check). */
  checks: { budget: number; score: RunScore }[];
  /** The whole history judged (each session against those before it); only for corpora with benign sessions. */
  whole?: { days: number; score: RunScore };
  /** Corpora whose agents have no history: the week again, agents calibrated on their own earlier days of it. */
  warm?: { settleDays: number; minHistoryDays: number; score: RunScore };
  seconds: number;
}

function readLabels(file: string): Map<string, Label> {
  const out = new Map<string, Label>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const l = JSON.parse(line) as Label;
    out.set(l.sessionId, l);
  }
  return out;
}

function classOf(l: Label): LabelClass {
  return l.hijacked ? 'hijacked' : l.attack ? 'attacked' : l.heldBack ? 'heldBack' : 'learning';
}

function labelOf(v: SessionVerdict, labels: Map<string, Label>): Label | undefined {
  for (const id of v.sessionIds) {
    const l = labels.get(id);
    if (l) return l;
  }
  return undefined;
}

/** Scores one drift run against the labels. */
export function scoreRun(run: DriftRun, labels: Map<string, Label>): RunScore {
  const tally = (): Tally => ({ n: 0, risky: 0, cold: 0, coldRisky: 0 });
  const byClass = Object.fromEntries(CLASSES.map((c) => [c, tally()])) as Record<LabelClass, Tally>;
  const heldBackByAgent = new Map<string, { n: number; risky: number }>();
  const coldAgents = new Set<string>();
  for (const v of run.sessions) {
    const l = labelOf(v, labels);
    if (!l) continue;
    const t = byClass[classOf(l)];
    const risky = v.verdict === 'risky';
    const cold = v.method === 'insufficient-history';
    t.n++;
    if (risky) t.risky++;
    if (cold) {
      t.cold++;
      if (risky) t.coldRisky++;
      coldAgents.add(v.subject);
    }
    if (classOf(l) === 'heldBack') {
      const a = heldBackByAgent.get(l.agentId) ?? { n: 0, risky: 0 };
      a.n++;
      if (risky) a.risky++;
      heldBackByAgent.set(l.agentId, a);
    }
  }
  return {
    byClass,
    heldBackByAgent,
    items: { n: run.items.length, risky: run.items.filter((i) => i.classification === 'risky').length },
    coldAgents: coldAgents.size,
    calibrations: run.calibrations.map(
      (c) =>
        `${c.subject.split('/').pop()} ${c.method} n=${c.sessions}${c.threshold !== undefined ? ` thresholds ${c.threshold}/${c.provenanceThreshold} bits` : ''}`,
    ),
  };
}

async function periodRun(store: Store, end: string, days: number, options: Partial<DriftOptions>) {
  return runDrift(store, { now: end, sinceMs: days * DAY, persist: false, options });
}

export interface ScoreOptions {
  fpBudget?: number;
  /** Other budgets the week is judged at (calibration check). */
  checkBudgets?: number[];
  /** Prompt-content policy of the ingest (default hash-and-excerpt). */
  promptContent?: PromptContentPolicy;
  /** Only the week at `fpBudget` (no whole-history or warmed-up runs). */
  weekOnly?: boolean;
}

/**
 * Ingests one corpus into a fresh embedded store and scores: the last week at `fpBudget` and at each of
 * `checkBudgets`; unless `weekOnly`, the whole history (benign corpora) and the week with agents warmed up on its
 * own earlier days (corpora whose agents have no history before the week).
 */
export async function scoreCorpus(dir: string, o: ScoreOptions = {}): Promise<CorpusScore> {
  const { fpBudget = 0.01, checkBudgets = [], promptContent = 'hash-and-excerpt', weekOnly = false } = o;
  const t0 = performance.now();
  const store = await openStore('embedded:memory');
  try {
    const report = await ingestPaths(store, [join(dir, 'traces.jsonl')], {
      files: localInputFiles,
      source: 'bedrock-trace',
      tokenKey: BENCH_TOKEN_KEY,
      promptContent,
    });
    if (report.quarantined > 0) throw new Error(`${dir}: ${report.quarantined} records quarantined`);
    const subjects = await store.subjects();
    const last = Math.max(...subjects.map((s) => Date.parse(s.lastSeen)));
    const first = Math.min(...subjects.map((s) => Date.parse(s.firstSeen)));
    const end = new Date(Math.ceil((last + 1) / DAY) * DAY).toISOString();
    const runs: { budget: number; run: DriftRun }[] = [];
    for (const budget of [fpBudget, ...checkBudgets])
      runs.push({ budget, run: await periodRun(store, end, 7, { fpBudget: budget }) });
    const days = Math.ceil((Date.parse(end) - first) / DAY);
    const whole = !weekOnly && days > 7 ? await periodRun(store, end, days, { fpBudget }) : undefined;
    const warmOpts = { settleDays: 1, minHistoryDays: 2 };
    const warm =
      !weekOnly && days <= 7
        ? await periodRun(store, end, 7, {
            fpBudget,
            settleMs: warmOpts.settleDays * DAY,
            minHistoryMs: warmOpts.minHistoryDays * DAY,
          })
        : undefined;
    // Scoring only from here on: the labels never went into the runs above.
    const labels = readLabels(join(dir, 'labels.jsonl'));
    return {
      corpus: dir.split('/').pop()!,
      promptContent,
      week: scoreRun(runs[0]!.run, labels),
      checks: runs.slice(1).map((r) => ({ budget: r.budget, score: scoreRun(r.run, labels) })),
      ...(whole ? { whole: { days, score: scoreRun(whole, labels) } } : {}),
      ...(warm ? { warm: { ...warmOpts, score: scoreRun(warm, labels) } } : {}),
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    await store.close();
  }
}
