/**
 * Hints the CLI prints ("next: warden subjects ...") must run as printed: they use the command line the user invoked
 * Warden with (`npx warden`, `warden`, `node bin/warden.js`, `npm run warden --`) and repeat a `--store` given on it.
 */
import { basename, isAbsolute, relative } from 'node:path';
import { inputError } from './errors.ts';

/** Quotes one shell word when it needs it (store specs carry `?` and `&`). */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

export interface Invocation {
  argv1?: string;
  env?: Record<string, string | undefined>;
  cwd?: string;
}

/** How this process was started, as the words a user types to start it again. */
export function wardenPrefix(inv: Invocation = {}): string[] {
  const argv1 = inv.argv1 ?? process.argv[1] ?? '';
  const env = inv.env ?? process.env;
  const cwd = inv.cwd ?? process.cwd();
  if (env.npm_lifecycle_event === 'warden') return ['npm', 'run', 'warden', '--'];
  if (basename(argv1) === 'warden') return env.npm_command === 'exec' ? ['npx', 'warden'] : ['warden'];
  const rel = relative(cwd, argv1);
  const path = rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : argv1;
  return ['node', path || 'bin/warden.js'];
}

/** A runnable command line: `hint(['audit', '--input', id], {store})` -> `npx warden --store X audit --input ID`. */
export function hint(args: string[], opts: { store?: string; invocation?: Invocation } = {}): string {
  const words = [...wardenPrefix(opts.invocation), ...(opts.store ? ['--store', opts.store] : []), ...args];
  return words.map((w, i) => (i === 0 ? w : shellWord(w))).join(' ');
}

/** The error for a subject id the store does not know, pointing at the command that lists the known ones. */
export function unknownSubject(subject: string, store?: string): Error {
  return inputError(`unknown subject: ${subject} (the store's subjects: ${hint(['subjects'], { store })})`);
}
