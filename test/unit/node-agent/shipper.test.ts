import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noIdentity } from '../../../lib/core/identity/types.ts';
import { NODE_AGENT_SCHEMA, type NodeAgentBatch, nodeAgentParser } from '../../../lib/core/sources/node-agent.ts';
import type { ParseContext } from '../../../lib/core/sources/types.ts';
import {
  BatchShipper,
  type BatchSink,
  DEFAULT_MAX_BODY_BYTES,
  httpSink,
  type SendResult,
} from '../../../node-agent/shipper.ts';

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

/** `n` distinct exec records (distinct content: nothing folds them together). */
function distinct(n: number): NodeAgentBatch['records'] {
  return Array.from({ length: n }, (_, i) => ({
    type: 'exec',
    path: `/usr/local/bin/tool-${i.toString(36)}`,
    // a content digest per record (as in real argv: temp paths, tokens): what gzip cannot fold away
    argv: ['tool', `--job=${createHash('sha256').update(String(i)).digest('hex')}`, `--shard=${i % 97}`],
    attribution: { namespace: 'agents', deployment: 'worker', pod: `worker-${i % 13}` },
  }));
}

const PARSE_CTX: ParseContext = { identity: noIdentity, promptContent: 'hash-only', excerptChars: 0 };

/** The ids of the observations the store would get from these batches. */
function observationIds(batches: NodeAgentBatch[]): string[] {
  const ids: string[] = [];
  for (const b of batches) {
    const text = JSON.stringify(b);
    const r = nodeAgentParser.parse({ text, line: 1, record: 1 }, PARSE_CTX);
    expect(r.rejects).toEqual([]);
    ids.push(...r.observations.map((o) => o.id));
  }
  return ids.sort();
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
  const received: Array<{ headers: Record<string, string | string[] | undefined>; body: Buffer; verified: boolean }> =
    [];
  let status = 200;
  /** With status 413: bodies up to this many bytes are accepted (an endpoint with a smaller cap than configured). */
  let limit413 = 0;

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
        const body = Buffer.concat(chunks);
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
        res.writeHead(!verified ? 403 : status === 413 && body.length <= limit413 ? 200 : status);
        res.end(verified ? '{}' : 'signature mismatch');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prod/ingest/node-agent?v=1`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('signs with SigV4 (session token included) and posts the batch as gzipped JSON', async () => {
    const sink = httpSink({ endpoint: url, region: 'eu-west-1', credentials: creds });
    expect(await sink.send(batch(0))).toEqual({ status: 'ok' });
    const got = received.at(-1)!;
    expect(got.verified).toBe(true);
    expect(String(got.headers.authorization)).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/lambda\/aws4_request/,
    );
    expect(got.headers['x-amz-security-token']).toBe('tok');
    expect(got.headers['content-type']).toBe('application/gzip');
    expect(JSON.parse(gunzipSync(got.body).toString('utf8'))).toEqual(batch(0));
  });

  it('a window of 50,000 distinct records ships whole: split under the limit, every record once, ids as unsplit', async () => {
    const big: NodeAgentBatch = { ...batch(0, { ringbuf_exec: 2 }), records: distinct(50_000) };
    const before = received.length;
    const s = new BatchShipper(httpSink({ endpoint: url, region: 'eu-west-1', credentials: creds }));
    s.enqueue(big);
    for (let i = 0; i < 5 && (i === 0 || s.stats().queued > 0); i++) await s.drain();
    const bodies = received.slice(before);
    expect(bodies.every((b) => b.verified && b.body.length <= DEFAULT_MAX_BODY_BYTES)).toBe(true);
    const parts = bodies.map((b) => JSON.parse(gunzipSync(b.body).toString('utf8')) as NodeAgentBatch);
    // 50,000 records are ~9 MiB of JSON, ~3 MiB gzipped: over the limit whole
    expect(JSON.stringify(big).length).toBeGreaterThan(8 * 1024 * 1024);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.flatMap((p) => p.records)).toEqual(big.records);
    expect(parts.map((p) => p.drops).filter((d) => Object.keys(d).length)).toEqual([{ ringbuf_exec: 2 }]);
    expect(s.stats()).toMatchObject({ queued: 0, sent: parts.length, droppedBatches: 0, splits: parts.length - 1 });
    // the observations of the parts are exactly those of the unsplit window (same ids: replays stay idempotent)
    expect(observationIds(parts)).toEqual(observationIds([big]));
  }, 120_000);

  it('413 from the endpoint: split and retried until it fits; nothing dropped', async () => {
    status = 413;
    limit413 = 4_000;
    try {
      const s = new BatchShipper(httpSink({ endpoint: url, region: 'eu-west-1', credentials: creds }));
      const before = received.length;
      const b: NodeAgentBatch = { ...batch(0), records: distinct(2_000) };
      s.enqueue(b);
      // The agent drains again every window; a keep-alive socket the server closed meanwhile is a transient retry.
      for (let i = 0; i < 5 && (i === 0 || s.stats().queued > 0); i++) await s.drain();
      expect(s.stats().queued).toBe(0);
      const stored = received.slice(before).filter((r) => r.body.length <= limit413);
      const parts = stored.map((r) => JSON.parse(gunzipSync(r.body).toString('utf8')) as NodeAgentBatch);
      expect(parts.flatMap((p) => p.records)).toEqual(b.records);
      expect(s.stats()).toMatchObject({ queued: 0, droppedBatches: 0 });
      expect(s.stats().splits).toBeGreaterThan(0);
    } finally {
      status = 200;
    }
  });

  it('one record too large even alone is dropped and counted as record_too_large', async () => {
    const sink = httpSink({ endpoint: url, region: 'eu-west-1', credentials: creds, maxBodyBytes: 100 });
    const s = new BatchShipper(sink);
    s.enqueue({ ...batch(0), records: distinct(1) });
    await s.drain();
    expect(s.stats()).toMatchObject({ droppedBatches: 1, queued: 0 });
    expect(s.pendingDrops()).toEqual({ record_too_large: 1 });
  });

  it('only refused authentication is permanent: 400, 404 and 409 are retried', async () => {
    const sink = httpSink({ endpoint: url, region: 'eu-west-1', credentials: creds });
    for (const code of [400, 404, 409]) {
      status = code;
      expect((await sink.send(batch(0))).status).toBe('retry');
    }
    status = 401;
    expect((await sink.send(batch(0))).status).toBe('reject');
    status = 200;
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
