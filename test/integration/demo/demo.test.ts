/**
 * The main job, as a new user runs it: `warden demo` in a fresh directory, on the default store, generates the
 * seven-week scenario, runs every capability and reports the week-seven exfiltration as risky drift with its audit
 * entry; then the next steps it printed, run verbatim, show the incident from the same store.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, shell, warden } from '../../support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-demo-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let demo: CliRun;
// The demo may take a few minutes on a loaded 2-core CI machine.
beforeAll(async () => {
  demo = await warden(['demo', '--json'], { cwd: dir, timeoutMs: 600_000 });
}, 630_000);

describe('warden demo', () => {
  it('runs the reference incident end to end on the default store and names what it wrote', () => {
    expect(demo.stderr).not.toMatch(/warden: /);
    expect(demo.stderr).not.toMatch(/NodeVersionSupportWarning/);
    expect(demo.code).toBe(0);
    const s = JSON.parse(demo.stdout);
    // the store every other command reads by default
    expect(s.store).toBe(`embedded:${join(dir, '.warden')}`);
    // the week-seven exfiltration is the one risky item, tied to its audit entry
    expect(s.riskyDrift).toHaveLength(1);
    expect(s.riskyDrift[0].subject).toBe('k8s:prod-eks/support/support-agent');
    expect(s.riskyDrift[0].auditId).toBe(s.incident.auditId);
    expect(s.drift.evolution).toBeGreaterThanOrEqual(2);
    expect(s.incident.layers.join(' ')).toMatch(/model:\d+ tool:\d+ cloud-api:2400 egress:\d+ kernel:\d+/);
    expect(s.incident.verify).toMatch(/^ok/);
    // tracks, classes and the rollout: retrieval enforced, support refused (its staging window is empty: not
    // measured), code-execution rolled back
    const bySubject = Object.fromEntries(s.subjects.map((x: { subject: string }) => [x.subject, x]));
    expect(bySubject['k8s:prod-eks/support/support-agent'].track).toBe('pre-enforced');
    expect(bySubject['k8s:prod-eks/support/kb-retriever'].track).toBe('observe-in-production');
    expect(s.rollout.path).toContain('Enforce(retrieval)');
    expect(s.rollout.path).not.toContain('Enforce(customer-support)');
    expect(s.rollout.path).toContain('Rollback(code-execution)');
    // every blast radius is measured on a window after the data its artifacts came from
    const byClass = Object.fromEntries(s.rollout.classes.map((c: { class: string }) => [c.class, c]));
    for (const c of s.rollout.classes) expect(c.window.from >= c.generatedUntil, c.class).toBe(true);
    expect(byClass.retrieval.measured).toBe(true);
    expect(byClass.retrieval.perKind.network.evaluatedEvents).toBeGreaterThan(0);
    expect(byClass.retrieval.perKind.seccomp.evaluatedEvents).toBeGreaterThan(0);
    expect(byClass.retrieval.wouldDenyEvents).toBe(0);
    expect(byClass['customer-support'].measured).toBe(false);
    expect(byClass['customer-support'].verdict).toMatch(/^not measured/);
    expect(byClass['code-execution'].wouldDenyEvents).toBeGreaterThan(0);
    // the files it names exist
    for (const f of [...s.files.artifacts, s.files.events, s.files.report]) expect(existsSync(f), f).toBe(true);
    expect(readFileSync(s.files.report, 'utf8')).toContain('ZD-49173');
    const events = readFileSync(s.files.events, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(
      events.some((e) => e['detail-type'] === 'Warden Drift Detected' && e.detail.classification === 'risky'),
    ).toBe(true);
    expect(events.some((e) => e['detail-type'] === 'Warden Rollout Rolled Back')).toBe(true);
  });

  it('prints next steps that, run verbatim from the same directory, show the incident', {
    timeout: 300_000,
  }, async () => {
    const s = JSON.parse(demo.stdout);
    const next: string[] = s.next;
    expect(next).toHaveLength(3);
    // one after the other, as a user types them (the embedded store is one process's at a time)
    const runs = [];
    for (const n of next) runs.push(await shell(n, { cwd: dir, timeoutMs: 240_000 }));
    const [subjects, drift, audit] = runs;
    for (const r of [subjects, drift, audit]) {
      expect(r?.stderr).toBe('');
      expect(r?.code).toBe(0);
    }
    expect(subjects?.stdout).toMatch(
      /^k8s:prod-eks\/support\/support-agent\s.*customer-support\s+pre-enforced\s+stable$/m,
    );
    // The risky item is the ticket's session, and one of its reasons names the bucket the data went to.
    expect(drift?.stdout).toMatch(
      /risky .*k8s:prod-eks\/support\/support-agent +session ZD-49173.*\n(?: {4}.*\n)* {4}- .*acme-support-exports/,
    );
    expect(audit?.stdout).toContain(`${s.incident.auditId} (ticket)`);
    expect(audit?.stdout).toMatch(/counts: model \d+, tool \d+, cloud-api 2400, egress \d+, kernel \d+/);
  });
});
