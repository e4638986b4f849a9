/** `warden agent watch` through the real CLI: one-line failure without the loader; a summary with --json with it. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { assertLoaderBuilt } from '../../../node-agent/watch.ts';
import { WARDEN_BIN } from '../../support/cli.ts';

const run = promisify(execFile);
const cwd = mkdtempSync(join(tmpdir(), 'cli-watch-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));
const warden = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  run(process.execPath, [WARDEN_BIN, ...args], { cwd, env: { ...process.env, ...env } });

describe('warden agent watch (CLI)', () => {
  it('without the loader: exits 4 (environment) with one line naming make -C bpf', async () => {
    const err = await warden(['agent', 'watch', '--', '/bin/true'], {
      WARDEN_LOADER: '/nonexistent/warden-loader',
    }).catch((e) => e);
    expect(err.code).toBe(4);
    const lines = String(err.stderr)
      .split('\n')
      .filter((l: string) => l.startsWith('warden:'));
    expect(lines).toEqual([expect.stringMatching(/^warden: the eBPF loader is not built .*`make -C bpf`/)]);
  });

  it('with the loader: runs the command and prints the ingest summary as JSON', async () => {
    assertLoaderBuilt();
    const { stdout } = await warden([
      '--store',
      'embedded:memory',
      '--json',
      'agent',
      'watch',
      '--name',
      'cli-demo',
      '--',
      '/bin/cat',
      '/etc/hostname',
    ]);
    const s = JSON.parse(stdout);
    expect(s).toMatchObject({ subject: 'local:cli-demo', store: 'embedded:memory', exitCode: 0, batches: 1 });
    expect(s.observations).toBeGreaterThan(0);
    expect(s.stored).toBe(s.observations);
  });
});
