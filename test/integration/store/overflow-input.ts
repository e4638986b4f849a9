/**
 * Input that outgrows aggregate packs (lib/adapters/dynamo-store-packs.ts): node-agent batches whose pod runs hundreds
 * of distinct commands with long, incompressible argv in one hour, so the pack of that hour closes part way and later
 * keys go to single items.
 */
import type { CrashInput } from './crash-contract.ts';

/** A seeded stream of base-36 characters (incompressible enough to fill a pack). */
function noise(seed: number, n: number): string {
  let x = seed + 1;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return (x >> 16).toString(36).slice(-1);
  }).join('');
}

/** Ten-minute node-agent batches of one node: `tools` distinct commands each, half of them new in each batch. */
export function nodeBatches(batches: number, tools: number): CrashInput[] {
  return Array.from({ length: batches }, (_, b) => {
    const start = new Date(Date.UTC(2026, 9, 5, 10, b * 10)).toISOString();
    const end = new Date(Date.UTC(2026, 9, 5, 10, b * 10 + 10)).toISOString();
    const records = Array.from({ length: tools }, (_, i) => {
      const tool = b * (tools / 2) + i;
      return {
        type: 'exec',
        time: start,
        path: `/usr/local/bin/tool-${tool}`,
        argv: [`tool-${tool}`, noise(tool, 240)],
        count: 1 + (i % 3),
        attribution: { namespace: 'batch', deployment: 'runner', pod: 'runner-5c9f-x' },
      };
    });
    const batch = {
      schema: 'warden.node-agent/v1',
      agent: { node: 'ip-10-0-0-9', cluster: 'prod', version: '1' },
      window: { start, end },
      records,
    };
    return { path: `node/${start}.json`, bytes: new TextEncoder().encode(JSON.stringify(batch)) };
  });
}
