/**
 * A new kernel event type as bpf/README.md describes it, for real: one C file (test/fixtures/bpf/fork.c, a
 * `sched_process_fork` tracer whose decoder prints generic `event` records) built into a loader of its own with
 * `make -C bpf OUTPUT=... EXTRA_TRACERS=...`, no TypeScript. `warden agent watch` runs a shell that forks twice
 * under that loader, and the embedded store holds `kernel:fork:sh`. Needs root, a cgroup2 mount, BTF, clang and
 * bpftool (`bash scripts/setup.sh`): when one is missing the test fails saying so.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../../lib/adapters/open-store.ts';
import { ingestStream } from '../../../lib/app/ingest/pipeline.ts';
import type { AggregateRow, Store } from '../../../lib/ports.ts';
import { findCgroup2Mount, type WatchResult, watchCommand } from '../../../node-agent/watch.ts';

const run = promisify(execFile);
const BPF = fileURLToPath(new URL('../../../bpf/', import.meta.url));
const FORK = fileURLToPath(new URL('../../fixtures/bpf/fork.c', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'generic-event-'));

describe('a kernel event type that is one C file', () => {
  let result: WatchResult;
  let store: Store;
  let rows: AggregateRow[];
  const before = process.env.WARDEN_LOADER;

  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error('this test needs root (cgroup2 directories and eBPF)');
    if (!findCgroup2Mount()) throw new Error('no cgroup2 mount: mount -t cgroup2 none /sys/fs/cgroup/unified');
    await run('make', ['-C', BPF, '-s', `OUTPUT=${out}`, `EXTRA_TRACERS=${FORK}`], { timeout: 240_000 }).catch(
      (e: { stderr?: string }) => {
        throw new Error(
          `make -C bpf with the fixture tracer failed (clang, bpftool, libbpf-dev: bash scripts/setup.sh): ${String(e.stderr).slice(-600)}`,
        );
      },
    );
    process.env.WARDEN_LOADER = join(out, 'warden-loader');
    store = await openStore('embedded:memory');
    result = await watchCommand({
      name: 'fork-demo',
      command: ['/bin/sh', '-c', '/bin/true & /bin/true & wait'],
      stdio: 'ignore',
      cwd: out,
      onBatch: async (b) => {
        await ingestStream(
          store,
          { name: 'watch', stream: Readable.from([Buffer.from(JSON.stringify(b))]) },
          { source: 'node-agent' },
        );
      },
    });
    rows = await store.aggregates('local:fork-demo');
  }, 300_000);

  afterAll(async () => {
    if (before === undefined) delete process.env.WARDEN_LOADER;
    else process.env.WARDEN_LOADER = before;
    await store?.close();
    rmSync(out, { recursive: true, force: true });
  });

  it('the loader decodes the new type and the store holds kernel:fork:<comm> from its generic records', () => {
    expect(result.exitCode).toBe(0);
    const fork = rows.filter((r) => r.key.startsWith('kernel:fork:'));
    expect(fork.map((r) => r.key)).toContain('kernel:fork:sh');
    expect(fork.find((r) => r.key === 'kernel:fork:sh')?.count).toBeGreaterThanOrEqual(2);
  });
});
