import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE_AGENT_SCHEMA, type NodeAgentBatch } from '../../../lib/core/sources/node-agent.ts';
import { BatchShipper, type BatchSink, httpSink, type SendResult } from '../../../node-agent/shipper.ts';

const creds = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'tok',
};

function batch(n: number, drops: Record<string, number> = {}): NodeAgentBatch {
  return {
    schema: NODE_AGENT_SCHEMA,
    agent: { node: 'n1', cluster: 'c', version: '0.1.0' },
    window: { start: new Date(n * 60_000).toISOString(), end: new Date((n + 1) * 60_000).toISOString() },
    drops,
    records: Array.from({ length: n + 1 }, () => ({ type: 'exec', path: '/bin/true' })),
  };
}

/** A sink scripted per call, recording what it was sent. */
function scripted(results: SendResult['status'][]): BatchSink & { sent: NodeAgentBatch[] } {
  const sent: NodeAgentBatch[] = [];
  return {
    sent,
    async send(b) {
      sent.push(b);
      const s = results.shift() ?? 'ok';
      return s === 'ok' ? { status: 'ok' } : { status: s, detail: s };
    },
  };
}

describe('bounded queue', () => {
  it('evicts the oldest batch when full and reports its records and drops with the next shipped batch', async () => {
    const sink = scripted([]);
    const s = new BatchShipper(sink, { maxQueue: 2 });
    s.enqueue(batch(0, { ringbuf_exec: 5 })); // 1 record, evicted below
    s.enqueue(batch(1)); // 2 records, evicted below
    s.enqueue(batch(2));
    s.enqueue(batch(3));
    expect(s.stats()).toMatchObject({ queued: 2, droppedBatches: 2 });
    await s.drain();
    expect(sink.sent.map((b) => b.drops)).toEqual([{ queue_full: 3, ringbuf_exec: 5 }, {}]);
    expect(s.stats()).toMatchObject({ queued: 0, sent: 2 });
  });

  it('keeps a batch queued on a transient failure and sends it later', async () => {
    const sink = scripted(['retry', 'ok', 'ok']);
    const s = new BatchShipper(sink);
    s.enqueue(batch(0));
    s.enqueue(batch(1));
    await s.drain();
    expect(s.stats()).toMatchObject({ queued: 2, sent: 0, retries: 1 });
    await s.drain();
    expect(s.stats()).toMatchObject({ queued: 0, sent: 2 });
    expect(sink.sent.map((b) => b.window.start)).toEqual([
      batch(0).window.start,
      batch(0).window.start,
      batch(1).window.start,
    ]);
  });

  it('a batch the endpoint rejects is counted, with the drops it carried, in the next one', async () => {
    const sink = scripted(['ok', 'reject', 'ok']);
    const s = new BatchShipper(sink, { maxQueue: 1 });
    s.enqueue(batch(0, { ringbuf_open: 1 }));
    s.enqueue(batch(1, { ringbuf_open: 2 })); // evicts batch 0 (1 record + ringbuf_open 1)
    await s.drain(); // batch 1 goes out carrying batch 0's loss
    s.enqueue(batch(2, { ringbuf_dns: 4 }));
    await s.drain(); // rejected: 3 records + its drops pending
    s.enqueue(batch(3));
    await s.drain();
    expect(sink.sent.map((b) => b.drops)).toEqual([
      { ringbuf_open: 3, queue_full: 1 },
      { ringbuf_dns: 4 },
      { endpoint_rejected: 3, ringbuf_dns: 4 },
    ]);
    expect(s.pendingDrops()).toEqual({});
  });
});

describe('SigV4 HTTP sink against a loopback endpoint', () => {
  let server: Server;
  let url: string;
  const received: Array<{ headers: Record<string, string | string[] | undefined>; body: string; verified: boolean }> =
    [];
  let status = 200;

  beforeAll(async () => {
    const verifier = new SignatureV4({
      credentials: creds,
      region: 'eu-west-1',
      // the default service: the stack's endpoint is a Lambda function URL
      service: 'lambda',
      sha256: Sha256,
    });
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const body = Buffer.concat(chunks).toString('utf8');
        // Verify by re-signing the request as received with the same secret at the same instant.
        const h = req.headers;
        const amzDate = String(h['x-amz-date']);
        const signingDate = new Date(
          `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
        );
        const u = new URL(req.url ?? '/', 'http://x');
        const query: Record<string, string> = {};
        u.searchParams.forEach((v, k) => {
          query[k] = v;
        });
        const again = await verifier.sign(
          {
            method: req.method ?? 'POST',
            protocol: 'http:',
            hostname: '127.0.0.1',
            port: (server.address() as AddressInfo).port,
            path: u.pathname,
            query,
            headers: { host: String(h.host), 'content-type': String(h['content-type']) },
            body,
          },
          { signingDate },
        );
        const verified = again.headers.authorization === h.authorization;
        received.push({ headers: h, body, verified });
        res.writeHead(verified ? status : 403);
        res.end(verified ? '{}' : 'signature mismatch');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prod/ingest/node-agent?v=1`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('signs with SigV4 (session token included) and posts the batch as JSON', async () => {
    const sink = httpSink({ endpoint: url, region: 'eu-west-1', credentials: creds });
    expect(await sink.send(batch(0))).toEqual({ status: 'ok' });
    const got = received.at(-1)!;
    expect(got.verified).toBe(true);
    expect(String(got.headers.authorization)).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/lambda\/aws4_request/,
    );
    expect(got.headers['x-amz-security-token']).toBe('tok');
    expect(JSON.parse(got.body)).toEqual(batch(0));
  });

  it('a wrong secret is refused by the endpoint: a permanent reject', async () => {
    const sink = httpSink({ endpoint: url, region: 'eu-west-1', credentials: { ...creds, secretAccessKey: 'wrong' } });
    const r = await sink.send(batch(0));
    expect(r.status).toBe('reject');
    expect(received.at(-1)!.verified).toBe(false);
  });

  it('5xx and throttling are retried, connection errors too', async () => {
    const sink = httpSink({ endpoint: url, region: 'eu-west-1', credentials: async () => creds });
    status = 503;
    expect((await sink.send(batch(0))).status).toBe('retry');
    status = 429;
    expect((await sink.send(batch(0))).status).toBe('retry');
    status = 200;
    const down = httpSink({ endpoint: 'http://127.0.0.1:1/x', region: 'eu-west-1', credentials: creds });
    expect((await down.send(batch(0))).status).toBe('retry');
  });
});
