/**
 * Ships node-agent batches: a bounded queue in front of a sink (the SigV4-signed ingestion endpoint on EKS, the local
 * store in `warden agent watch`). When the queue is full the oldest batch is dropped; what it carried is never lost
 * silently: its record count (as `queue_full`) and its own drop counters are added to the next batch that ships.
 *
 * Transport (issue #16, item 7): bodies are gzipped; a batch whose body would exceed the endpoint's limit, or that
 * the endpoint answers 413, is split in two (the second half carries its `offset` in the window, so observation ids
 * stay those of the unsplit window) and both halves are sent; only an authentication failure (401/403) is permanent,
 * everything else is retried with the queue bound keeping memory in check.
 */
import { gzipSync } from 'node:zlib';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { NodeAgentBatch } from '../lib/core/sources/node-agent.ts';

/**
 * `ok`: stored; `retry`: transient (network, 5xx, throttling, any 4xx but auth), keep it queued; `too-large`: split
 * it and send the halves; `reject`: permanent (authentication refused, or one record alone too large), drop and count.
 */
export type SendResult = { status: 'ok' } | { status: 'retry' | 'reject' | 'too-large'; detail: string };

export interface BatchSink {
  send(batch: NodeAgentBatch): Promise<SendResult>;
}

export interface ShipperStats {
  queued: number;
  sent: number;
  droppedBatches: number;
  retries: number;
  /** Batches split in two because their body was over the endpoint's limit. */
  splits: number;
  lastError?: string;
}

/**
 * The two halves of a batch: the second carries its offset in the window (observation ids depend on the record's
 * position in the window, so they are the ids the unsplit batch would have given); the drops go with the first.
 */
export function splitBatch(b: NodeAgentBatch): [NodeAgentBatch, NodeAgentBatch] {
  const half = Math.ceil(b.records.length / 2);
  const offset = b.offset ?? 0;
  return [
    { ...b, records: b.records.slice(0, half), ...(offset ? { offset } : {}) },
    { ...b, drops: {}, records: b.records.slice(half), offset: offset + half },
  ];
}

export class BatchShipper {
  #queue: NodeAgentBatch[] = [];
  /** Drops not yet reported in a shipped batch. */
  #pendingDrops: Record<string, number> = {};
  #stats: ShipperStats = { queued: 0, sent: 0, droppedBatches: 0, retries: 0, splits: 0 };
  #draining: Promise<void> | undefined;

  constructor(
    readonly sink: BatchSink,
    readonly opts: { maxQueue?: number } = {},
  ) {}

  #dropBatch(b: NodeAgentBatch, reason: string): void {
    this.#stats.droppedBatches++;
    this.#pendingDrops[reason] = (this.#pendingDrops[reason] ?? 0) + b.records.length;
    for (const [r, n] of Object.entries(b.drops)) this.#pendingDrops[r] = (this.#pendingDrops[r] ?? 0) + n;
  }

  enqueue(batch: NodeAgentBatch): void {
    this.#queue.push(batch);
    this.#evict();
  }

  #evict(): void {
    while (this.#queue.length > (this.opts.maxQueue ?? 60)) this.#dropBatch(this.#queue.shift()!, 'queue_full');
    this.#stats.queued = this.#queue.length;
  }

  /** Sends queued batches in order until the queue is empty or the sink asks to retry later. */
  drain(): Promise<void> {
    this.#draining ??= this.#drain().finally(() => {
      this.#draining = undefined;
    });
    return this.#draining;
  }

  async #drain(): Promise<void> {
    while (this.#queue.length) {
      // Taken out while in flight, so an eviction by a concurrent enqueue cannot hit the batch being sent.
      const head = this.#queue.shift()!;
      const pending = { ...this.#pendingDrops };
      const withDrops: NodeAgentBatch = { ...head, drops: { ...head.drops } };
      for (const [r, n] of Object.entries(pending)) withDrops.drops[r] = (withDrops.drops[r] ?? 0) + n;
      let res: SendResult;
      try {
        res = await this.sink.send(withDrops);
      } catch (e) {
        res = { status: 'retry', detail: e instanceof Error ? e.message : String(e) };
      }
      if (res.status === 'retry') {
        this.#stats.retries++;
        this.#stats.lastError = res.detail;
        this.#queue.unshift(head);
        this.#evict();
        break;
      }
      if (res.status === 'too-large' && head.records.length > 1) {
        // Both halves go back to the front, in order; the pending drops ride with the next send as before.
        this.#stats.splits++;
        this.#queue.unshift(...splitBatch(head));
        continue;
      }
      // The pending drops went out with this batch (or, on reject, are re-counted with it below).
      for (const [r, n] of Object.entries(pending)) {
        const left = (this.#pendingDrops[r] ?? 0) - n;
        if (left > 0) this.#pendingDrops[r] = left;
        else delete this.#pendingDrops[r];
      }
      if (res.status === 'ok') this.#stats.sent++;
      else {
        this.#stats.lastError = res.detail;
        // Refused by the endpoint: its records and every drop it carried are reported with the next batch.
        this.#dropBatch(withDrops, res.status === 'too-large' ? 'record_too_large' : 'endpoint_rejected');
      }
    }
    this.#stats.queued = this.#queue.length;
  }

  /** Drop counts waiting to be reported (after a rejected or evicted batch). */
  pendingDrops(): Record<string, number> {
    return { ...this.#pendingDrops };
  }

  stats(): ShipperStats {
    return { ...this.#stats, queued: this.#queue.length };
  }
}

export interface HttpSinkOptions {
  /** Ingestion endpoint URL (API Gateway / Lambda function URL). */
  endpoint: string;
  region: string;
  /** SigV4 service name: `lambda` for the stack's function URL (default), `execute-api` behind API Gateway. */
  service?: string;
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  timeoutMs?: number;
  /** Gzip the JSON body (default true; the endpoint detects gzip by its magic bytes). */
  gzip?: boolean;
  /**
   * Largest body posted, in bytes after compression: the endpoint's MAX_PAYLOAD_BYTES (default 1 MiB) less room for
   * the base64 the function URL applies to a binary body. A larger batch is answered `too-large` without a request.
   */
  maxBodyBytes?: number;
  /** Largest JSON before compression: under the endpoint's decompression cap (default 32 x 1 MiB). */
  maxJsonBytes?: number;
}

/** The default body limit: a 1 MiB endpoint cap reached after base64 (4/3), with a margin. */
export const DEFAULT_MAX_BODY_BYTES = 700 * 1024;
export const DEFAULT_MAX_JSON_BYTES = 24 * 1024 * 1024;

/**
 * A batch's request body: gzipped JSON (the endpoint detects gzip by its magic bytes) under a binary content type, so
 * the function URL hands it to the handler base64-encoded, byte for byte; or plain JSON.
 */
export function encodeBody(
  batch: NodeAgentBatch | string,
  gzip: boolean,
): { body: string | Uint8Array; contentType: string } {
  const json = typeof batch === 'string' ? batch : JSON.stringify(batch);
  return gzip
    ? { body: gzipSync(json), contentType: 'application/gzip' }
    : { body: json, contentType: 'application/json' };
}

/** Posts batches as gzipped JSON to the ingestion endpoint, signed with SigV4. */
export function httpSink(opts: HttpSinkOptions): BatchSink {
  const signer = new SignatureV4({
    credentials: opts.credentials,
    region: opts.region,
    service: opts.service ?? 'lambda',
    sha256: Sha256,
  });
  const url = new URL(opts.endpoint);
  return {
    async send(batch) {
      const json = JSON.stringify(batch);
      const maxJson = opts.maxJsonBytes ?? DEFAULT_MAX_JSON_BYTES;
      if (json.length > maxJson && Buffer.byteLength(json) > maxJson)
        return { status: 'too-large', detail: `JSON body over ${maxJson} bytes before compression` };
      const { body, contentType } = encodeBody(json, opts.gzip ?? true);
      const max = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
      const size = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
      if (size > max) return { status: 'too-large', detail: `body of ${size} bytes over ${max}` };
      const query: Record<string, string> = {};
      url.searchParams.forEach((v, k) => {
        query[k] = v;
      });
      const signed = await signer.sign({
        method: 'POST',
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path: url.pathname,
        query,
        headers: { host: url.host, 'content-type': contentType },
        body,
      });
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: signed.headers,
          body,
          signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000),
        });
      } catch (e) {
        return { status: 'retry', detail: e instanceof Error ? e.message : String(e) };
      }
      const text = await res.text().catch(() => '');
      if (res.ok) return { status: 'ok' };
      const detail = `HTTP ${res.status}: ${text.slice(0, 200)}`;
      if (res.status === 413) return { status: 'too-large', detail };
      // Only a refused identity is permanent: anything else (a throttle, a deploy in progress, a bad gateway) may pass.
      return res.status === 401 || res.status === 403 ? { status: 'reject', detail } : { status: 'retry', detail };
    },
  };
}
