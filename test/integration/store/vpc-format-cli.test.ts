/**
 * A flow log format given once: `warden ingest --vpc-format` reads headerless custom-order lines, stores the format
 * for their directory, and a later `warden ingest` of another file there reads it without being told again.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, warden } from '../../support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-vpc-format-'));
const logs = join(dir, 'flow-logs');
const store = `embedded:${join(dir, 'store')}`;
const fixture = join(REPO, 'test', 'fixtures', 'sources', 'vpc-flow', 'v3-tcp-flags-custom.log');
const FORMAT =
  '${version} ${vpc-id} ${subnet-id} ${instance-id} ${interface-id} ${account-id} ${type} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${pkt-srcaddr} ${pkt-dstaddr} ${protocol} ${bytes} ${packets} ${start} ${end} ${action} ${tcp-flags} ${log-status}';
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('warden ingest --vpc-format', { timeout: 120_000 }, () => {
  it('reads a custom format once given, and remembers it for the directory', async () => {
    mkdirSync(logs);
    copyFileSync(fixture, join(logs, 'a.log'));
    const without = JSON.parse((await warden(['--store', store, '--json', 'ingest', join(logs, 'a.log')])).stdout);
    expect(without).toMatchObject({ observations: 0, quarantined: 8, byReason: { 'unknown-format': 8 } });

    const first = await warden(['--store', store, 'ingest', '--vpc-format', FORMAT, join(logs, 'a.log')]);
    expect(first.stderr).toBe('');
    expect(first.stdout).toMatch(/observations {2}8 /);
    expect(first.stdout).toContain(`vpc format    stored for dir:${logs}`);

    // a later file in the same directory, no flag: the stored format applies
    const lines = readFileSync(fixture, 'utf8').replaceAll('1566933133', '1566933733');
    const later = join(logs, 'b.log');
    writeFileSync(later, lines);
    const second = JSON.parse((await warden(['--store', store, '--json', 'ingest', later])).stdout);
    expect(second).toMatchObject({ observations: 8, quarantined: 0 });
  });

  it('a format naming an unknown field is a usage error', async () => {
    const r = await warden(['--store', store, 'ingest', '--vpc-format', '${version} ${srcaddr} ${nope}', fixture]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('warden: --vpc-format: unknown flow log field "${nope}"');
  });
});
