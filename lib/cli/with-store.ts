/** The store named by the CLI's `--store`, open for the length of a command (a bad spec is a usage error: errors.ts). */
import { openStore } from '../adapters/open-store.ts';
import type { Store } from '../ports.ts';
import { CliError } from './output.ts';

export async function withStore<T>(spec: string | undefined, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(spec);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** Parses a CLI time (ISO-8601, or `now`); throws a CliError naming the option otherwise. */
export function parseTime(value: string | undefined, option: string, fallback: Date = new Date()): string {
  if (value === undefined || value === 'now') return fallback.toISOString();
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new CliError(`${option}: not an ISO-8601 time: ${value}`);
  return new Date(t).toISOString();
}
