/**
 * The static report in a real browser: a small generated scenario (two and a half weeks of the support agent with a
 * model update and an injected ticket, in the real source formats) goes through the real ingest pipeline into the
 * embedded store; baselines, reconciliation, track, a local rollout, drift and the audit entry are computed by the
 * same services the CLI uses; then the report is built and opened from disk in headless Chromium (playwright-core).
 * Every section of the agent must show data, charts must be non-empty SVG, the console must stay clean, and a
 * `<script>` inside an observed key must show as text. Screenshot: test-results/report.png (CI artifact).
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadIamCatalog } from '../../../lib/adapters/iam-scope.ts';
import { DirectoryApplier, DirectoryPullRequests, FixedReviewGate } from '../../../lib/adapters/local-rollout.ts';
import { openStore } from '../../../lib/adapters/open-store.ts';
import { localInputFiles } from '../../../lib/adapters/read-input.ts';
import { auditInput } from '../../../lib/app/audit/service.ts';
import { refreshAll } from '../../../lib/app/baselines/service.ts';
import { runDrift } from '../../../lib/app/drift/service.ts';
import { ingestPaths } from '../../../lib/app/ingest/pipeline.ts';
import { runReconcile, runTrack } from '../../../lib/app/reconcile/service.ts';
import { buildReport, type ReportResult, SECTION_KINDS } from '../../../lib/app/report/build.ts';
import { runRolloutLocal } from '../../../lib/app/rollout/local.ts';
import { rolloutSubjects, storeArtifactProvider } from '../../../lib/app/rollout/store-provider.ts';
import { OBSERVATION_VERSION, type Observation } from '../../../lib/core/observation.ts';
import {
  generateScenario,
  MODEL_V2,
  scenarioIdentity,
  supportAgentSpec,
  writeTelemetry,
} from '../../../lib/demo/scenarios/index.ts';
import type { Store } from '../../../lib/ports.ts';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = resolve('test-results/report.png');
const XSS = '<script>window.__pwned=1</script>';
const PROBE = 'local:xss-probe';

const g = generateScenario(
  supportAgentSpec({
    name: 'report-test',
    days: 16,
    ticketsPerHour: 1,
    events: [
      { type: 'model-update', at: { week: 2, day: 2, hour: 10, minute: 30 }, model: MODEL_V2 },
      { type: 'injection', at: { week: 3, day: 1, hour: 14, minute: 5 }, records: 300 },
    ],
  }),
);
const subject = g.truth.subject;
const end = new Date(Date.parse(g.spec.start) + g.spec.days * 86_400_000).toISOString();
const account = g.spec.account;

/** The declared scope a reader would return: a role broader than what the agent uses, and a reachable node role. */
const scope = {
  subject,
  readAt: end,
  account,
  role: {
    arn: `arn:aws:iam::${account}:role/${g.spec.podRole}`,
    name: g.spec.podRole,
    via: 'irsa',
    policies: [
      {
        id: 'inline:support',
        name: 'support',
        kind: 'inline',
        document: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'Exports',
              Effect: 'Allow',
              Action: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'],
              Resource: `arn:aws:s3:::${g.spec.exportBucket}/*`,
            },
            { Sid: 'Agent', Effect: 'Allow', Action: ['bedrock:InvokeAgent', 'bedrock:InvokeModel'], Resource: '*' },
          ],
        },
      },
    ],
  },
  inheritedRoles: [
    {
      source: 'node-role-imds',
      role: {
        arn: `arn:aws:iam::${account}:role/eks-node`,
        name: 'eks-node',
        policies: [
          {
            id: 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess',
            name: 'AmazonS3ReadOnlyAccess',
            kind: 'aws-managed',
            document: {
              Version: '2012-10-17',
              Statement: [{ Effect: 'Allow', Action: ['s3:Get*', 's3:List*'], Resource: '*' }],
            },
          },
        ],
      },
      reachable: true,
      reachReason: 'IMDSv2 hop limit 2 and no NetworkPolicy blocks 169.254.169.254/32',
    },
  ],
  labels: { 'warden.dev/agent-class': 'customer-support' },
};

function probeObservation(): Observation {
  return {
    v: OBSERVATION_VERSION,
    id: 'xss-probe-1',
    time: new Date(Date.parse(end) - 12 * 3_600_000).toISOString(),
    source: 'node-agent',
    subject: PROBE,
    layer: 'kernel',
    kind: 'exec',
    key: `exec:/tmp/${XSS}`,
    count: 1,
    correlation: {},
    attrs: {},
  };
}

let dir: string;
let store: Store;
let report: ReportResult;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'warden-report-'));
  const written = await writeTelemetry(join(dir, 'telemetry'), g.telemetry);
  store = await openStore('embedded:memory');
  const ingested = await ingestPaths(store, written.files, { files: localInputFiles, identity: scenarioIdentity(g) });
  expect(ingested.quarantined).toBe(0);
  await store.write([probeObservation()], []);
  await store.setLabels(PROBE, { note: `"><img src=x onerror="window.__pwned=2">` });
  const refreshed = await refreshAll(store, end);
  expect(refreshed.filter((r) => r.error || !r.saved)).toEqual([]);
  const deps = { store, now: end, scope, loadCatalog: loadIamCatalog };
  await runReconcile(deps, subject);
  await runTrack(deps, subject);
  const rollout = await runRolloutLocal(
    {
      store,
      artifacts: storeArtifactProvider({ store, now: () => end, loadCatalog: loadIamCatalog }),
      applier: new DirectoryApplier(join(dir, 'cluster')),
      pullRequests: new DirectoryPullRequests(join(dir, 'prs')),
      reviews: new FixedReviewGate(true),
      events: { publish: async () => undefined },
      now: () => end,
    },
    { rolloutId: 'report-test-1', subjects: await rolloutSubjects(store, [subject]), observationSeconds: 0 },
  );
  expect(
    rollout.path.some((p) => p.startsWith('MeasureBlastRadius')),
    JSON.stringify(rollout),
  ).toBe(true);
  const drift = await runDrift(store, { now: end, sinceMs: 30 * 86_400_000 });
  expect(drift.items.some((d) => d.classification === 'risky')).toBe(true);
  expect((await auditInput(store, g.truth.attackTicket!, { now: end })).record).toBeDefined();
  report = await buildReport(store, {
    now: end,
    outDir: join(dir, 'report'),
    title: 'Warden report (browser test)',
    loadCatalog: loadIamCatalog,
  });
}, 300_000);

afterAll(async () => {
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('static report', () => {
  it('writes one self-contained page: no scripts, no external URLs', () => {
    const html = readFileSync(report.indexPath, 'utf8');
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(/i);
    expect(report.sections).toEqual(expect.arrayContaining(SECTION_KINDS.map((k) => `${subject}#${k}`)));
    // every section of the incident's agent rendered with data (the XSS probe subject has only a few)
    expect(report.withData.filter((x) => x.startsWith(`${subject}#`))).toEqual(
      SECTION_KINDS.map((k) => `${subject}#${k}`),
    );
    expect(report.charts).toBeGreaterThanOrEqual(3);
  });

  it('renders every section with data in headless Chromium, escapes observed markup, and saves a screenshot', async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install chromium`);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      const requests: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith('file:')) requests.push(r.url());
      });
      // The page itself is kept next to the screenshot as a CI artifact.
      mkdirSync(resolve('test-results'), { recursive: true });
      copyFileSync(report.indexPath, resolve('test-results/report.html'));
      await page.goto(pathToFileURL(report.indexPath).href, { waitUntil: 'load' });

      const sel = (kind: string) => `article[data-subject="${subject}"] section[data-section="${kind}"]`;
      for (const kind of SECTION_KINDS) {
        const s = page.locator(sel(kind));
        await expect(s.count(), kind).resolves.toBe(1);
        expect(await s.getAttribute('data-has-data'), kind).toBe('true');
        expect(await s.locator('.no-data').count(), kind).toBe(0);
        expect((await s.innerText()).length, kind).toBeGreaterThan(80);
      }
      // Charts: inline SVG with drawn marks (bars, circles, lines), never an empty frame.
      for (const kind of ['baseline', 'drift', 'audit']) {
        const svg = page.locator(`${sel(kind)} figure.chart svg`).first();
        const box = await svg.boundingBox();
        expect(box?.width ?? 0, kind).toBeGreaterThan(100);
        expect(box?.height ?? 0, kind).toBeGreaterThan(50);
        const marks = await svg.locator('path, circle, rect, line').count();
        expect(marks, kind).toBeGreaterThan(10);
      }
      await expect(
        page
          .locator(`${sel('drift')} .tag.risky`)
          .first()
          .innerText(),
      ).resolves.toMatch(/[1-9]\d* risky/);
      await expect(page.locator(`${sel('audit')}`).innerText()).resolves.toContain(g.truth.attackTicket!);
      await expect(page.locator(`${sel('rollout')}`).innerText()).resolves.toMatch(/would be denied/);

      // Observed markup is text, never markup.
      expect(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
      expect(await page.locator('script, img').count()).toBe(0);
      await expect(page.locator(`article[data-subject="${PROBE}"]`).textContent()).resolves.toContain(XSS);
      expect(problems).toEqual([]);
      expect(requests).toEqual([]);

      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      expect(existsSync(SCREENSHOT)).toBe(true);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
