/** Runs the real `warden` CLI (compiled) against an on-disk embedded store in a temp directory. */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { warden as cli } from '../../support/cli.ts';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const stratus = resolve(repo, '..', 'shared', 'data', 'public', 'stratus-red-team', 'detonation-logs');

const warden = (args: string[], cwd: string) => cli(args, { cwd });

describe('warden CLI: ingest, subjects', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'warden-cli-'));

  it('ingest --json of the Stratus Red Team detonation logs prints exactly the summary keys; a second run stores nothing', async () => {
    const files = readdirSync(stratus)
      .filter((f) => f.endsWith('.json'))
      .map((f) => join(stratus, f));
    expect(files.length, `expected the public data under ${stratus}`).toBeGreaterThan(30);
    const first = await warden(['ingest', '--json', ...files], cwd);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const summary = JSON.parse(first.stdout);
    expect(Object.keys(summary)).toEqual(['records', 'observations', 'stored', 'quarantined', 'byReason', 'bySource']);
    expect(summary.records).toBeGreaterThan(300);
    expect(summary.observations + summary.quarantined).toBeGreaterThanOrEqual(summary.records);
    expect(summary.stored).toBeGreaterThan(0);
    expect(summary.bySource.cloudtrail).toBe(summary.observations);

    const again = JSON.parse((await warden(['ingest', '--json', ...files], cwd)).stdout);
    expect(again).toMatchObject({
      records: summary.records,
      observations: summary.observations,
      stored: 0,
      quarantined: 0,
    });

    const subjects = JSON.parse((await warden(['subjects', '--json'], cwd)).stdout);
    expect(subjects.length).toBeGreaterThan(5);
    expect(subjects.reduce((n: number, s: { observations: number }) => n + s.observations, 0)).toBe(
      summary.observations,
    );
    expect(subjects[0]).toHaveProperty('firstSeen');
  });

  it.each([
    [['ingest', join(cwd, 'no-such-file.json')], /cannot read .*no-such-file\.json: ENOENT/],
    [['--store', 'mysql://x', 'subjects'], /invalid store spec/],
  ])('fails with a one-line reason: %j', async (args, message) => {
    const r = await warden(args, cwd);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });
});
