/**
 * Every id Warden prints is accepted where an id is asked for. An audit lookup takes the triggering input itself
 * (ticket, session or request id) and also what other commands print for it: the audit id (`audit:ZD-49173`, carried
 * by every drift event), a drift id (`SUBJECT@TIME`), a rollout id or a rollout transition's audit id
 * (`audit-rollout:ROLLOUT/STEP`).
 */
import { DRIFT_DOC } from '../app/drift/service.ts';
import type { Store } from '../ports.ts';

export interface AuditLookupId {
  /** The triggering input (ticket, session, request) or rollout id to look up. */
  input: string;
  /** Set when the id named a rollout transition. */
  rolloutId?: string;
}

const AUDIT_PREFIX = 'audit:';
const ROLLOUT_PREFIX = 'audit-rollout:';

/** The input an id stands for, without the store (audit and rollout-transition ids). */
export function parseAuditId(id: string): AuditLookupId {
  const trimmed = id.trim();
  if (trimmed.startsWith(ROLLOUT_PREFIX)) {
    const rest = trimmed.slice(ROLLOUT_PREFIX.length);
    const rolloutId = rest.includes('/') ? rest.slice(0, rest.indexOf('/')) : rest;
    return { input: rolloutId, rolloutId };
  }
  if (trimmed.startsWith(AUDIT_PREFIX) && trimmed.length > AUDIT_PREFIX.length)
    return { input: trimmed.slice(AUDIT_PREFIX.length) };
  return { input: trimmed };
}

/** Like {@link parseAuditId}, and a drift id (`SUBJECT@TIME`) resolves to the input its drift object names. */
export async function resolveAuditId(store: Store, id: string): Promise<AuditLookupId> {
  const parsed = parseAuditId(id);
  const at = parsed.input.lastIndexOf('@');
  if (parsed.rolloutId || at <= 0) return parsed;
  const subject = parsed.input.slice(0, at);
  const time = parsed.input.slice(at + 1);
  if (Number.isNaN(Date.parse(time))) return parsed;
  const docs = await store.listDocs<{ id?: string; auditId?: string }>(DRIFT_DOC, subject, {
    fromId: time,
    toId: time,
    limit: 5,
  });
  const drift = docs.find((d) => d.body.id === parsed.input);
  return drift?.body.auditId ? parseAuditId(drift.body.auditId) : parsed;
}
