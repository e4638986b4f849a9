/**
 * Runs the real `warden` CLI as a user does (`node bin/warden.js`, the compiled build that test/setup/build-cli.ts
 * refreshes before the suite). Asynchronous on purpose: a blocking spawnSync starves vitest's worker RPC on a busy
 * machine.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '..', '..');
export const WARDEN_BIN = join(REPO, 'bin', 'warden.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Kill the process after this long (default 120 s). */
  timeoutMs?: number;
}

/** Runs a command line (argv without `node bin/warden.js`) or, with `shell: true`, a whole shell command. */
function run(file: string, args: string[], opts: CliOptions & { shell?: boolean }): Promise<CliRun> {
  return new Promise((done, fail) => {
    const child = spawn(file, args, {
      cwd: opts.cwd ?? REPO,
      env: { ...process.env, WARDEN_STORE: '', ...opts.env },
      shell: opts.shell ?? false,
      timeout: opts.timeoutMs ?? 120_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** `warden ARGS...` */
export function warden(args: string[], opts: CliOptions = {}): Promise<CliRun> {
  return run(process.execPath, [WARDEN_BIN, ...args], opts);
}

/** A command line exactly as printed (through /bin/sh), e.g. a hint the CLI printed. */
export function shell(commandLine: string, opts: CliOptions = {}): Promise<CliRun> {
  return run(commandLine, [], { ...opts, shell: true });
}
