/**
 * A role name with an ANSI escape in a CloudTrail record (issue #16 item 8): `warden subjects` prints it escaped,
 * never raw; --json keeps the exact name (JSON escapes it); the impossible timestamps beside it are quarantined.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { warden } from '../../support/cli.ts';

const record = (eventID: string, eventTime: string, role: string) => ({
  eventVersion: '1.08',
  userIdentity: {
    type: 'AssumedRole',
    arn: `arn:aws:sts::111122223333:assumed-role/${role}/s`,
    accountId: '111122223333',
    sessionContext: { sessionIssuer: { type: 'Role', arn: `arn:aws:iam::111122223333:role/${role}` } },
  },
  eventTime,
  eventSource: 's3.amazonaws.com',
  eventName: 'GetObject',
  awsRegion: 'us-east-1',
  eventID,
  readOnly: true,
  eventType: 'AwsApiCall',
  recipientAccountId: '111122223333',
});

describe('names with terminal escapes', () => {
  it('are printed escaped by the CLI, kept exact in --json', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-escapes-'));
    const evil = 'r\u001b[2J\u001b[31mRED';
    writeFileSync(
      join(dir, 'trail.json'),
      JSON.stringify({
        Records: [
          record('a1', '9999-01-01T00:00:00Z', 'ok'),
          record('a2', '2026-02-30T00:00:00Z', 'ok'),
          record('a3', '2026-12-01T00:00:00Z', evil),
        ],
      }),
    );
    const store = `embedded:${join(dir, 'store')}`;
    const ing = await warden(['--store', store, 'ingest', join(dir, 'trail.json')]);
    expect(ing.code, ing.stderr).toBe(0);
    expect(ing.stdout).toMatch(/quarantined\s+2\s+\(invalid-time:eventTime 2\)$/m);
    // A replay counts the same bad records, already in quarantine.
    const again = await warden(['--store', store, 'ingest', join(dir, 'trail.json')]);
    expect(again.stdout).toMatch(/quarantined\s+2\s+\(invalid-time:eventTime 2\) \(2 already quarantined\)$/m);
    const human = await warden(['--store', store, 'subjects']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).not.toContain('\u001b');
    expect(human.stdout).toContain('r\\u{1b}[2J\\u{1b}[31mRED');
    const json = await warden(['--store', store, '--json', 'subjects']);
    const rows = JSON.parse(json.stdout) as { subject: string }[];
    expect(rows.map((r) => r.subject)).toContain(`unattributed:arn:aws:sts::111122223333:assumed-role/${evil}/s`);
  });
});
