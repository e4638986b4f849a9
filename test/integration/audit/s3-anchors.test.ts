/**
 * The deployed anchor log against moto_server's S3 (a versioned bucket with Object Lock, as lib/infra/audit-anchor.ts
 * creates it) and a DynamoDB store on moto: appends anchor each record with If-None-Match, a second writer of the same
 * seq is refused, truncating the table is detected, and an anchor object overwritten by someone with PutObject is
 * reported while its first version still anchors the chain.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, PutObjectCommand, PutObjectLockConfigurationCommand, S3Client } from '@aws-sdk/client-s3';
import { DeleteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3AnchorLog } from '../../../lib/adapters/audit-anchors-s3.ts';
import { itemKeys } from '../../../lib/adapters/dynamo-store-items.ts';
import { appendAuditEntry, chainRecords, HEAD_DOC, verifyAuditTrail } from '../../../lib/app/audit/service.ts';
import { anchorOf } from '../../../lib/core/audit/anchor.ts';
import { nextRecord, seqId } from '../../../lib/core/audit/chain.ts';
import type { CrossLayerAuditEntry } from '../../../lib/core/audit/types.ts';
import { AnchorExistsError, type Store } from '../../../lib/ports.ts';
import { storeAt } from '../../support/dynalite.ts';
import { type MotoServer, startMoto } from '../../support/moto.ts';

let moto: MotoServer;
let s3: S3Client;
let n = 0;

const entry = (input: string): CrossLayerAuditEntry => ({
  schema: 'warden.audit/v1',
  id: `audit:${input}`,
  input,
  inputType: 'ticket',
  subjects: ['k8s:prod/support/support-agent'],
  from: '2026-10-20T14:05:00.000Z',
  to: '2026-10-20T14:07:00.000Z',
  links: { tickets: [input], sessionIds: [], requestIds: [], roleSessions: [], podIps: [], pods: [] },
  prompt: {},
  timeline: [],
  counts: { model: 1, tool: 0, 'cloud-api': 0, egress: 0, kernel: 0 },
  truncated: 0,
  builtAt: '2026-10-26T00:00:00.000Z',
});

/** A fresh table and a fresh Object Lock bucket. */
async function fresh(): Promise<{ store: Store; log: S3AnchorLog; bucket: string; table: string }> {
  n++;
  const bucket = `warden-anchors-${n}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
  await s3.send(
    new PutObjectLockConfigurationCommand({
      Bucket: bucket,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 1 } },
      },
    }),
  );
  const log = new S3AnchorLog({ client: s3, bucket });
  const table = `warden-anchored-${n}`;
  const store = await storeAt(moto.clientConfig, table, { auditAnchors: log });
  for (const t of ['ZD-1', 'ZD-2', 'ZD-3']) await appendAuditEntry(store, entry(t));
  return { store, log, bucket, table };
}

beforeAll(async () => {
  moto = await startMoto();
  s3 = new S3Client({ ...moto.clientConfig, forcePathStyle: true });
}, 120_000);

afterAll(() => moto?.stop());

describe('audit anchors in an S3 Object Lock bucket (moto)', () => {
  it('anchors every append and verifies', async () => {
    const { store, log } = await fresh();
    const v = await verifyAuditTrail(store);
    expect(v).toMatchObject({ ok: true, records: 3, anchor: { seq: 3, log: expect.stringMatching(/^s3:\/\//) } });
    expect((await log.all()).anchors.map((a) => a.seq)).toEqual([1, 2, 3]);
    expect((await log.latest(2))?.seq).toBe(3);
  });

  it('refuses a second anchor of one seq (If-None-Match)', async () => {
    const { store, log } = await fresh();
    const head = (await chainRecords(store)).at(-1)!;
    const rec = nextRecord({ seq: head.seq, hash: head.hash }, entry('ZD-4'));
    await log.append(anchorOf(rec, '2026-11-20T10:00:00.000Z'));
    await expect(log.append(anchorOf(rec, '2026-11-20T10:00:01.000Z'))).rejects.toBeInstanceOf(AnchorExistsError);
  });

  it('detects records deleted from the end of the table', async () => {
    const { store, table } = await fresh();
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient(moto.clientConfig));
    await doc.send(
      new DeleteCommand({ TableName: table, Key: { pk: itemKeys.docPk('audit-chain', 'global'), sk: seqId(3) } }),
    );
    const recs = await chainRecords(store);
    const cur = await store.getDoc(HEAD_DOC, 'global', 'head');
    await store.putDoc(HEAD_DOC, 'global', 'head', { seq: 2, hash: recs[1]!.hash }, { expectVersion: cur!.version });
    const v = await verifyAuditTrail(store);
    expect(v.ok).toBe(false);
    expect(v.problems.map((p) => p.problem)).toContain('truncated');
  });

  it('reports an overwritten anchor object and keeps checking against its first version', async () => {
    const { store, bucket } = await fresh();
    const key = 'audit-anchors/000000000002.json';
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: '{"seq":2,"hash":"forged"}' }));
    const v = await verifyAuditTrail(store);
    expect(v.ok).toBe(false);
    expect(v.problems).toEqual([
      expect.objectContaining({ problem: 'anchor-log', detail: expect.stringContaining(key) }),
    ]);
  });
});
