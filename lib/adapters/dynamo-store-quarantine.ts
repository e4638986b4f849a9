/** Quarantine in the DynamoDB store: one item per reject (`Q#<id> / #Q`), listed newest first through GSI1. */
import type { Reject } from '../core/observation.ts';
import type { QuarantineRow } from '../ports.ts';
import { type DynamoContext, queryAll, sendWrite, type WriteTally } from './dynamo-store-client.ts';
import { decodeItem, itemKeys, QUARANTINE_SK } from './dynamo-store-items.ts';
import { expiryAfter, quarantineId } from './store-util.ts';
import { GSI1 } from './table-schema.ts';

/** Stores a reject once (its id is a digest of where and what it was); returns false when already stored. */
export async function putQuarantine(ctx: DynamoContext, tally: WriteTally, r: Reject, nowIso: string) {
  const id = quarantineId(r);
  const res = await sendWrite(ctx, tally, {
    Item: {
      pk: itemKeys.quarantinePk(id),
      sk: QUARANTINE_SK,
      type: 'quarantine',
      gsi1pk: 'QUARANTINE',
      gsi1sk: `${nowIso}#${id}`,
      id,
      time: nowIso,
      source: r.source,
      reason: r.reason,
      detail: r.detail.slice(0, 1024),
      location: r.location,
      excerpt: r.excerpt.slice(0, 2048),
      expiresAt: expiryAfter(nowIso, ctx.quarantineDays),
    },
    ConditionExpression: 'attribute_not_exists(pk)',
  });
  return res.ok;
}

export async function readQuarantine(ctx: DynamoContext, limit: number): Promise<QuarantineRow[]> {
  const items = await queryAll(
    ctx,
    {
      IndexName: GSI1.indexName,
      KeyConditionExpression: 'gsi1pk = :g',
      ExpressionAttributeValues: { ':g': 'QUARANTINE' },
      ScanIndexForward: false,
    },
    limit,
  );
  return items.map(decodeItem.quarantine);
}
