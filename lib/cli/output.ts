import type { Command } from 'commander';
import { stopProgress } from './progress.ts';

export { CliError } from './errors.ts';

/** Global options merged with the command's own (works for options given before or after the command). */
export function globalOpts(cmd: Command): { json: boolean; store?: string } {
  const all = cmd.optsWithGlobals() as { json?: boolean; store?: string };
  return { json: Boolean(all.json), store: all.store };
}

/**
 * Control characters (C0 but newline and tab, DEL, C1) and bidirectional overrides, which names from telemetry may
 * carry: printed raw they would move the cursor, recolour or rewrite the terminal, or reorder what the reader sees.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const UNPRINTABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** `text` with every unprintable character shown as a `\u{hex}` escape (human output only; JSON escapes its own). */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

/** Prints `value` as JSON when --json, else the human text produced by `human`, with unprintables escaped. */
export function emit(cmd: Command, value: unknown, human: () => string): void {
  stopProgress();
  if (globalOpts(cmd).json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  else process.stdout.write(`${printable(human())}\n`);
}

/** Prints `value` as JSON whatever --json says (formats that are JSON by nature: OCSF, CycloneDX). */
export function emitJson(value: unknown): void {
  stopProgress();
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
