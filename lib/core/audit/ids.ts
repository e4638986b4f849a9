/** Audit entry id of a triggering input (ticket id, agent sessionId or Bedrock requestId): stable, so lookups work months later. */
export function auditIdFor(input: string): string {
  return `audit:${input}`;
}

/**
 * Audit entry id of one rollout transition: stable across retries of the step. The `audit-rollout:` prefix never
 * collides with {@link auditIdFor}, whatever a ticket id looks like.
 */
export function rolloutAuditIdFor(rolloutId: string, transitionName: string): string {
  return `audit-rollout:${rolloutId}/${transitionName}`;
}
