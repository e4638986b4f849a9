const AUDIT_PREFIX = 'audit:';

/** Audit entry id of a triggering input (ticket id, agent sessionId or Bedrock requestId): stable, so lookups work months later. */
export function auditIdFor(input: string): string {
  return `${AUDIT_PREFIX}${input}`;
}

/** The triggering input of an audit id made by {@link auditIdFor}; undefined for any other id (rollout entries). */
export function inputOfAuditId(auditId: string): string | undefined {
  return auditId.startsWith(AUDIT_PREFIX) && auditId.length > AUDIT_PREFIX.length
    ? auditId.slice(AUDIT_PREFIX.length)
    : undefined;
}

/**
 * Audit entry id of one rollout transition: stable across retries of the step. The `audit-rollout:` prefix never
 * collides with {@link auditIdFor}, whatever a ticket id looks like.
 */
export function rolloutAuditIdFor(rolloutId: string, transitionName: string): string {
  return `audit-rollout:${rolloutId}/${transitionName}`;
}
