/**
 * The DaemonSet path for real, on this machine: a cgroup2 directory laid out as the kubelet's systemd driver does
 * for a containerd container, a fake kubelet on loopback listing the pod that owns that container, the real eBPF
 * loader, the NodeAgent (watch decision, attribution cgroup id -> container -> pod -> Deployment, aggregation), and
 * SigV4-signed shipping to a loopback ingestion endpoint that verifies the signature and ingests the batch into the
 * embedded store. Needs root, cgroup2, BTF and `make -C bpf`; fails saying what is missing.
 */

import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../../lib/adapters/open-store.ts';
import { ingestStream } from '../../../lib/app/ingest/pipeline.ts';
import type { Store } from '../../../lib/ports.ts';
import { countingPolicy, NodeAgent } from '../../../node-agent/agent.ts';
import { kubeletPodSource } from '../../../node-agent/kube.ts';
import { startLoader } from '../../../node-agent/loader.ts';
import { BatchShipper, httpSink } from '../../../node-agent/shipper.ts';
import { assertLoaderBuilt, findCgroup2Mount } from '../../../node-agent/watch.ts';

const creds = { accessKeyId: 'AKIDNODEAGENT', secretAccessKey: 'node-agent-test-secret' };
const CID = `${Date.now().toString(16).padStart(16, '0')}${'c0ffee42'.repeat(6)}`;
const UID = '7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';

describe('node agent: kubepods cgroup -> pod -> Deployment, real loader, SigV4 shipping into the store', () => {
  let root: string;
  const dirs: string[] = [];
  let kubelet: Server;
  let ingest: Server;
  let store: Store;
  const verified: boolean[] = [];

  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error('this test needs root (cgroup2 directories and eBPF)');
    root = findCgroup2Mount() ?? '';
    if (!root) throw new Error('no cgroup2 mount: mount -t cgroup2 none /sys/fs/cgroup/unified');
    assertLoaderBuilt();
    // kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid_>.slice/cri-containerd-<id>.scope
    let d = root;
    for (const seg of [
      'kubepods.slice',
      'kubepods-burstable.slice',
      `kubepods-burstable-pod${UID.replace(/-/g, '_')}.slice`,
      `cri-containerd-${CID}.scope`,
    ]) {
      d = join(d, seg);
      mkdirSync(d, { recursive: true });
      dirs.unshift(d);
    }
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
          spec: { nodeName: 'node-1' },
          status: {
            phase: 'Running',
            podIP: '10.0.1.23',
            startTime: '2026-11-28T00:00:00Z',
            containerStatuses: [
              {
                name: 'app',
                image: 'support-agent:1.4',
                imageID: `support-agent@sha256:${'4'.repeat(64)}`,
                containerID: `containerd://${CID}`,
              },
            ],
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
    const verifier = new SignatureV4({
      credentials: creds,
      region: 'us-east-1',
      service: 'lambda',
      sha256: Sha256,
    });
    ingest = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const body = Buffer.concat(chunks);
        const a = String(req.headers['x-amz-date']);
        const signingDate = new Date(
          `${a.slice(0, 4)}-${a.slice(4, 6)}-${a.slice(6, 8)}T${a.slice(9, 11)}:${a.slice(11, 13)}:${a.slice(13, 15)}Z`,
        );
        const again = await verifier.sign(
          {
            method: 'POST',
            protocol: 'http:',
            hostname: '127.0.0.1',
            port: (ingest.address() as AddressInfo).port,
            path: req.url ?? '/',
            headers: { host: String(req.headers.host), 'content-type': String(req.headers['content-type']) },
            // the agent posts gzipped JSON; the signature covers the bytes as sent
            body,
          },
          { signingDate },
        );
        const ok = again.headers.authorization === req.headers.authorization;
        verified.push(ok);
        if (!ok) {
          res.writeHead(403);
          res.end();
          return;
        }
        await ingestStream(store, { name: 'node-agent', stream: Readable.from([body]) }, { source: 'node-agent' });
        res.writeHead(200);
        res.end('{}');
      });
    });
    await new Promise<void>((r) => ingest.listen(0, '127.0.0.1', () => r()));
  });

  afterAll(async () => {
    await store?.close();
    kubelet?.close();
    ingest?.close();
    for (const d of dirs) {
      try {
        rmdirSync(d);
      } catch {
        // still populated: leave it
      }
    }
  });

  it('attributes a process in the container cgroup to k8s:<cluster>/<ns>/<Deployment> and ships it signed', async () => {
    const loader = startLoader({ cgroupRoot: root });
    await loader.ready();
    const agent = new NodeAgent({
      node: 'node-1',
      cluster: 'prod',
      version: '0.1.0',
      loader,
      shipper: new BatchShipper(
        httpSink({
          endpoint: `http://127.0.0.1:${(ingest.address() as AddressInfo).port}/ingest`,
          region: 'us-east-1',
          credentials: creds,
        }),
      ),
      podSource: kubeletPodSource({ url: `http://127.0.0.1:${(kubelet.address() as AddressInfo).port}` }),
      cgroupRoot: root,
      countSyscalls: countingPolicy(['support/*'], false),
      inventory: false,
    });
    agent.start();
    try {
      // Wait until the agent has listed pods and watched the container's cgroup.
      for (let i = 0; i < 100 && agent.stats().watched === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(agent.stats().watched).toBe(1);
      const known = join(root, 'kubepods.slice', 'cgroup.procs'); // any existing file: its open is observed
      const code = await new Promise<number | null>((resolve) => {
        const c = spawn('/bin/sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec /bin/cat "$1"', dirs[0]!, known], {
          stdio: 'ignore',
        });
        c.on('close', resolve);
      });
      expect(code).toBe(0);
      expect(readFileSync(join(dirs[0]!, 'cgroup.procs'), 'utf8')).toBe('');
    } finally {
      await agent.stop();
    }
    expect(verified.length).toBeGreaterThan(0);
    expect(verified.every(Boolean)).toBe(true);
    const rows = await store.aggregates('k8s:prod/support/support-agent');
    const keys = rows.map((r) => r.key);
    expect(keys).toEqual(
      expect.arrayContaining(['exec:/bin/cat', 'lease:10.0.1.23', `image:support-agent:1.4@sha256:${'4'.repeat(64)}`]),
    );
    expect(keys.some((k) => k.startsWith('syscall:'))).toBe(true);
    expect(agent.stats().shipper).toMatchObject({ queued: 0, droppedBatches: 0 });
  });
});
