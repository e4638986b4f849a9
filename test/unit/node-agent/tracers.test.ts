import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseLoaderLine } from '../../../node-agent/loader-protocol.ts';
import { TRACERS } from '../../../node-agent/tracers/index.ts';

const tracerDir = fileURLToPath(new URL('../../../bpf/tracers/', import.meta.url));
/** Record types the loader reads from elsewhere than the ring buffer (per-CPU counters, the audit socket). */
const NOT_RING_BUFFER = ['syscalls', 'seccomp', 'event'];

describe('tracer table', () => {
  it('has one TypeScript tracer for every kernel tracer in bpf/tracers/ with a record of its own, and no other ring-buffer type', () => {
    const kernel = readdirSync(tracerDir)
      .filter((f) => f.endsWith('.c'))
      .map((f) => readFileSync(tracerDir + f, 'utf8'))
      // A tracer whose decoder prints generic `event` records needs no TypeScript (./event.ts ships it).
      .filter((c) => !c.includes('event_begin('))
      .flatMap((c) => [...c.matchAll(/^WARDEN_TRACER\((\w+),/gm)].map((m) => m[1]));
    expect(kernel.sort()).toEqual(
      Object.keys(TRACERS)
        .filter((t) => !NOT_RING_BUFFER.includes(t))
        .sort(),
    );
  });

  it('routes each record type to its own schema', () => {
    for (const [type, t] of Object.entries(TRACERS)) {
      expect(t.type).toBe(type);
      // A record of another type's shape is refused by this tracer's schema.
      expect(t.schema.safeParse({ type: type === 'exec' ? 'exit' : 'exec', v: 1, ts: 0 }).success).toBe(false);
    }
    const exit = '{"type":"exit","v":1,"ts":1.5,"pid":3,"ppid":1,"cgroupId":"42","comm":"sh","exitCode":256}';
    expect(parseLoaderLine(exit)).toMatchObject({ ok: true, record: { type: 'exit', exitCode: 256 } });
    expect(parseLoaderLine(exit.replace('"exit"', '"nope"')).ok).toBe(false);
  });

  it('takes a ring-buffer drop counter for each tracer (of the table or a generic kind) and no other reason', () => {
    const drops = (counts: Record<string, number>) =>
      JSON.stringify({ type: 'drops', v: 1, ts: 1, counts, suppressed: { open: 0, connect: 0 }, emitted: 1 });
    for (const type of Object.keys(TRACERS)) expect(parseLoaderLine(drops({ [`ringbuf_${type}`]: 2 })).ok).toBe(true);
    expect(parseLoaderLine(drops({ open_pending_full: 1, user_decode: 0 })).ok).toBe(true);
    // A generic tracer's drops are named by its kind (bpf/tracers/<kind>.c), which the table does not list.
    expect(parseLoaderLine(drops({ ringbuf_fork: 1 })).ok).toBe(true);
    expect(parseLoaderLine(drops({ ringbuf_: 1 })).ok).toBe(false);
    expect(parseLoaderLine(drops({ 'ringbuf_Fork!': 1 })).ok).toBe(false);
    expect(parseLoaderLine(drops({ nope: 1 })).ok).toBe(false);
  });
});
