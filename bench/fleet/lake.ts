/**
 * What CloudTrail Lake would bill for the same input: it bills ingestion by the uncompressed size of each event as
 * ingested. A CloudTrail record is ingested as it is. A node-agent record is not a CloudTrail event: in Lake it would
 * be an integration event sent with `PutAuditEvents`, whose `eventData` must carry `version`, `userIdentity`,
 * `eventSource`, `eventName`, `eventTime`, `UID` and `recipientAccountId` around the record (here in
 * `additionalEventData`); that envelope is billed too. Both sizes are reported (docs/operations.md, cost).
 */
import { ACCOUNT } from './workload.ts';

/** The `eventData` of the Lake integration event carrying one node-agent record of `node`. */
export function integrationEvent(record: { type: string; time: string }, node: string, uid: string): string {
  return JSON.stringify({
    version: '1.0',
    userIdentity: { type: 'warden-node-agent', principalId: node },
    userAgent: 'warden-node-agent/0.1.0',
    eventSource: 'warden.node-agent',
    eventName: record.type,
    eventTime: record.time.replace(/\.\d{3}Z$/, 'Z'),
    UID: uid,
    recipientAccountId: ACCOUNT,
    additionalEventData: record,
  });
}
