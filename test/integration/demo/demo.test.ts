/**
 * The main job, as a new user runs it: `warden demo --json` on a fresh embedded store generates the seven-week
 * scenario, runs every capability and reports the week-seven exfiltration as risky drift with its audit entry.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'warden-demo-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(cmd: string, args: string[], cwd: string): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      cmd,
      args,
      { cwd, encoding: 'utf8', timeout: 300_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => done({ status: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('warden demo', () => {
  // The demo runs in a child process that may take over a minute on a loaded 2-core CI machine. It is awaited, not
  // run with spawnSync: blocking the worker that long starves vitest's worker RPC ("Timeout calling onTaskUpdate").
  it('runs the reference incident end to end and names what it wrote', { timeout: 300_000 }, async () => {
    const r = await run(
      process.execPath,
      [
        join(root, 'bin', 'warden.js'),
        'demo',
        '--json',
        '--out',
        join(dir, 'out'),
        '--store',
        `embedded:${join(dir, 'store')}`,
      ],
      dir,
    );
    expect(r.stderr).not.toMatch(/warden: /);
    expect(r.status).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.store).toBe(`embedded:${join(dir, 'store')}`);
    // the week-seven exfiltration is the one risky item, tied to its audit entry
    expect(s.riskyDrift).toHaveLength(1);
    expect(s.riskyDrift[0].subject).toBe('k8s:prod-eks/support/support-agent');
    expect(s.riskyDrift[0].auditId).toBe(s.incident.auditId);
    expect(s.drift.evolution).toBeGreaterThanOrEqual(2);
    expect(s.incident.layers.join(' ')).toMatch(/model:\d+ tool:\d+ cloud-api:2400 egress:\d+ kernel:\d+/);
    expect(s.incident.verify).toMatch(/^ok/);
    // tracks, classes and the rollout: retrieval and support enforced, code-execution rolled back
    const bySubject = Object.fromEntries(s.subjects.map((x: { subject: string }) => [x.subject, x]));
    expect(bySubject['k8s:prod-eks/support/support-agent'].track).toBe('pre-enforced');
    expect(bySubject['k8s:prod-eks/support/kb-retriever'].track).toBe('observe-in-production');
    expect(s.rollout.path).toContain('Enforce(retrieval)');
    expect(s.rollout.path).toContain('Enforce(customer-support)');
    expect(s.rollout.path).toContain('Rollback(code-execution)');
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
});
