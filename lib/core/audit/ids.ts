/** Audit entry id of a triggering input (ticket id, agent sessionId or Bedrock requestId): stable, so lookups work months later. */
export function auditIdFor(input: string): string {
  return `audit:${input}`;
}
