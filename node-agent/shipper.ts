/**
 * Ships node-agent batches: a bounded queue in front of a sink (the SigV4-signed ingestion endpoint on EKS, the local
 * store in `warden agent watch`). When the queue is full the oldest batch is dropped; what it carried is never lost
 * silently: its record count (as `queue_full`) and its own drop counters are added to the next batch that ships.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { NodeAgentBatch } from '../lib/core/sources/node-agent.ts';

/** `ok`: stored; `retry`: transient (network, 5xx, throttling), keep it queued; `reject`: permanent (4xx), drop and count. */
export type SendResult = { status: 'ok' } | { status: 'retry' | 'reject'; detail: string };

export interface BatchSink {
  send(batch: NodeAgentBatch): Promise<SendResult>;
}

export interface ShipperStats {
  queued: number;
  sent: number;
  droppedBatches: number;
  retries: number;
  lastError?: string;
}

export class BatchShipper {
  #queue: NodeAgentBatch[] = [];
  /** Drops not yet reported in a shipped batch. */
  #pendingDrops: Record<string, number> = {};
  #stats: ShipperStats = { queued: 0, sent: 0, droppedBatches: 0, retries: 0 };
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
        this.#dropBatch(withDrops, 'endpoint_rejected');
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
}

/** Posts batches as JSON to the ingestion endpoint, signed with SigV4. */
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
      const body = JSON.stringify(batch);
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
        headers: { host: url.host, 'content-type': 'application/json' },
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
      return res.status === 429 || res.status >= 500 ? { status: 'retry', detail } : { status: 'reject', detail };
    },
  };
}
