/**
 * The loader supervisor and the wire protocol, without the kernel: the "loader" here is a small real shell script
 * speaking the protocol, so restart, give-up, backpressure and bad lines are exercised on real processes and pipes.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { LoaderError, startLoader } from '../../../node-agent/loader.ts';
import { loaderCommand, parseLoaderLine, type StreamRecord } from '../../../node-agent/loader-protocol.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-fake-loader-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const READY =
  '{"type":"ready","v":1,"ts":1,"pid":1,"features":{"fentry":false,"lsm":false,"tpBtf":true},"programs":[],"cgroupRoot":"/x","dedupWindowMs":1,"syscallIntervalMs":1}';

function fakeLoader(name: string, body: string): string {
  const p = join(dir, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
}

async function drain(it: AsyncIterable<StreamRecord>): Promise<StreamRecord[]> {
  const out: StreamRecord[] = [];
  for await (const r of it) out.push(r);
  return out;
}

describe('loader supervisor', () => {
  it('fails with what to build when the loader binary is missing', async () => {
    const l = startLoader({ binary: join(dir, 'nope') });
    await expect(l.ready()).rejects.toThrow(/make -C bpf/);
    expect(l.failure).toBeInstanceOf(LoaderError);
    expect(await drain(l)).toEqual([]);
  });

  it('restarts a dying loader with doubling backoff, passes the watched cgroups, then gives up', async () => {
    const bin = fakeLoader('dies', `echo '${READY}'; echo "args: $*" >&2; exit 3`);
    const l = startLoader({
      binary: bin,
      watch: [{ cgroupId: '42', countSyscalls: true }, { cgroupId: '7' }],
      restart: { initialMs: 10, maxMs: 1000, maxAttempts: 3 },
    });
    const records = await drain(l);
    const exits = records.filter((r) => r.type === 'loader-exit');
    expect(exits.map((r) => r.restartInMs)).toEqual([10, 20, 40, null]);
    expect(exits.every((r) => r.code === 3)).toBe(true);
    expect(exits[0]!.stderrTail).toContain('args: --count 42 --watch 7');
    expect(records.filter((r) => r.type === 'ready')).toHaveLength(4);
    expect(l.failure?.message).toMatch(/exited \(code 3, signal null\) 4 times; giving up/);
  });

  it('reports a malformed line as a protocol-error record and keeps going', async () => {
    const bin = fakeLoader('bad', `echo '${READY}'; echo 'not json'; echo '{"type":"exec","v":1}'; read x`);
    const l = startLoader({ binary: bin });
    await l.ready();
    const it = l[Symbol.asyncIterator]();
    const seen: StreamRecord[] = [];
    while (seen.filter((r) => r.type === 'protocol-error').length < 2) seen.push((await it.next()).value);
    await l.close();
    const errors = seen.filter((r) => r.type === 'protocol-error');
    expect(errors.map((e) => e.error)).toEqual([
      expect.stringMatching(/^invalid JSON/),
      expect.stringMatching(/^schema: /),
    ]);
  });

  it('applies backpressure instead of dropping: a slow consumer still gets every record in order', async () => {
    const n = 20_000;
    const bin = fakeLoader(
      'flood',
      `echo '${READY}'; i=0; while [ $i -lt ${n} ]; do echo "{\\"type\\":\\"warn\\",\\"v\\":1,\\"ts\\":1,\\"message\\":\\"$i\\"}"; i=$((i+1)); done; read x`,
    );
    const l = startLoader({ binary: bin, queueHighWater: 100 });
    await l.ready();
    let got = 0;
    let inOrder = true;
    for await (const r of l) {
      if (r.type !== 'warn') continue;
      if (r.message !== String(got)) inOrder = false;
      got++;
      if (got % 1000 === 0) await new Promise((res) => setTimeout(res, 1));
      if (got === n) break; // break calls return(), which closes the loader
    }
    expect(got).toBe(n);
    expect(inOrder).toBe(true);
  });

  it('sends commands as lines on stdin and resolves each with its ack', async () => {
    // Echoes every command back as an ack naming it.
    const bin = fakeLoader(
      'acks',
      `echo '${READY}'; while read cmd; do echo "{\\"type\\":\\"ack\\",\\"v\\":1,\\"ts\\":1,\\"cmd\\":\\"$cmd\\",\\"ok\\":true}"; [ "$cmd" = quit ] && exit 0; done`,
    );
    const l = startLoader({ binary: bin });
    await l.ready();
    expect((await l.watch('12', { countSyscalls: true })).cmd).toBe('watch 12 count');
    expect((await l.setCounting('12', false)).cmd).toBe('count 12 off');
    expect((await l.unwatch('12')).cmd).toBe('unwatch 12');
    expect((await l.flush()).cmd).toBe('flush');
    expect(l.watchedCgroups()).toEqual([]);
    await l.close();
    const tail = await drain(l);
    expect(tail.at(-1)).toMatchObject({ type: 'loader-exit', code: 0, restartInMs: null });
  });
});

describe('loader protocol', () => {
  it('never throws on arbitrary input lines', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (s) => {
        const r = parseLoaderLine(s);
        expect(typeof r.ok).toBe('boolean');
      }),
    );
  });

  it('accepts the records the loader prints and rejects a wrong version or a numeric cgroup id', () => {
    const open =
      '{"type":"open","v":1,"ts":1795840107601.191,"pid":15715,"cgroupId":"58","comm":"cat","path":"/etc/ld.so.cache","pathSource":"absolute","dirfd":-100,"flags":524288,"ret":3}';
    expect(parseLoaderLine(open)).toMatchObject({ ok: true, record: { type: 'open', cgroupId: '58' } });
    expect(parseLoaderLine(open.replace('"v":1', '"v":2')).ok).toBe(false);
    expect(parseLoaderLine(open.replace('"58"', '58')).ok).toBe(false);
  });

  it('serializes commands and refuses a cgroup id that is not a decimal u64', () => {
    expect(loaderCommand({ cmd: 'watch', cgroupId: '58', countSyscalls: true })).toBe('watch 58 count\n');
    expect(loaderCommand({ cmd: 'count', cgroupId: '58', on: false })).toBe('count 58 off\n');
    fc.assert(
      fc.property(
        fc.string().filter((s) => !/^\d{1,20}$/.test(s)),
        (s) => {
          expect(() => loaderCommand({ cmd: 'unwatch', cgroupId: s })).toThrow();
        },
      ),
    );
  });
});
