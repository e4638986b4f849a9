/** Helpers shared by the store adapters: named errors, bounded concurrency, expiry, quarantine ids. */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Reject } from '../core/observation.ts';
import { WINDOW_MS } from '../core/observation.ts';
import { digest } from '../core/store/digest.ts';
import type { Doc } from '../ports.ts';

/** Raised by putDoc when `expectVersion` does not match the stored version. */
export class VersionConflictError extends Error {
  constructor(
    readonly kind: string,
    readonly scope: string,
    readonly id: string,
    readonly expected: number,
    options?: { cause?: unknown },
  ) {
    super(`document ${kind}/${scope}/${id} is not at version ${expected}`, options);
    this.name = 'VersionConflictError';
  }
}

/** Another process holds the embedded store's write lock for longer than the wait allows. */
export class StoreBusyError extends Error {
  constructor(store: string, cause: unknown) {
    super(`store ${store} is busy: another warden process is writing to it; retry when it has finished`, { cause });
    this.name = 'StoreBusyError';
  }
}

/** Documents larger than this (JSON characters) are stored gzipped. */
export const DOC_INLINE_MAX = 300 * 1024;

/** A document's body as stored: its JSON text, gzipped when large. */
export function encodeDocBody(body: unknown): { json: string; stored: string | Buffer } {
  const json = JSON.stringify(body ?? null);
  return { json, stored: json.length > DOC_INLINE_MAX ? gzipSync(Buffer.from(json)) : json };
}

/** A stored document (body as text, or as gzipped bytes) as the port returns it. */
export function decodeDoc<T>(d: Omit<Doc, 'body'> & { body: string | Uint8Array }): Doc<T> {
  const text = typeof d.body === 'string' ? d.body : gunzipSync(d.body).toString('utf8');
  return {
    kind: d.kind,
    scope: d.scope,
    id: d.id,
    body: JSON.parse(text) as T,
    updatedAt: d.updatedAt,
    version: d.version,
  };
}

/** Epoch seconds `days` after `iso` (the TTL attribute; readers filter on it). */
export function expiryAfter(iso: string, days: number): number {
  return Math.floor(new Date(iso).getTime() / 1000) + days * 86_400;
}

/** A reject's id: a digest of where and what it was, so quarantining the same reject twice stores it once. */
export function quarantineId(r: Reject): string {
  return digest([
    r.source,
    r.reason,
    r.location.file ?? '',
    String(r.location.line ?? ''),
    String(r.location.record ?? ''),
    r.excerpt,
  ]);
}

/** The window an ISO time falls in, for range queries over window-prefixed keys. */
export function windowOf(iso: string): string {
  const t = new Date(iso).getTime();
  return Number.isNaN(t) ? iso : new Date(Math.floor(t / WINDOW_MS) * WINDOW_MS).toISOString();
}
