/**
 * The CLI's contract as a user meets it, through the compiled `bin/warden.js`: exit codes (2 usage, 3 input or not
 * found, 4 environment), `--json` errors as one JSON object on stderr, credential and endpoint failures named as
 * such, output paths checked before the work, and a build that is never stale.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, warden } from '../../support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-cli-contract-'));
const store = `embedded:${join(dir, 'store')}`;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** No credentials anywhere: environment, shared files, instance metadata. */
const NO_AWS = {
  AWS_ACCESS_KEY_ID: undefined,
  AWS_SECRET_ACCESS_KEY: undefined,
  AWS_SESSION_TOKEN: undefined,
  AWS_PROFILE: undefined,
  AWS_CONFIG_FILE: join(dir, 'no-config'),
  AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
  AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
  AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
};

const jsonError = (stderr: string) => JSON.parse(stderr.trim()) as { error: { kind: string; exitCode: number } };

describe('warden CLI contract', { timeout: 120_000 }, () => {
  it('version prints the version and nothing on stderr', async () => {
    const r = await warden(['version']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^warden \d+\.\d+\.\d+$/);
  });

  it('usage errors exit 2; with --json the error is one JSON object on stderr', async () => {
    const unknown = await warden(['nosuch']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim()).toBe("warden: unknown command 'nosuch'");
    const missing = await warden(['--json', 'baseline']);
    expect(missing.code).toBe(2);
    expect(jsonError(missing.stderr).error).toMatchObject({ kind: 'usage', exitCode: 2 });
    expect(missing.stdout).toBe('');
  });

  it('an unknown subject or id exits 3 and says which command lists the known ones', async () => {
    const r = await warden(['--store', store, 'baseline', 'k8s:prod/ns/nope']);
    expect(r.code).toBe(3);
    expect(r.stderr.trim()).toMatch(
      /^warden: unknown subject: k8s:prod\/ns\/nope \(the store's subjects: node .*warden\.js --store embedded:.* subjects\)$/,
    );
    const audit = await warden(['--json', '--store', store, 'audit', '--input', 'audit:ZD-0']);
    expect(audit.code).toBe(3);
    expect(jsonError(audit.stderr).error.kind).toBe('input');
    expect(audit.stderr).toContain('ZD-0 (from audit:ZD-0)');
  });

  it('missing AWS credentials exit 4 and are named as such', async () => {
    const r = await warden(['--store', 'dynamodb://nope', 'subjects'], { env: NO_AWS });
    expect(r.code).toBe(4);
    expect(r.stderr.trim()).toMatch(/^warden: AWS credentials not found \(/);
  });

  it('an unreachable endpoint exits 4 and is named as such', async () => {
    const r = await warden(['--json', '--store', 'dynamodb://warden?endpoint=http://127.0.0.1:9', 'subjects']);
    expect(r.code).toBe(4);
    expect(jsonError(r.stderr).error).toMatchObject({ kind: 'environment', exitCode: 4 });
    expect(r.stderr).toMatch(/cannot reach the endpoint 127\.0\.0\.1:9 \(ECONNREFUSED\)/);
  });

  it('coverage that could not read prints what it could not assess and exits 4', async () => {
    const r = await warden(['coverage', '--region', 'us-east-1'], { env: NO_AWS });
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(/0 ok, 0 gaps, \d+ not assessed \(could not read\)/);
    expect(r.stderr.trim()).toMatch(/^warden: could not read trails, .*AWS credentials not found/);
  });

  it('an output file in a missing directory is created, not lost after the work', async () => {
    const chart = join(dir, 'charts', 'nested', 'drift.svg');
    const r = await warden(['--store', store, 'drift', '--no-events', '--chart', chart]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readFileSync(chart, 'utf8')).toContain('<svg');
    const onDir = await warden(['--store', store, 'drift', '--no-events', '--chart', dir]);
    expect(onDir.code).toBe(2);
    expect(onDir.stderr).toContain('is a directory');
  });

  it('never runs a stale build: a changed source is rebuilt before it runs', async () => {
    const source = join(REPO, 'lib', 'cli', 'commands', 'version.ts');
    const manifest = join(REPO, 'dist', 'cli', 'manifest.json');
    const later = new Date(Date.now() + 1000);
    utimesSync(source, later, later);
    const r = await warden(['version']);
    expect(r.code).toBe(0);
    const inputs = JSON.parse(readFileSync(manifest, 'utf8')).inputs as Record<string, [number, number]>;
    expect(inputs['lib/cli/commands/version.ts']?.[0]).toBe(statSync(source).mtimeMs);
    expect(existsSync(join(REPO, JSON.parse(readFileSync(manifest, 'utf8')).entry))).toBe(true);
  });
});
