/**
 * The monitor phase with real evidence: a container runs under the generated monitor profile (SCMP_ACT_LOG) in crun,
 * inside a cgroup laid out as the kubelet does for a containerd container of the support agent's pod; the kernel
 * logs every call outside the envelope as an audit record (type 1326); the real loader reads them from the audit
 * multicast group; the NodeAgent attributes them to the pod and its Deployment and names the SeccompProfile from the
 * pod spec; the batch is ingested into the store as `seccomp:logged:<name>` observations. A healthy CPython and
 * Node.js (threads, sockets, TLS, files, pipes, timers) log nothing; the escape calls are each logged.
 * Needs root, cgroup2, BTF, `make -C bpf`, crun; fails saying what is missing.
 */
import { mkdirSync, mkdtempSync, rmdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../../lib/adapters/open-store.ts';
import { ingestStream } from '../../../lib/app/ingest/pipeline.ts';
import { generateSeccomp } from '../../../lib/core/artifacts/seccomp.ts';
import { spoLocalhostProfile, spoProfileName } from '../../../lib/core/artifacts/seccomp-spo.ts';
import type { NodeAgentBatch } from '../../../lib/core/sources/node-agent.ts';
import type { AggregateRow, Store } from '../../../lib/ports.ts';
import { NodeAgent } from '../../../node-agent/agent.ts';
import { kubeletPodSource } from '../../../node-agent/kube.ts';
import { startLoader } from '../../../node-agent/loader.ts';
import { BatchShipper } from '../../../node-agent/shipper.ts';
import { assertLoaderBuilt, findCgroup2Mount } from '../../../node-agent/watch.ts';
import { makeTlsDir, requireTools, runInCrun } from '../artifacts/crun-harness.ts';

const SUBJECT = 'k8s:prod/support/support-agent';
const CID = `${Date.now().toString(16).padStart(16, '0')}${'5ecc0a11'.repeat(6)}`;
const UID = '3c2b1a0f-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const WORKLOADS = join(import.meta.dirname, '..', 'artifacts', 'crun-workloads');
const ESCAPES = [
  'clone',
  'unshare',
  'ptrace',
  'personality',
  'keyctl',
  'userfaultfd',
  'io_uring_setup',
  'process_vm_readv',
];

describe('monitor phase: logged seccomp calls reach the store as seccomp:logged observations', () => {
  let root: string;
  let rel: string;
  let work: string;
  const dirs: string[] = [];
  let kubelet: Server;
  let store: Store;
  let rows: AggregateRow[] = [];
  let out = '';

  beforeAll(async () => {
    requireTools([
      { cmd: 'crun', pkg: 'crun' },
      { cmd: 'openssl', pkg: 'openssl' },
    ]);
    root = findCgroup2Mount() ?? '';
    if (!root) throw new Error('no cgroup2 mount: mount -t cgroup2 none /sys/fs/cgroup/unified');
    assertLoaderBuilt();
    work = mkdtempSync(join(tmpdir(), 'warden-seccomp-monitor-'));
    const tls = makeTlsDir(join(work, 'tls'));
    const segs = [
      'kubepods.slice',
      'kubepods-burstable.slice',
      `kubepods-burstable-pod${UID.replace(/-/g, '_')}.slice`,
      `cri-containerd-${CID}.scope`,
    ];
    let d = root;
    for (const seg of segs) {
      d = join(d, seg);
      mkdirSync(d, { recursive: true });
      dirs.unshift(d);
    }
    rel = `/${segs.join('/')}`;
    const profileName = spoProfileName(SUBJECT);
    const pods = {
      kind: 'PodList',
      items: [
        {
          metadata: {
            name: 'support-agent-7d9f8b6c5d-x2x9q',
            namespace: 'support',
            uid: UID,
            labels: { 'pod-template-hash': '7d9f8b6c5d' },
            ownerReferences: [{ kind: 'ReplicaSet', name: 'support-agent-7d9f8b6c5d', controller: true }],
          },
          spec: {
            nodeName: 'node-1',
            securityContext: {
              seccompProfile: { type: 'Localhost', localhostProfile: spoLocalhostProfile(profileName) },
            },
            containers: [{ name: 'app' }],
          },
          status: {
            phase: 'Running',
            podIP: '10.0.1.23',
            containerStatuses: [{ name: 'app', image: 'support-agent:1.4', containerID: `containerd://${CID}` }],
          },
        },
      ],
    };
    kubelet = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(pods));
    });
    await new Promise<void>((r) => kubelet.listen(0, '127.0.0.1', () => r()));
    store = await openStore('embedded:memory');
    const sink = {
      async send(batch: NodeAgentBatch) {
        const body = Buffer.from(JSON.stringify(batch));
        await ingestStream(store, { name: 'node-agent', stream: Readable.from([body]) }, { source: 'node-agent' });
        return { status: 'ok' as const };
      },
    };

    // The demo support agent's baseline: three syscalls and a python exec (a thin-evidence profile).
    const t0 = '2026-10-01T00:00:00.000Z';
    const t1 = '2026-11-10T00:00:00.000Z';
    const monitor = generateSeccomp({
      subject: SUBJECT,
      version: 1,
      entries: ['syscall:read', 'syscall:epoll_wait', 'syscall:connect', 'exec:/usr/local/bin/python3.12'].map(
        (key) => ({ key, count: 100, firstSeen: t0, lastSeen: t1, active: true }),
      ),
    }).profiles.monitor;

    const loader = startLoader({ cgroupRoot: root });
    await loader.ready();
    const agent = new NodeAgent({
      node: 'node-1',
      cluster: 'prod',
      version: '0.1.0',
      loader,
      shipper: new BatchShipper(sink),
      podSource: kubeletPodSource({ url: `http://127.0.0.1:${(kubelet.address() as AddressInfo).port}` }),
      cgroupRoot: root,
      inventory: false,
    });
    agent.start();
    try {
      for (let i = 0; i < 100 && agent.stats().watched === 0; i++) await new Promise((r) => setTimeout(r, 50));
      if (agent.stats().watched !== 1) throw new Error('the agent did not watch the container cgroup');
      const r = await runInCrun(work, {
        args: ['/bin/sh', '-c', 'python3 /w/agent.py && node /w/agent.mjs && python3 /w/escape.py'],
        profile: monitor,
        binds: [
          { source: WORKLOADS, destination: '/w' },
          { source: tls, destination: '/tls' },
        ],
        cgroupsPath: rel,
      });
      out = r.out;
      if (r.status !== 0) throw new Error(`the container failed (${r.status}): ${r.out}`);
      await new Promise((res) => setTimeout(res, 1500)); // audit records are multicast asynchronously
    } finally {
      await agent.stop();
    }
    rows = await store.aggregates(SUBJECT, { kinds: ['seccomp'] });
  }, 240_000);

  afterAll(async () => {
    await store?.close();
    kubelet?.close();
    for (const d of dirs) {
      try {
        rmdirSync(d);
      } catch {
        // crun removed it, or it is still populated
      }
    }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('everything ran under the monitor profile: nothing was blocked', () => {
    expect(out).toContain('all ok');
    expect(out.match(/all ok/g)).toHaveLength(2);
    expect(out).toContain('escape done');
  });

  it('each escape call is a seccomp:logged observation of the Deployment, with arch, exe, comm and profile', () => {
    const keys = [...new Set(rows.map((r) => r.key))].sort();
    expect(keys).toEqual(ESCAPES.map((s) => `seccomp:logged:${s}`).sort());
    for (const r of rows) {
      expect(r).toMatchObject({ layer: 'kernel', kind: 'seccomp', sources: ['node-agent'] });
      expect(r.attrs).toMatchObject({
        arch: 'x86_64',
        action: 'log',
        comm: 'python3',
        profile: spoProfileName(SUBJECT),
      });
      expect(String(r.attrs.exe)).toMatch(/\/python3/);
    }
  });

  it('a healthy CPython and Node.js logged no call: the envelope covers the runtimes', () => {
    expect(rows.filter((r) => !String(r.attrs.exe).includes('python'))).toEqual([]);
    expect(rows.every((r) => ESCAPES.includes(r.key.slice('seccomp:logged:'.length)))).toBe(true);
  });
});
