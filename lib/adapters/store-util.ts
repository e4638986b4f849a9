/** Small helpers for the DynamoDB store: digests, bounded concurrency, chunked gzip. */
import { createHash } from 'node:crypto';

/** Short, URL-safe digest (96 bits) of the given strings; order matters, so callers sort when it must not. */
export function digest(parts: readonly string[]): string {
  const h = createHash('sha256');
  for (const p of parts) {
    h.update(p);
    h.update('\n');
  }
  return h.digest('base64url').slice(0, 16);
}

/** Runs `fn` over `items` with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** True for the error DynamoDB returns when a ConditionExpression does not hold. */
export function isConditionalCheckFailed(err: unknown): boolean {
  return (err as { name?: string } | undefined)?.name === 'ConditionalCheckFailedException';
}

export function isResourceNotFound(err: unknown): boolean {
  return (err as { name?: string } | undefined)?.name === 'ResourceNotFoundException';
}

/** Epoch seconds `days` after `iso` (for the TTL attribute). */
export function expiryAfter(iso: string, days: number): number {
  return Math.floor(new Date(iso).getTime() / 1000) + days * 86_400;
}
