/**
 * File names derived from data (subject names come from node-agent and log data: a cgroup path, a pod name) made
 * safe to write: one path segment of `[A-Za-z0-9._-]`, never `.`/`..`, never hidden, bounded. A name that already
 * is one is kept as it is (the generated names of well-formed subjects do not change); any other becomes a readable
 * slug plus a hash of the original, so two hostile names never collide and the same name always maps the same way.
 */
import { createHash } from 'node:crypto';

const SAFE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** Well under NAME_MAX (255 bytes) on every file system Warden writes to. */
const MAX_NAME = 160;
/** The artifact kind suffix kept readable (`.networkpolicy.yaml`, `.seccomp.enforce.json`). */
const SUFFIX = /(\.[a-z][a-z0-9-]{0,30}){1,3}$/;

/** True when `name` may be written as it is: one safe path segment. */
export function isSafeFileName(name: string): boolean {
  return name.length <= MAX_NAME && SAFE.test(name) && !name.includes('..');
}

/**
 * `name` when it is safe, else `<slug>-<12 hex of sha256(name)><suffix>`.
 * @example safeFileName('/../../../../x.networkpolicy.yaml') // 'x-<hash>.networkpolicy.yaml'
 */
export function safeFileName(name: string): string {
  if (isSafeFileName(name)) return name;
  const suffix = SUFFIX.exec(name)?.[0] ?? '';
  const stem = name.slice(0, name.length - suffix.length);
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 12);
  const slug =
    stem
      .replace(/[^A-Za-z0-9_-]+/g, '-')
      .replace(/^[-_]+|[-_]+$/g, '')
      .slice(0, MAX_NAME - hash.length - suffix.length - 2)
      .replace(/[-_]+$/, '') || 'agent';
  return `${slug}-${hash}${suffix}`;
}
