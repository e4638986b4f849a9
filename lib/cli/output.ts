import type { Command } from 'commander';
import { stopProgress } from './progress.ts';

export { CliError } from './errors.ts';

/** Global options merged with the command's own (works for options given before or after the command). */
export function globalOpts(cmd: Command): { json: boolean; store?: string } {
  const all = cmd.optsWithGlobals() as { json?: boolean; store?: string };
  return { json: Boolean(all.json), store: all.store };
}

/** Prints `value` as JSON when --json, else the human text produced by `human`. */
export function emit(cmd: Command, value: unknown, human: () => string): void {
  stopProgress();
  if (globalOpts(cmd).json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  else process.stdout.write(`${human()}\n`);
}

/** Prints `value` as JSON whatever --json says (formats that are JSON by nature: OCSF, CycloneDX). */
export function emitJson(value: unknown): void {
  stopProgress();
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
