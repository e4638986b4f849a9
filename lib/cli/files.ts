/** Output files named by options (`--chart FILE`, `--out FILE`), checked before a command does its work. */
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { usageError } from './errors.ts';

/**
 * Makes sure `path` can be written once the command has its result, so a long run is not lost to a bad path: creates
 * missing parent directories; a directory or an unwritable parent is a usage error naming `option`.
 */
export function prepareOutputFile(path: string, option: string): string {
  const abs = resolve(path);
  const existing = statSync(abs, { throwIfNoEntry: false });
  if (existing?.isDirectory()) throw usageError(`${option} ${path}: is a directory (give a file name)`);
  const parent = dirname(abs);
  try {
    mkdirSync(parent, { recursive: true });
    accessSync(parent, constants.W_OK);
  } catch (err) {
    throw usageError(
      `${option} ${path}: cannot write in ${parent} (${(err as NodeJS.ErrnoException).code ?? err})`,
      err,
    );
  }
  return abs;
}
