/**
 * The node agent's local mode end to end, for real: a workload in its own cgroup2 directory execs a binary, opens a
 * known file, connects to a loopback TCP port and sends a DNS query; the eBPF loader observes it; the agent builds
 * node-agent batches attributed to `local:<name>`; the ingest pipeline writes them into the embedded store
 * (dynalite). Needs root, a cgroup2 mount, BTF and `make -C bpf`: when one is missing the test fails saying so.
 */
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../../lib/adapters/open-store.ts';
import { ingestStream } from '../../../lib/app/ingest/pipeline.ts';
import type { AggregateRow, Store } from '../../../lib/ports.ts';
import { assertLoaderBuilt, findCgroup2Mount, type WatchResult, watchCommand } from '../../../node-agent/watch.ts';

const QNAME = 'tickets.warden-test.internal';
const tmp = mkdtempSync(join(tmpdir(), 'watch-it-'));
const KNOWN = join(tmp, 'known-file.txt');
const WORKLOAD = join(tmp, 'workload.mjs');

writeFileSync(KNOWN, 'hello from the watched workload\n');
writeFileSync(
  WORKLOAD,
  `import { execFileSync } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import net from 'node:net';
const [file, tcpPort, dnsPort, qname] = process.argv.slice(2);
execFileSync('/bin/cat', [file]);
readFileSync(file);
await new Promise((resolve, reject) => {
  const s = net.connect(Number(tcpPort), '127.0.0.1', () => { s.end(); resolve(); });
  s.on('error', reject);
});
// The stub resolver's query (c-ares, as glibc would send it); nobody answers, the query is what is observed.
const resolver = new Resolver({ timeout: 300, tries: 1 });
resolver.setServers([\`127.0.0.1:\${dnsPort}\`]);
await resolver.resolve4(qname).catch(() => undefined);
`,
);

/** A TCP port below the ephemeral range, so the egress key keeps it. */
async function listenLowPort(): Promise<{ server: Server; port: number }> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 10000);
    const server = createServer((s) => s.end());
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (ok) return { server, port };
  }
  throw new Error('no free loopback port in 20000-30000');
}

describe('agent watch: a real workload observed by eBPF and ingested into the store', () => {
  let result: WatchResult;
  let store: Store;
  let rows: AggregateRow[];
  let tcp: { server: Server; port: number };
  const dnsSock = createSocket('udp4');
  const dnsQueries: number[] = [];

  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error('this test needs root (cgroup2 directories and eBPF)');
    if (!findCgroup2Mount()) throw new Error('no cgroup2 mount: mount -t cgroup2 none /sys/fs/cgroup/unified');
    assertLoaderBuilt(); // throws: "the eBPF loader is not built ...: run `make -C bpf` (Debian packages: ...)"
    tcp = await listenLowPort();
    dnsSock.on('message', (m) => dnsQueries.push(m.length));
    await new Promise<void>((r) => dnsSock.bind(0, '127.0.0.1', () => r()));
    store = await openStore('embedded:memory');
    result = await watchCommand({
      name: 'it-support-agent',
      command: [process.execPath, WORKLOAD, KNOWN, String(tcp.port), String(dnsSock.address().port), QNAME],
      stdio: 'ignore',
      cwd: tmp,
      loader: { dnsPort: dnsSock.address().port },
      onBatch: async (b) => {
        await ingestStream(
          store,
          { name: 'watch', stream: Readable.from([Buffer.from(JSON.stringify(b))]) },
          { source: 'node-agent' },
        );
      },
    });
    rows = await store.aggregates('local:it-support-agent');
  });

  afterAll(async () => {
    await store?.close();
    tcp?.server.close();
    dnsSock.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('the workload ran to completion inside the watched cgroup', () => {
    expect(result.exitCode).toBe(0);
    expect(dnsQueries.length).toBe(1);
    expect(result.events).toBeGreaterThan(0);
    expect(result.cgroupPath).toMatch(/^\/warden\/it-support-agent-/);
  });

  it('the batch carries the exec, open, connect and DNS records attributed to the cgroup', () => {
    const records = result.batches.flatMap((b) => b.records);
    const own = (r: (typeof records)[number]) => 'attribution' in r && r.attribution?.cgroupId === result.cgroupId;
    expect(records.filter(own).map((r) => r.type)).toEqual(
      expect.arrayContaining(['exec', 'open', 'connect', 'dns', 'syscalls']),
    );
    for (const b of result.batches) expect(b.schema).toBe('warden.node-agent/v1');
  });

  it('the store holds them under local:<name> with canonical keys', () => {
    const keys = rows.map((r) => r.key);
    expect(keys).toEqual(
      expect.arrayContaining([
        'exec:/bin/cat',
        `exec:${process.execPath}`,
        `open:${KNOWN}`,
        `net:egress:127.0.0.1/32:${tcp.port}`,
        `dns:${QNAME}`,
        'syscall:openat',
        'syscall:connect',
      ]),
    );
    const openat = rows.find((r) => r.key === 'syscall:openat');
    expect(openat?.count).toBeGreaterThan(1);
    expect(rows.every((r) => r.subject === 'local:it-support-agent')).toBe(true);
  });

  it('replaying the same batches changes nothing', async () => {
    const before = (await store.aggregates('local:it-support-agent')).map((r) => [r.key, r.count]);
    for (const b of result.batches) {
      const r = await ingestStream(
        store,
        { name: 'watch', stream: Readable.from([Buffer.from(JSON.stringify(b))]) },
        { source: 'node-agent' },
      );
      expect(r.stored).toBe(0);
    }
    expect((await store.aggregates('local:it-support-agent')).map((r) => [r.key, r.count])).toEqual(before);
  });
});
