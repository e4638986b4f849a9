/**
 * A tracer with no batch record of its own (a new kernel event type) ships `kernel-event` records through
 * WindowContext.event, and the control plane's parser stores them without a change of its own. The tracer table is
 * replaced here by one with a TypeScript `fork` tracer of its own (a type with its own record that still ships
 * kernel-event records); generic C-only tracers go through ./event-tracer.test.ts's path.
 */
import { describe, expect, it, vi } from 'vitest';
import { noIdentity } from '../../../lib/core/identity/types.ts';
import { nodeAgentParser } from '../../../lib/core/sources/node-agent.ts';
import { WindowAggregator } from '../../../node-agent/aggregate.ts';
import type { LoaderRecord } from '../../../node-agent/loader-protocol.ts';
import type { WindowContext } from '../../../node-agent/tracers/tracer.ts';

interface ForkRecord {
  type: 'fork';
  ts: number;
  comm: string;
  child: number;
}

vi.mock('../../../node-agent/tracers/index.ts', async (original) => {
  const real = await original<typeof import('../../../node-agent/tracers/index.ts')>();
  return {
    ...real,
    isTraced: (r: { type: string }) => r.type === 'fork' || real.isTraced(r),
    aggregateTraced: (r: LoaderRecord | ForkRecord, w: WindowContext) => {
      if (r.type !== 'fork') return real.aggregateTraced(r as Parameters<typeof real.aggregateTraced>[0], w);
      if (r.child === 0) {
        w.drop('fork_unknown_child');
        return true;
      }
      w.event(r.comm, { comm: r.comm, child: r.child });
      return true;
    },
  };
});

const A = { cgroupId: '101', namespace: 'support', pod: 'support-agent-7d9f8b6c5d-x2x9q', deployment: 'support-agent' };
const ts = Date.parse('2026-11-28T10:00:10Z');
const fork = (comm: string, child: number) => ({ type: 'fork', ts, comm, child }) as unknown as LoaderRecord;

describe('a new tracer shipping kernel-event records', () => {
  it('counts one record per distinct key of its kind, and the parser stores kernel:<kind>:<key>', () => {
    const agg = new WindowAggregator({ node: 'n1', cluster: 'prod', version: '0.1.0' });
    agg.add(fork('sh', 11), A);
    agg.add(fork('sh', 12), A);
    agg.add(fork('python3', 13), A);
    agg.add(fork('sh', 0), A);
    const batch = agg.flush('2026-11-28T10:00:00.000Z', '2026-11-28T10:01:00.000Z');
    expect(batch.records).toEqual([
      expect.objectContaining({
        type: 'kernel-event',
        kind: 'fork',
        key: 'sh',
        count: 2,
        attrs: { comm: 'sh', child: 11 },
      }),
      expect.objectContaining({ type: 'kernel-event', kind: 'fork', key: 'python3', count: 1 }),
    ]);
    expect(batch.drops).toMatchObject({ fork_unknown_child: 1 });
    const r = nodeAgentParser.parse(
      { text: JSON.stringify(batch) },
      { identity: noIdentity, promptContent: 'hash-only', excerptChars: 0 },
    );
    expect(r.rejects).toEqual([]);
    expect(r.observations.filter((o) => o.kind === 'kernel').map((o) => [o.subject, o.key, o.count])).toEqual([
      ['k8s:prod/support/support-agent', 'kernel:fork:sh', 2],
      ['k8s:prod/support/support-agent', 'kernel:fork:python3', 1],
    ]);
  });
});
