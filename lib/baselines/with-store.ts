/** Opens the store named by the CLI's `--store` for the length of `fn`, turning a bad spec into a one-line CLI error. */
import { openStore, StoreSpecError } from '../adapters/open-store.ts';
import { CliError } from '../cli/output.ts';
import type { Store } from '../ports.ts';

export async function withStore<T>(spec: string | undefined, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(spec).catch((err: unknown) => {
    if (err instanceof StoreSpecError) throw new CliError(err.message, 2, { cause: err });
    throw err;
  });
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
