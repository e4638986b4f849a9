/**
 * Drift -> audit chain -> event as one use case (lib/app/report-drift.ts), on the reference incident: the CLI's way
 * (embedded store with its anchor log, the local event log) and the drift Lambda's way (the bundled-in handler with
 * a DynamoDB table and the Warden bus on moto_server) both chain the risky item's audit entry and publish events
 * that carry the anchored chain head; the Lambda judges incrementally, so its second run has nothing to publish. A chain changed outside Warden is not appended to, and the drift still goes out.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EventLogSink } from '../../../lib/adapters/event-log.ts';
import { openStore } from '../../../lib/adapters/open-store.ts';
import { localInputFiles } from '../../../lib/adapters/read-input.ts';
import { CHAIN_DOC, HEAD_DOC, verifyAuditTrail } from '../../../lib/app/audit/service.ts';
import { ingestPaths } from '../../../lib/app/ingest/pipeline.ts';
import { reportDrift } from '../../../lib/app/report-drift.ts';
import { nextRecord, seqId } from '../../../lib/core/audit/chain.ts';
import type { ChainHead, ChainRecord } from '../../../lib/core/audit/types.ts';
import { scenarioIdentity } from '../../../lib/demo/scenarios/index.ts';
import type { Store } from '../../../lib/ports.ts';
import { lambdaContext } from '../../e2e/support/lambda-poller.ts';
import { startDynalite, storeAt } from '../../support/dynalite.ts';
import { setLocalLambdaEnv } from '../../support/lambda-env.ts';
import { type MotoServer, startMoto } from '../../support/moto.ts';
import { referenceTelemetry } from '../../support/reference-telemetry.ts';

const ref = referenceTelemetry('warden-report-drift-');
const { g, end } = ref;
const SINCE_MS = 35 * 86_400_000;

const events = async (path: string) =>
  (await readFile(path, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { detail: { classification: string; auditId?: string; auditHead?: ChainHead } });

describe('the CLI way: embedded store, its anchor log, the local event log', () => {
  let store: Store;
  beforeAll(async () => {
    store = await openStore('embedded:memory');
    await ingestPaths(store, ref.files, { files: localInputFiles, identity: scenarioIdentity(g) });
  }, 300_000);
  afterAll(() => store?.close());

  it('chains the risky item and publishes every event with the anchored head', async () => {
    const log = join(ref.dir, 'events-1.ndjson');
    const r = await reportDrift({ store, events: new EventLogSink({ path: log }) }, { now: end, sinceMs: SINCE_MS });
    const risky = r.items.filter((d) => d.classification === 'risky');
    expect(risky).toHaveLength(1);
    expect(r.chained).toEqual([
      { driftId: risky[0]!.id, auditId: `audit:${g.truth.attackTicket}`, seq: 1, created: true },
    ]);
    const v = await verifyAuditTrail(store);
    expect(v.ok).toBe(true);
    expect(v.anchor).toMatchObject({ seq: r.auditHead!.seq, hash: r.auditHead!.hash });
    const published = await events(log);
    expect(published).toHaveLength(r.items.length);
    for (const e of published) expect(e.detail.auditHead).toEqual(r.auditHead);
  });

  it('a second run chains nothing new and carries the same head', async () => {
    const before = await verifyAuditTrail(store);
    const r = await reportDrift({ store }, { now: end, sinceMs: SINCE_MS });
    expect(r.chained.map((c) => c.created)).toEqual([false]);
    expect(r.auditHead).toEqual({ seq: before.headSeq, hash: (before.anchor as { hash: string }).hash });
  });

  it('does not append onto a forged record, and still publishes the drift saying why', async () => {
    // Someone with table access forges a record and moves the head; the incident's entry is looked up again.
    const head = (await store.getDoc<ChainHead>(HEAD_DOC, 'global', 'head'))!;
    const last = (await store.getDoc<ChainRecord>(CHAIN_DOC, 'global', seqId(head.body.seq)))!.body;
    const forged = nextRecord(head.body, { ...last.entry, id: 'audit:FORGED', input: 'FORGED' } as never);
    await store.putDoc(CHAIN_DOC, 'global', seqId(forged.seq), forged);
    await store.putDoc(
      HEAD_DOC,
      'global',
      'head',
      { seq: forged.seq, hash: forged.hash },
      { expectVersion: head.version },
    );
    await store.putDoc('audit', 'global', `audit:${g.truth.attackTicket}`, { seq: 999 });
    const log = join(ref.dir, 'events-3.ndjson');
    const r = await reportDrift({ store, events: new EventLogSink({ path: log }) }, { now: end, sinceMs: SINCE_MS });
    expect(r.chained[0]!.error).toMatch(/warden audit verify/);
    expect(await events(log)).toHaveLength(r.items.length);
    expect((await verifyAuditTrail(store)).problems.map((p) => p.problem)).toContain('unanchored-record');
  });
});

describe('the Lambda way: the drift handler, a DynamoDB table and the Warden bus', () => {
  let moto: MotoServer;
  let stopDynalite: () => Promise<void>;
  let sqs: SQSClient;
  let queueUrl: string;

  beforeAll(async () => {
    moto = await startMoto();
    const d = await startDynalite();
    stopDynalite = d.stop;
    const store = await storeAt(d.clientConfig, 'warden-drift');
    await ingestPaths(store, ref.files, { files: localInputFiles, identity: scenarioIdentity(g) });
    await store.close();
    const eb = new EventBridgeClient(moto.clientConfig);
    sqs = new SQSClient(moto.clientConfig);
    await eb.send(new CreateEventBusCommand({ Name: 'warden' }));
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'drift' }))).QueueUrl!;
    const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] })))
      .Attributes!.QueueArn!;
    await eb.send(
      new PutRuleCommand({
        Name: 'drift',
        EventBusName: 'warden',
        EventPattern: JSON.stringify({ source: ['warden'], 'detail-type': ['Warden Drift Detected'] }),
      }),
    );
    await eb.send(new PutTargetsCommand({ Rule: 'drift', EventBusName: 'warden', Targets: [{ Id: 'q', Arn: arn }] }));
    setLocalLambdaEnv({
      WARDEN_TABLE_NAME: 'warden-drift',
      WARDEN_BUS_NAME: 'warden',
      AWS_ENDPOINT_URL_DYNAMODB: d.endpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: moto.endpoint,
    });
  }, 300_000);

  afterAll(async () => {
    vi.useRealTimers();
    await stopDynalite?.();
    await moto?.stop();
  });

  it('chains the risky item and publishes events with the chain head on the bus', async () => {
    // The handler classifies up to now: now is the end of the scenario.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(end));
    const { handler } = await import('../../../lambdas/drift/handler.ts');
    const r = (await handler({ sinceHours: 35 * 24 }, lambdaContext('drift'))) as {
      risky: { auditId: string }[];
      auditHead: ChainHead;
      items: number;
    };
    vi.useRealTimers();
    expect(r.risky.map((x) => x.auditId)).toEqual([`audit:${g.truth.attackTicket}`]);
    expect(r.auditHead.seq).toBe(1);
    const got: { detail: { auditHead?: ChainHead } }[] = [];
    for (let i = 0; i < 15 && got.length < r.items; i++) {
      const out = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      for (const m of out.Messages ?? []) got.push(JSON.parse(m.Body!));
    }
    expect(got).toHaveLength(r.items);
    for (const e of got) expect(e.detail.auditHead).toEqual(r.auditHead);
  });

  it('runs incrementally: a second invocation with nothing new judges nothing and publishes nothing', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(end));
    const { handler } = await import('../../../lambdas/drift/handler.ts');
    const r = (await handler({ sinceHours: 35 * 24 }, lambdaContext('drift'))) as {
      items: number;
      subjects: number;
      remaining: number;
    };
    vi.useRealTimers();
    expect(r).toMatchObject({ items: 0, subjects: 0, remaining: 0 });
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }));
    expect(out.Messages ?? []).toEqual([]);
  });
});
