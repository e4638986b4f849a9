/** `warden subjects` fits 120 columns and keeps subject ids whole (they are what the next command takes). */
import { describe, expect, it } from 'vitest';
import { type SubjectRow, TABLE_WIDTH, table } from '../../../lib/cli/commands/subjects.ts';

const row = (subject: string, extra: Record<string, unknown> = {}): SubjectRow => ({
  subject,
  firstSeen: '2026-10-12T00:00:00.000Z',
  lastSeen: '2026-12-05T23:00:00.000Z',
  observations: 16_889,
  labels: { 'warden.dev/agent-class': 'customer-support' },
  class: 'customer-support',
  baseline: 'insufficient-history',
  ...extra,
});

describe('subjects table', () => {
  it('fits 120 columns with long subjects, on a line of their own when they must', () => {
    const long = 'unattributed:arn:aws:sts::111122223333:assumed-role/gitlab-deployer/gitlab-ci-deploy-session-name';
    const text = table([
      row('k8s:prod-eks/support/support-agent'),
      row('k8s:staging-eks/support/support-agent'),
      row(long),
    ]);
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(TABLE_WIDTH);
    expect(text).toContain(`${long}\n`);
    expect(text).toMatch(
      /^k8s:prod-eks\/support\/support-agent\s+2026-10-12\s+2026-12-05\s+16889\s+customer-support\s+insufficient-history$/m,
    );
  });

  it('fits 120 columns with the class, track and convergence columns the CLI adds', () => {
    const text = table([
      row('k8s:staging-eks/support/support-agent', { class: 'code-execution', track: 'observe-in-production' }),
      row('bedrock:ap-southeast-2/HRFAQAGENT01', { track: 'pre-enforced', baseline: 'converging' }),
    ]);
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(TABLE_WIDTH);
    expect(text.split('\n')[0]).toMatch(/CLASS\s+BASELINE\s+TRACK$/);
    expect(text).toMatch(
      /^k8s:staging-eks\/support\/support-agent\s.*code-execution\s+insufficient-history\s+observe-in-production$/m,
    );
  });

  it('says what to run when the store is empty', () => {
    expect(table([])).toMatch(/^no subjects yet \(run .* demo, or ingest telemetry: .* ingest PATH\.\.\.\)$/);
  });
});
