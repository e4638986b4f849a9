/**
 * The static HTML report: one self-contained `index.html` (inline CSS, charts inlined as SVG, no scripts, no
 * external URLs) with, per agent subject, the inventory, baseline and convergence, class, reconciliation, track,
 * artifacts with provenance, rollout with blast radius, 30-day drift and the audit timeline. Everything is read from
 * the Store, so `warden report` gives the same page from a local store or DynamoDB.
 *
 * Reading is side-effect free: when no rollout stored artifacts for a subject they are generated for the page through
 * a read-only view of the store (generation refreshes the stored reconciliation; that write stays in memory).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ArtifactFile } from '../../core/artifacts/types.ts';
import type { DriftObject } from '../../core/drift/types.ts';
import type { IamCatalogLoader, Store, SubjectRecord } from '../../ports.ts';
import { generateArtifacts, NoBaselineError } from '../artifacts/service.ts';
import { chainRecords, verifyAuditTrail } from '../audit/service.ts';
import { loadBaseline } from '../baselines/service.ts';
import { DRIFT_DOC } from '../drift/service.ts';
import { ROLLOUT_KIND, transitions } from '../rollout/record.ts';
import { esc, facts, type Section, STYLES, slug } from './html.ts';
import { readOnlyView } from './read-only.ts';
import { baselineSection, classSection, inventorySection } from './sections/agent.ts';
import { auditSection } from './sections/audit.ts';
import type { RolloutView, SubjectContext } from './sections/context.ts';
import { artifactsSection, reconcileSection, trackSection } from './sections/decisions.ts';
import { driftSection } from './sections/drift.ts';
import { rolloutSection } from './sections/rollout.ts';

export interface ReportOptions {
  /** Report time: end of every window shown (inventory lookback, 30-day drift). */
  now: string;
  outDir: string;
  title?: string;
  /** A command line as the user runs Warden (`npx warden ...`, with their --store) for the hints the page prints. */
  command?: (args: string[]) => string;
  /** The IAM action catalog, for artifacts generated for the page (lib/adapters/iam-scope.ts `loadIamCatalog`). */
  loadCatalog: IamCatalogLoader;
}

/** Hints without a known invocation: the installed command name. */
const plainCommand = (args: string[]) => ['warden', ...args].join(' ');

export interface ReportResult {
  indexPath: string;
  /** `<subject>#<section>` for every section written (with or without data). */
  sections: string[];
  /** Sections that showed real data. */
  withData: string[];
  charts: number;
}

/** Section order on the page. */
export const SECTION_KINDS = [
  'inventory',
  'baseline',
  'class',
  'reconcile',
  'track',
  'artifacts',
  'rollout',
  'drift',
  'audit',
] as const;

/** Builds the report from `store` into `outDir/index.html`. */
export async function buildReport(store: Store, opts: ReportOptions): Promise<ReportResult> {
  const all = (await store.subjects()).sort((a, b) => a.subject.localeCompare(b.subject));
  const subjects = all.filter((s) => !s.subject.startsWith('unattributed:'));
  const unattributed = all.length - subjects.length;
  const rollouts = await loadRollouts(store);
  const audit = await chainRecords(store);
  const chain = audit.length > 0 ? await verifyAuditTrail(store) : undefined;
  const view = readOnlyView(store);

  const sections: string[] = [];
  const withData: string[] = [];
  let charts = 0;
  const articles: string[] = [];
  for (const record of subjects) {
    const ctx = await subjectContext(store, view, record, rollouts, audit, {
      now: opts.now,
      cmd: opts.command ?? plainCommand,
      loadCatalog: opts.loadCatalog,
    });
    const risky = await riskyAuditIds(store, record.subject);
    const done: Section[] = [
      await inventorySection(ctx),
      await baselineSection(ctx),
      classSection(ctx),
      await reconcileSection(ctx),
      await trackSection(ctx),
      artifactsSection(ctx),
      rolloutSection(ctx),
      await driftSection(ctx),
      await auditSection(ctx, risky),
    ];
    for (const sec of done) {
      sections.push(`${record.subject}#${sec.kind}`);
      if (sec.hasData) withData.push(`${record.subject}#${sec.kind}`);
      charts += sec.charts;
    }
    articles.push(
      `<article class="subject" id="subject-${esc(slug(record.subject))}" data-subject="${esc(record.subject)}"><h2>${esc(record.subject)}</h2>${facts(
        [
          ['observations', record.observations],
          ['seen', `${record.firstSeen} .. ${record.lastSeen}`],
          [
            'labels',
            Object.entries(record.labels)
              .map(([k, v]) => `${k}=${v}`)
              .join(', ') || 'none',
          ],
        ],
      )}${done.map((d) => d.html).join('\n')}</article>`,
    );
  }

  const title = opts.title ?? 'Warden report';
  const html = page(
    title,
    opts.now,
    store.description,
    subjects,
    unattributed,
    chain,
    articles,
    opts.command ?? plainCommand,
  );
  const dir = resolve(opts.outDir);
  await mkdir(dir, { recursive: true });
  const indexPath = join(dir, 'index.html');
  await writeFile(indexPath, html);
  return { indexPath, sections, withData, charts };
}

async function loadRollouts(store: Store): Promise<RolloutView[]> {
  const docs = await store.listDocs<Record<string, unknown>>(ROLLOUT_KIND, 'global');
  const out: RolloutView[] = [];
  for (const d of docs) out.push({ id: d.id, body: d.body, transitions: await transitions(store, d.id) });
  // Newest first: the page shows the latest rollout of a subject on top.
  return out.sort((a, b) => String(b.body.startedAt ?? '').localeCompare(String(a.body.startedAt ?? '')));
}

async function riskyAuditIds(store: Store, subject: string): Promise<Set<string>> {
  const docs = await store.listDocs<DriftObject>(DRIFT_DOC, subject);
  return new Set(
    docs
      .map((d) => d.body)
      .filter((d) => !d.retracted && d.classification === 'risky' && d.auditId)
      .map((d) => d.auditId!),
  );
}

async function subjectContext(
  store: Store,
  view: Store,
  record: SubjectRecord,
  rollouts: RolloutView[],
  audit: SubjectContext['audit'],
  { now, cmd, loadCatalog }: { now: string; cmd: (args: string[]) => string; loadCatalog: IamCatalogLoader },
): Promise<SubjectContext> {
  const s = record.subject;
  const baseline = (await loadBaseline(store, s))?.baseline;
  const ctx: SubjectContext = { store, now, record, rollouts, audit, cmd, ...(baseline ? { baseline } : {}) };
  for (const r of rollouts) {
    const doc = await store.getDoc<{ files: ArtifactFile[]; baselineVersion: number }>('rollout-artifacts', r.id, s);
    if (doc) {
      ctx.artifacts = {
        files: doc.body.files,
        baselineVersion: doc.body.baselineVersion,
        origin: `generated by rollout ${r.id}`,
        warnings: [],
      };
      return ctx;
    }
  }
  try {
    const set = await generateArtifacts(s, { store: view, now, loadCatalog });
    ctx.artifacts = {
      files: set.files,
      baselineVersion: set.baselineVersion,
      origin: `generated for this report at ${now} (no rollout stored artifacts)`,
      warnings: set.warnings,
    };
    if (set.files.length === 0)
      ctx.artifactsWhy = `no artifact applies to the observed behavior: ${set.warnings.join('; ') || 'nothing to enforce'}`;
  } catch (err) {
    if (!(err instanceof NoBaselineError)) throw err;
    ctx.artifactsWhy = `artifacts are derived from the baseline and none is stored: run \`${cmd(['baseline', s])}\` then \`${cmd(['artifacts', s, '--out', 'DIR'])}\``;
  }
  return ctx;
}

function page(
  title: string,
  now: string,
  storeDescription: string,
  subjects: SubjectRecord[],
  unattributed: number,
  chain: Awaited<ReturnType<typeof verifyAuditTrail>> | undefined,
  articles: string[],
  command: (args: string[]) => string,
): string {
  const chainText = chain
    ? `${chain.records} records, ${chain.ok ? 'verified intact' : `NOT intact: ${chain.problems.map((p) => p.problem).join(', ')}`}`
    : 'empty';
  const body = subjects.length
    ? articles.join('\n')
    : `<p class="no-data">no data: the store has no attributed subjects (ingest telemetry with \`${esc(command(['ingest', 'PATH...']))}\`, or run \`${esc(command(['demo']))}\`)</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title><style>${STYLES}</style></head>
<body><header class="top"><h1>${esc(title)}</h1><p>as of ${esc(now)} · store ${esc(storeDescription)}</p></header>
<main>
<section id="overview" data-section="overview">${facts([
    ['agent subjects', subjects.length],
    ['unattributed subjects (not shown)', unattributed],
    ['audit chain', chainText],
  ])}
<nav class="toc"><ul>${subjects.map((s) => `<li><a href="#subject-${esc(slug(s.subject))}">${esc(s.subject)}</a></li>`).join('')}</ul></nav></section>
${body}
</main></body></html>
`;
}
