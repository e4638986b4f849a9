/** Short digests for store idempotency markers (pure: node:crypto only). */
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

/** A 72-bit digest of one observation id, kept in an aggregate's natural-id set (12 characters instead of ~47). */
export function idDigest(id: string): string {
  return createHash('sha256').update(id).digest('base64url').slice(0, 12);
}
