/**
 * `warden demo`: the reference incident end to end on the embedded store, no AWS account. Every step uses the same
 * code as the deployed control plane: telemetry in the real formats -> parsers -> store -> baselines, inventory,
 * reconciliation, tracks -> artifacts -> local rollout (monitor, then enforce or roll back) -> drift classification and
 * events -> audit trail of the malicious ticket -> HTML report. The generators it runs live in lib/demo; this script
 * wires them, the adapters (embedded store, event log, directory-backed cluster and repositories) and the use cases
 * together, as any entry point does.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SingleBar } from 'cli-progress';
import { EventLogSink } from '../adapters/event-log.ts';
import { loadIamCatalog } from '../adapters/iam-scope.ts';
import {
  DirectoryApplier,
  DirectoryPolicyFiles,
  DirectoryPullRequests,
  FixedReviewGate,
} from '../adapters/local-rollout.ts';
import { openStore } from '../adapters/open-store.ts';
import { localInputFiles } from '../adapters/read-input.ts';
import { generateArtifacts, writeArtifacts } from '../app/artifacts/service.ts';
import { auditInput, verifyAuditTrail } from '../app/audit/service.ts';
import { refreshAll } from '../app/baselines/service.ts';
import { ingestPaths } from '../app/ingest/pipeline.ts';
import { runReconcile, runTrack, saveTrailConfig } from '../app/reconcile/service.ts';
import { reportDrift } from '../app/report-drift.ts';
import { type RolloutClassFigures, rolloutFigures } from '../app/rollout/figures.ts';
import { runRolloutLocal } from '../app/rollout/local.ts';
import { rolloutSubjects, storeArtifactProvider } from '../app/rollout/store-provider.ts';
import type { DriftObject } from '../core/drift/types.ts';
import { writeTelemetry } from '../demo/scenarios/write.ts';
import { demoWorld } from '../demo/world.ts';
import type { Store } from '../ports.ts';

export interface DemoOptions {
  outDir: string;
  storeSpec?: string;
  /** Progress on stderr (a TTY and not --json). */
  progress?: boolean;
  /** Echo drift events to this stream as they are published. */
  echoEvents?: NodeJS.WritableStream;
  log?: (line: string) => void;
  /** End of the generated seven weeks (default: the current time). */
  now?: number;
  /** Command lines as the user runs Warden, for the hints the report prints. */
  command?: (args: string[]) => string;
}

/** Stored with the demo's data: the end of its seven weeks (epoch ms), so a later run replays the same ones. */
interface DemoTimeline {
  now: number;
  start: string;
}
const DEMO_DOC = 'demo';

export interface DemoSummary {
  store: string;
  /** The generated weeks; `driftFrom` is where the demo's drift period starts; `reused` when the store had them. */
  timeline: { start: string; end: string; driftFrom: string; reused: boolean };
  outDir: string;
  files: { telemetry: string[]; artifacts: string[]; report?: string; events: string };
  ingest: { records: number; observations: number; stored: number; quarantined: number };
  subjects: {
    subject: string;
    class?: string;
    track?: string;
    baseline?: string;
    unusedExcess?: number;
    inheritedOverreach?: number;
  }[];
  rollout: {
    rolloutId: string;
    status: string;
    error?: string;
    path: string[];
    /** Per class: the evaluation window (disjoint from generation), its event counts and the verdict. */
    classes: RolloutClassFigures[];
  };
  drift: {
    evolution: number;
    risky: number;
    items: { id: string; subject: string; classification: string; score: number; summary: string; auditId?: string }[];
  };
  riskyDrift: { id: string; subject: string; score: number; summary: string; signals: string[]; auditId?: string }[];
  incident: { ticket?: string; auditId?: string; layers: string[]; verify: string };
  timings: Record<string, number>;
}

async function step<T>(
  timings: Record<string, number>,
  name: string,
  log: (l: string) => void,
  fn: () => Promise<T>,
): Promise<T> {
  const t0 = Date.now();
  const r = await fn();
  timings[name] = Date.now() - t0;
  log(`  ${name.padEnd(12)} ${(timings[name] / 1000).toFixed(1)}s`);
  return r;
}

export async function runDemo(opts: DemoOptions): Promise<DemoSummary> {
  const out = resolve(opts.outDir);
  const log = opts.log ?? (() => {});
  const timings: Record<string, number> = {};
  mkdirSync(out, { recursive: true });
  // The demo writes to the same store as every other command (--store, WARDEN_STORE or .warden), so its
  // printed next steps read what it wrote.
  const store: Store = await openStore(opts.storeSpec);
  try {
    // A store that already holds the demo keeps its seven weeks: generating them again for another day would mix two
    // timelines into one history, whereas the same timeline replays idempotently.
    const prior = opts.now === undefined ? await store.getDoc<DemoTimeline>(DEMO_DOC, 'global', 'timeline') : undefined;
    const world = demoWorld(7, prior?.body.now ?? opts.now ?? Date.now());
    const spec = world.incident.spec;
    const now = new Date(Date.parse(spec.start) + spec.days * 86_400_000).toISOString();
    // Drift over weeks 3..now: the week-3 model update, the week-5 prompt revision and the week-7 injection.
    const driftFrom = Date.parse(spec.start) + 14 * 86_400_000;
    const driftSinceMs = Date.parse(now) - driftFrom;

    const written = await step(timings, 'generate', log, async () => {
      const a = await writeTelemetry(join(out, 'telemetry', 'support-agent'), world.incident.telemetry);
      const b = await writeTelemetry(join(out, 'telemetry', 'other-agents'), world.extra);
      return [...a.files, ...b.files];
    });

    const ingest = await step(timings, 'ingest', log, async () => {
      const bar = opts.progress
        ? new SingleBar({
            format: '  ingest {bar} {value}/{total} files {file}',
            hideCursor: true,
            clearOnComplete: true,
          })
        : undefined;
      bar?.start(written.length, 0, { file: '' });
      const totals = { records: 0, observations: 0, stored: 0, quarantined: 0 };
      for (const f of written) {
        bar?.update({ file: f.split('/').slice(-2).join('/') });
        const r = await ingestPaths(store, [f], { files: localInputFiles, identity: world.identity });
        totals.records += r.records;
        totals.observations += r.observations;
        totals.stored += r.stored;
        totals.quarantined += r.quarantined;
        bar?.increment();
      }
      bar?.stop();
      for (const [subject, labels] of Object.entries(world.labels)) await store.setLabels(subject, labels);
      if (!prior)
        await store.putDoc<DemoTimeline>(DEMO_DOC, 'global', 'timeline', { now: Date.parse(now), start: spec.start });
      await saveTrailConfig(store, world.trails);
      return totals;
    });

    await step(timings, 'baselines', log, () => refreshAll(store, now));

    const scopeBySubject = new Map(world.scopes.map((s) => [s.subject, s]));
    const perSubject = await step(timings, 'reconcile', log, async () => {
      const rows: DemoSummary['subjects'] = [];
      for (const s of [
        world.subjects.support,
        world.subjects.retriever,
        world.subjects.coder,
        world.subjects.bedrock,
      ]) {
        const scope = scopeBySubject.get(s);
        const row: DemoSummary['subjects'][number] = { subject: s };
        if (scope) {
          const r = await runReconcile({ store, loadCatalog: loadIamCatalog, scope, now }, s);
          row.unusedExcess = r.counts.unusedExcess;
          row.inheritedOverreach = r.counts.inheritedOverreach;
        }
        const t = await runTrack({ store, loadCatalog: loadIamCatalog, now, windowDays: 30 }, s);
        row.track = t.track;
        row.class = t.agentClass.value;
        rows.push(row);
      }
      return rows;
    });

    const artifactFiles = await step(timings, 'artifacts', log, async () => {
      const files: string[] = [];
      for (const s of [world.subjects.support, world.subjects.retriever, world.subjects.coder]) {
        const set = await generateArtifacts(s, { store, loadCatalog: loadIamCatalog, now });
        files.push(...writeArtifacts(join(out, 'artifacts', s.split('/').pop()!), set));
        // Thin evidence behind a seccomp profile is what a platform engineer must see before enforcing it.
        for (const w of set.warnings.filter((x) => x.startsWith('thin evidence'))) log(`  warning: ${w}`);
      }
      return files;
    });

    // The infrastructure repository the IAM pull requests go to: each role's inline policies as JSON files, where
    // the pull request changes them in place.
    const iac = join(out, 'iac');
    for (const sc of world.scopes)
      for (const p of sc.role?.policies ?? []) {
        if (p.kind !== 'inline') continue;
        mkdirSync(join(iac, 'iam', sc.role!.name), { recursive: true });
        writeFileSync(join(iac, 'iam', sc.role!.name, `${p.name}.json`), `${JSON.stringify(p.document, null, 2)}\n`);
      }

    const eventLog = join(out, 'events.ndjson');
    const sink = new EventLogSink({ path: eventLog, ...(opts.echoEvents ? { echo: opts.echoEvents } : {}) });
    const rollout = await step(timings, 'rollout', log, async () => {
      const subjects = await rolloutSubjects(store);
      const rolloutId = 'demo-rollout-1';
      const r = await runRolloutLocal(
        {
          store,
          artifacts: storeArtifactProvider({ store, now: () => now, windowDays: 7, loadCatalog: loadIamCatalog }),
          applier: new DirectoryApplier(join(out, 'cluster')),
          pullRequests: new DirectoryPullRequests(join(out, 'pull-requests')),
          policyFiles: new DirectoryPolicyFiles(iac),
          reviews: new FixedReviewGate(true, 'demo-reviewer'),
          events: sink,
          now: () => now,
        },
        {
          rolloutId,
          subjects,
          observationSeconds: 0,
          threshold: { maxWouldDenyEvents: 0, maxWouldDenyRatio: 0 },
          // No cluster to watch: the last week is held out of generation and replayed as the monitor window.
          evaluation: { mode: 'held-out', holdoutDays: 7 },
        },
      );
      return {
        rolloutId,
        status: r.status,
        ...(r.error ? { error: r.error } : {}),
        path: r.path,
        classes: await rolloutFigures(store, rolloutId),
      };
    });

    const drift = await step(timings, 'drift', log, () =>
      reportDrift({ store, events: sink }, { now, sinceMs: driftSinceMs }),
    );
    const risky = drift.items.filter((d: DriftObject) => d.classification === 'risky');

    const incident = await step(timings, 'audit', log, async () => {
      const ticket = world.incident.truth.attackTicket;
      if (!ticket) return { layers: [], verify: 'no incident ticket in the scenario' };
      const a = await auditInput(store, ticket, { now });
      const v = await verifyAuditTrail(store);
      const counts = a.record?.entry.counts ?? {};
      return {
        ticket,
        ...(a.record ? { auditId: a.record.auditId } : {}),
        layers: Object.entries(counts)
          .filter(([, n]) => (n as number) > 0)
          .map(([k, n]) => `${k}:${n}`),
        verify: v.ok ? `ok (${v.records} entries)` : `FAILED: ${v.problems.map((p) => JSON.stringify(p)).join('; ')}`,
      };
    });

    const report = await step(timings, 'report', log, async () => {
      try {
        const mod = (await import('../app/report/build.ts')) as {
          buildReport: (
            s: Store,
            o: {
              now: string;
              outDir: string;
              title?: string;
              command?: (args: string[]) => string;
              loadCatalog: typeof loadIamCatalog;
            },
          ) => Promise<{ indexPath: string }>;
        };
        return (
          await mod.buildReport(store, {
            now,
            outDir: join(out, 'report'),
            title: 'Warden demo: the reference incident',
            loadCatalog: loadIamCatalog,
            ...(opts.command ? { command: opts.command } : {}),
          })
        ).indexPath;
      } catch (err) {
        log(`  report: not written (${(err as Error).message.split('\n')[0]})`);
        return undefined;
      }
    });

    return {
      store: store.description,
      timeline: { start: spec.start, end: now, driftFrom: new Date(driftFrom).toISOString(), reused: Boolean(prior) },
      outDir: out,
      files: { telemetry: written, artifacts: artifactFiles, ...(report ? { report } : {}), events: eventLog },
      ingest,
      subjects: perSubject,
      rollout,
      drift: {
        evolution: drift.items.filter((d) => d.classification === 'evolution').length,
        risky: risky.length,
        items: drift.items.map((d) => ({
          id: d.id,
          subject: d.subject,
          classification: d.classification,
          score: d.score,
          summary: d.summary,
          ...(d.auditId ? { auditId: d.auditId } : {}),
        })),
      },
      riskyDrift: risky.map((d) => ({
        id: d.id,
        subject: d.subject,
        score: d.score,
        summary: d.summary,
        signals: Object.entries(d.signals)
          .filter(([, s]) => (s as { score?: number }).score !== undefined)
          .map(([n, s]) => `${n}=${(s as { score: number }).score.toFixed(2)}`),
        ...(d.sessions ? { sessions: d.sessions } : {}),
        reasons: (d.reasons ?? [])
          .filter((r) => r.bits > 0)
          .slice(0, 3)
          .map((r) => r.text),
        ...(d.auditId ? { auditId: d.auditId } : {}),
      })),
      incident,
      timings,
    };
  } finally {
    await store.close();
  }
}
