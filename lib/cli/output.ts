import type { Command } from 'commander';

/** An expected CLI failure: printed as one line `warden: <message>` with a non-zero exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CliError';
  }
}

/** Global options merged with the command's own (works for options given before or after the command). */
export function globalOpts(cmd: Command): { json: boolean; store?: string } {
  const all = cmd.optsWithGlobals() as { json?: boolean; store?: string };
  return { json: Boolean(all.json), store: all.store };
}

/** Prints `value` as JSON when --json, else the human text produced by `human`. */
export function emit(cmd: Command, value: unknown, human: () => string): void {
  if (globalOpts(cmd).json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  else process.stdout.write(`${human()}\n`);
}
