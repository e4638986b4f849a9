import type { Reject } from '../../lib/core/observation.ts';

/** A message that can never be ingested (not the shape its queue carries): kept with its reason, not retried. */
export function poisonMessage(where: string, reason: string, detail: string, body: string): Reject {
  return { source: 'unknown', reason, detail, location: { file: where }, excerpt: body.slice(0, 2048) };
}
