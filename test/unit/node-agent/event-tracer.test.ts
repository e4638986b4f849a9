/**
 * The generic event tracer (node-agent/tracers/event.ts): a loader `event` record, printed by a C tracer's decoder
 * with bpf/emit.h's event_begin (no TypeScript of its own), is parsed, folded per distinct (kind, key) and stored by
 * the control plane's parser as kernel:<kind>:<key>. Its bounds are the parser's own.
 */
import { describe, expect, it } from 'vitest';
import { noIdentity } from '../../../lib/core/identity/types.ts';
import { nodeAgentParser } from '../../../lib/core/sources/node-agent.ts';
import { WindowAggregator } from '../../../node-agent/aggregate.ts';
import { parseLoaderLine } from '../../../node-agent/loader-protocol.ts';

const A = { cgroupId: '101', namespace: 'support', pod: 'support-agent-7d9f8b6c5d-x2x9q', deployment: 'support-agent' };
const ts = Date.parse('2026-11-28T10:00:10Z');
const line = (fields: Record<string, unknown>) =>
  JSON.stringify({ type: 'event', v: 1, ts, kind: 'fork', pid: 7, cgroupId: '101', key: 'sh', ...fields });

describe('generic kernel event records', () => {
  it('are folded per (kind, key) and stored as kernel:<kind>:<key>', () => {
    const agg = new WindowAggregator({ node: 'n1', cluster: 'prod', version: '0.1.0' });
    for (const l of [
      line({ attrs: { childPid: 11 } }),
      line({ attrs: { childPid: 12 } }),
      line({ key: 'python3' }),
      line({ kind: 'mount', key: '/proc' }),
    ]) {
      const p = parseLoaderLine(l);
      if (!p.ok) throw new Error(p.error);
      agg.add(p.record, A);
    }
    const batch = agg.flush('2026-11-28T10:00:00.000Z', '2026-11-28T10:01:00.000Z');
    expect(batch.records).toEqual([
      expect.objectContaining({ type: 'kernel-event', kind: 'fork', key: 'sh', count: 2, attrs: { childPid: 11 } }),
      expect.objectContaining({ type: 'kernel-event', kind: 'fork', key: 'python3', count: 1 }),
      expect.objectContaining({ type: 'kernel-event', kind: 'mount', key: '/proc', count: 1 }),
    ]);
    const r = nodeAgentParser.parse(
      { text: JSON.stringify(batch) },
      { identity: noIdentity, promptContent: 'hash-only', excerptChars: 0 },
    );
    expect(r.rejects).toEqual([]);
    expect(r.observations.filter((o) => o.kind === 'kernel').map((o) => [o.key, o.count])).toEqual([
      ['kernel:fork:sh', 2],
      ['kernel:fork:python3', 1],
      ['kernel:mount:/proc', 1],
    ]);
  });

  it.each([
    ['a kind that is not a tracer name', { kind: 'Fork!' }],
    ['an empty key', { key: '' }],
    ['a key over 1,024 characters', { key: 'x'.repeat(1025) }],
    ['a bad attribute name', { attrs: { 'child pid': 1 } }],
    ['more than 16 attributes', { attrs: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`a${i}`, i])) }],
    ['an object attribute', { attrs: { nested: { a: 1 } } }],
    ['no cgroup', { cgroupId: undefined }],
  ])('refuses %s', (_, fields) => {
    expect(parseLoaderLine(line(fields)).ok).toBe(false);
  });
});
