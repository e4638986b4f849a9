/**
 * SHA-256 and canonical JSON for the hash chain. Pure JS (@aws-crypto/sha256-js) so the core stays free of node:crypto
 * and runs the same in Lambda, the CLI and a browser.
 */
import { Sha256 } from '@aws-crypto/sha256-js';

export function sha256Hex(text: string): string {
  const h = new Sha256();
  h.update(new TextEncoder().encode(text));
  return Array.from(h.digestSync(), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** JSON with object keys sorted at every level, so the same value always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const parts = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`);
  return `{${parts.join(',')}}`;
}
