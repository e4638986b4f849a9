import { describe, expect, it } from 'vitest';
import { chunkEntries, EventPublishError, entrySize, MAX_REQUEST_BYTES } from '../../../lib/adapters/eventbridge.ts';

const entry = (bytes: number) => ({ Source: 'warden', DetailType: 'Warden Drift Detected', Detail: 'x'.repeat(bytes) });

describe('EventBridge chunking', () => {
  it('puts at most 10 entries in a call', () => {
    expect(chunkEntries(Array.from({ length: 25 }, () => entry(10))).map((c) => c.length)).toEqual([10, 10, 5]);
  });

  it('keeps each call under 256 KiB', () => {
    const chunks = chunkEntries(Array.from({ length: 5 }, () => entry(100_000)));
    expect(chunks.map((c) => c.length)).toEqual([2, 2, 1]);
    for (const c of chunks) expect(c.reduce((n, e) => n + entrySize(e), 0)).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
  });

  it('refuses one event larger than the limit', () => {
    expect(() => chunkEntries([entry(MAX_REQUEST_BYTES)])).toThrow(EventPublishError);
  });
});
