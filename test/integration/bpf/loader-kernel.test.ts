/**
 * Loads the Warden eBPF programs into the running kernel (through the supervised libbpf loader) and observes a
 * real workload in its own cgroup2 directory. No mocks: if the kernel cannot load BPF, these tests fail and say
 * what is missing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoader } from '../../../node-agent/loader.ts';
import type {
  ConnectRecord,
  DnsRecord,
  DropsRecord,
  ExecRecord,
  ExitRecord,
  OpenRecord,
  ReadyRecord,
  StreamRecord,
  SyscallsRecord,
} from '../../../node-agent/loader-protocol.ts';
import { type DnsServer, startDnsServer } from './dns-server.ts';
import { assertKernelPrerequisites, type Collected, collect, makeCgroup, runInCgroup } from './harness.ts';

const WORKLOAD = fileURLToPath(new URL('./workload.mjs', import.meta.url));
const KNOWN_FILE = fileURLToPath(new URL('./fixtures/known-file.txt', import.meta.url));
const QNAME = 'warden-kernel-test.example';

const is =
  <T extends StreamRecord['type']>(type: T, pred: (r: Extract<StreamRecord, { type: T }>) => boolean = () => true) =>
  (r: StreamRecord): r is Extract<StreamRecord, { type: T }> =>
    r.type === type && pred(r as Extract<StreamRecord, { type: T }>);

describe('eBPF programs in the kernel', () => {
  let watchedCg: ReturnType<typeof makeCgroup>;
  let otherCg: ReturnType<typeof makeCgroup>;
  let c: Collected;
  let dns: DnsServer;
  let tcp: Server;
  let tcpPort: number;
  let ready: ReadyRecord;

  const workload = (cgPath: string) =>
    runInCgroup(cgPath, [process.execPath, WORKLOAD, KNOWN_FILE, String(tcpPort), String(dns.port), QNAME]);

  beforeAll(async () => {
    assertKernelPrerequisites();
    watchedCg = makeCgroup('warden-bpf-test');
    otherCg = makeCgroup('warden-bpf-other');
    dns = await startDnsServer();
    tcp = createServer((s) => s.end());
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    tcpPort = (tcp.address() as { port: number }).port;
    c = collect({
      watch: [{ cgroupId: watchedCg.id, countSyscalls: true }],
      dnsPort: dns.port,
      dedupMs: 60_000,
      intervalMs: 200,
      restart: { initialMs: 50, maxMs: 500 },
    });
    ready = await c.loader.ready();
  });

  afterAll(async () => {
    await c?.close();
    await dns?.close();
    await new Promise((r) => (tcp ? tcp.close(r) : r(undefined)));
    watchedCg?.remove();
    otherCg?.remove();
  });

  it('loads every program and reports the optional kernel features it probed', () => {
    expect(ready.programs).toEqual(expect.arrayContaining(['handle_exec', 'handle_exit', 'connect4', 'dns_egress']));
    expect(typeof ready.features.fentry).toBe('boolean');
    expect(typeof ready.features.lsm).toBe('boolean');
    // Where fentry works the loader takes the fexit open program and, on kernels with x64_sys_call, the fentry
    // counter: neither sets the syscall tracepoint flag that slows every syscall of the machine.
    if (ready.features.fentry) expect(ready.programs).toContain('handle_open_fexit');
    else if (ready.features.tpBtf)
      expect(ready.programs).toContain('handle_sys_exit'); // counts too
    else expect(ready.programs).toEqual(expect.arrayContaining(['handle_openat_enter', 'count_syscall_compat']));
  });

  it('sees exec, open, connect and DNS of a process in a watched cgroup, attributed to that cgroup', async () => {
    // An unwatched cgroup first: the ring buffer is ordered, so once the watched run shows up, anything of the
    // unwatched run would already be there.
    const other = await workload(otherCg.path);
    expect(other.code, other.stderr).toBe(0);
    const run = await workload(watchedCg.path);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ addrs: ['10.11.12.13'] });
    const cg = watchedCg.id;

    const exec = await c.waitFor<ExecRecord>(
      'exec of /bin/cat',
      is('exec', (r) => r.cgroupId === cg && r.filename === '/bin/cat'),
    );
    expect(exec.argv).toEqual(['/bin/cat', KNOWN_FILE]);
    expect(exec.argvTruncated).toBe(false);

    const open = await c.waitFor<OpenRecord>(
      'open of the known file',
      is('open', (r) => r.path === KNOWN_FILE),
    );
    expect(open).toMatchObject({ cgroupId: cg, pathSource: 'absolute', flags: expect.any(Number) });
    expect(open.ret).toBeGreaterThanOrEqual(0);

    const conn = await c.waitFor<ConnectRecord>(
      'connect',
      is('connect', (r) => r.dport === tcpPort),
    );
    expect(conn).toMatchObject({ cgroupId: cg, family: 'inet', protocol: 'tcp', daddr: '127.0.0.1' });

    const q = await c.waitFor<DnsRecord>(
      'dns',
      is('dns', (r) => r.qname === QNAME),
    );
    expect(q).toMatchObject({ cgroupId: cg, qtype: 1, daddr: '127.0.0.1', dport: dns.port });
    expect(dns.queries).toContain(QNAME);

    const exit = await c.waitFor<ExitRecord>(
      'exit of cat',
      is('exit', (r) => r.pid === exec.pid),
    );
    expect(exit).toMatchObject({ cgroupId: cg, exitCode: 0 });

    const behavior = c.records.filter((r) => ['exec', 'exit', 'open', 'connect', 'dns'].includes(r.type));
    expect(behavior.filter((r) => 'cgroupId' in r && r.cgroupId === otherCg.id)).toEqual([]);
    expect(behavior.every((r) => 'cgroupId' in r && r.cgroupId === cg)).toBe(true);
    expect(c.records.filter((r) => r.type === 'protocol-error')).toEqual([]);
  });

  it('de-duplicates repeat opens in the kernel and ships the suppression count', async () => {
    const opens = c.records.filter(is('open', (r) => r.path === KNOWN_FILE));
    // cat opens it once, node twice more: one record (the window is 60 s), the rest suppressed and counted.
    expect(opens).toHaveLength(1);
    await c.loader.flush();
    const drops = await c.waitFor<DropsRecord>(
      'drops',
      is('drops', (r) => r.suppressed.open > 0),
    );
    expect(drops.counts.ringbuf_open).toBe(0);
  });

  it('counts syscalls per cgroup in the kernel and switches counting off at run time', async () => {
    await c.loader.flush();
    const cg = watchedCg.id;
    const sys = await c.waitFor<SyscallsRecord>(
      'syscalls',
      is('syscalls', (r) => r.cgroupId === cg),
    );
    const all = c.records.filter(is('syscalls', (r) => r.cgroupId === cg)).flatMap((r) => r.counts);
    const names = new Set(all.map((x) => x.name));
    for (const n of ['execve', 'openat', 'connect', 'read']) expect(names, n).toContain(n);
    expect(sys.counts.every((x) => x.count > 0)).toBe(true);

    const off = c.loader.setCounting(cg, false);
    expect((await off).ok).toBe(true);
    const mark = await c.after(off);
    expect((await workload(watchedCg.path)).code).toBe(0);
    await c.loader.flush();
    await c.waitFor('drops after flush', (r): r is DropsRecord => r.type === 'drops' && c.records.indexOf(r) >= mark);
    // Still watched (events flow), but no counts any more.
    expect(c.records.slice(mark).some(is('exec', (r) => r.cgroupId === cg))).toBe(true);
    expect(c.records.slice(mark).filter(is('syscalls', (r) => r.cgroupId === cg))).toEqual([]);
    expect((await c.loader.setCounting(cg, true)).ok).toBe(true);
  });

  it('rejects a command for a cgroup that is not watched, as a value', async () => {
    const ack = await c.loader.setCounting('987654321', true);
    expect(ack).toMatchObject({ ok: false, error: expect.stringMatching(/No such file/) });
  });

  it('restarts a killed loader with backoff and re-applies the watched cgroups', async () => {
    const start = c.records.findLast(is('loader-start'));
    expect(start).toBeDefined();
    const mark = c.records.length;
    process.kill(start!.pid, 'SIGKILL');
    const exit = await c.waitFor('loader-exit', (r): r is Extract<StreamRecord, { type: 'loader-exit' }> => {
      return r.type === 'loader-exit' && c.records.indexOf(r) >= mark;
    });
    expect(exit).toMatchObject({ signal: 'SIGKILL', restartInMs: 50 });
    await c.waitFor('ready after restart', (r): r is ReadyRecord => r.type === 'ready' && c.records.indexOf(r) >= mark);
    expect(c.loader.watchedCgroups()).toEqual([{ cgroupId: watchedCg.id, countSyscalls: true }]);
    expect((await workload(watchedCg.path)).code).toBe(0);
    await c.waitFor<ExecRecord>(
      'exec after restart',
      (r): r is ExecRecord => r.type === 'exec' && r.cgroupId === watchedCg.id && c.records.indexOf(r) >= mark,
    );
  });

  it('stops observing a cgroup after unwatch', async () => {
    const unwatch = c.loader.unwatch(watchedCg.id);
    expect((await unwatch).ok).toBe(true);
    const mark = await c.after(unwatch);
    expect((await workload(watchedCg.path)).code).toBe(0);
    await c.loader.flush();
    await c.waitFor('drops after flush', (r): r is DropsRecord => r.type === 'drops' && c.records.indexOf(r) >= mark);
    const after = c.records.slice(mark).filter((r) => 'cgroupId' in r && r.cgroupId === watchedCg.id);
    expect(after).toEqual([]);
  });
});

describe('opens through every open syscall (the sys_exit program)', () => {
  it('sees open(2), creat(2), openat(2) and openat2(2) with their flags and results', async () => {
    assertKernelPrerequisites();
    const cg = makeCgroup('warden-bpf-opens');
    const c = collect({ watch: [{ cgroupId: cg.id }], noFentry: true, intervalMs: 200 });
    const dir = mkdtempSync(join(tmpdir(), 'warden-opens-'));
    try {
      const ready = await c.loader.ready();
      expect(ready.programs).toContain('handle_sys_exit');
      // Raw syscalls through libc's syscall(), so each variant really is the syscall named (x86-64 numbers).
      const py = [
        'import ctypes, os, sys',
        'libc = ctypes.CDLL(None, use_errno=True)',
        'd = sys.argv[1]',
        'class How(ctypes.Structure): _fields_ = [("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64), ("resolve", ctypes.c_uint64)]',
        'how = How(os.O_RDONLY, 0, 0)',
        'r = [libc.syscall(2, (d + "/via-open").encode(), os.O_RDONLY | os.O_CREAT, 0o600),',
        '     libc.syscall(85, (d + "/via-creat").encode(), 0o600),',
        '     libc.syscall(257, -100, (d + "/via-openat").encode(), os.O_RDONLY | os.O_CREAT, 0o600),',
        '     libc.syscall(437, -100, (d + "/via-open").encode(), ctypes.byref(how), ctypes.sizeof(how))]',
        'print(r)',
      ].join('\n');
      const run = await runInCgroup(cg.path, ['/usr/bin/python3', '-c', py, dir]);
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout).every((fd: number) => fd >= 0)).toBe(true);
      for (const name of ['via-creat', 'via-openat']) {
        const r = await c.waitFor<OpenRecord>(
          name,
          is('open', (o) => o.path === join(dir, name)),
        );
        expect(r).toMatchObject({ cgroupId: cg.id, pathSource: 'absolute' });
        expect(r.ret).toBeGreaterThanOrEqual(0);
      }
      // via-open: opened twice (open(2) with O_CREAT, then openat2(2)): one record, the repeat suppressed.
      const viaOpen = await c.waitFor<OpenRecord>(
        'via-open',
        is('open', (o) => o.path === join(dir, 'via-open')),
      );
      expect(viaOpen.flags & 0o100).toBe(0o100); // O_CREAT of open(2), the first of the two
      const creat = c.records.find(is('open', (o) => o.path === join(dir, 'via-creat')))!;
      expect(creat.flags & 0o1101).toBe(0o1101); // creat(2) is open(O_CREAT | O_WRONLY | O_TRUNC)
    } finally {
      await c.close();
      rmSync(dir, { recursive: true, force: true });
      cg.remove();
    }
  });
});

describe('programs for kernels without tp_btf (raw_tp counter, openat tracepoint pair)', () => {
  it('see opens and count the syscalls of a watched cgroup', async () => {
    assertKernelPrerequisites();
    const cg = makeCgroup('warden-bpf-compat');
    const c = collect({ watch: [{ cgroupId: cg.id, countSyscalls: true }], compatCount: true, intervalMs: 200 });
    try {
      const ready = await c.loader.ready();
      expect(ready.programs).toEqual(
        expect.arrayContaining(['count_syscall_compat', 'handle_openat_enter', 'handle_openat_exit']),
      );
      expect(ready.programs).not.toContain('handle_sys_exit');
      expect((await runInCgroup(cg.path, ['/bin/cat', KNOWN_FILE])).code).toBe(0);
      const open = await c.waitFor<OpenRecord>(
        'open of the known file',
        is('open', (r) => r.path === KNOWN_FILE && r.cgroupId === cg.id),
      );
      expect(open.ret).toBeGreaterThanOrEqual(0);
      await c.loader.flush();
      const sys = await c.waitFor<SyscallsRecord>(
        'syscalls with execve',
        is('syscalls', (r) => r.cgroupId === cg.id && r.counts.some((x) => x.name === 'execve')),
      );
      expect(sys.counts.find((x) => x.name === 'execve')!.count).toBeGreaterThan(0);
    } finally {
      await c.close();
      cg.remove();
    }
  });
});

describe('no silent drops', () => {
  it('counts every record the kernel could not deliver while the consumer was not reading', async () => {
    assertKernelPrerequisites();
    const cg = makeCgroup('warden-bpf-drops');
    const n = 30_000;
    const prefix = `/nonexistent-warden-${process.pid}-`;
    // 1 MiB ring buffer and a consumer that reads nothing during the burst: the supervisor stops reading stdout,
    // the loader blocks, the ring buffer fills and the kernel must count what it cannot reserve.
    const loader = startLoader({ watch: [{ cgroupId: cg.id }], ringbufMb: 1, queueHighWater: 50 });
    try {
      await loader.ready();
      const burst = `const fs = require('node:fs'); for (let i = 0; i < ${n}; i++) { try { fs.openSync('${prefix}' + i); } catch {} }`;
      expect((await runInCgroup(cg.path, [process.execPath, '-e', burst])).code).toBe(0);
      const flushed = loader.flush();
      let delivered = 0;
      let last: DropsRecord | undefined;
      for await (const r of loader) {
        if (r.type === 'open' && r.path.startsWith(prefix)) delivered++;
        if (r.type === 'drops') last = r;
        if (r.type === 'ack' && r.cmd === 'flush') break; // flush writes its drops record before its ack
      }
      expect((await flushed).ok).toBe(true);
      expect(last).toBeDefined();
      const dropped = last!.counts.ringbuf_open ?? 0;
      expect(dropped).toBeGreaterThan(0);
      expect(delivered).toBeLessThan(n);
      // Every open of the burst was either delivered or counted (other opens of the process may be dropped too).
      expect(delivered + dropped).toBeGreaterThanOrEqual(n);
      expect(last!.counts.open_pending_full).toBe(0);
    } finally {
      await loader.close();
      cg.remove();
    }
  });
});
