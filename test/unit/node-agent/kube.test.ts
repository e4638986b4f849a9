import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiServerPodSource,
  kubeConfig,
  kubeletPodSource,
  parseContainerId,
  seccompProfileName,
  summarizePod,
  summarizePodList,
} from '../../../node-agent/kube.ts';

const podList = JSON.parse(readFileSync(new URL('./fixtures/pods.json', import.meta.url), 'utf8'));

/** A fake kubelet + API server on loopback: `/pods`, `/api/v1/pods`, `/apis/apps/v1/.../replicasets/<name>`. */
function fakeKube(): Promise<{ url: string; requests: string[]; server: Server }> {
  const requests: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
    const u = new URL(req.url ?? '/', 'http://x');
    const json = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (u.pathname === '/pods') return json(200, podList);
    if (u.pathname === '/api/v1/pods') {
      if (u.searchParams.get('fieldSelector') !== 'spec.nodeName=ip-10-0-1-17.ec2.internal')
        return json(200, { kind: 'PodList', items: [] });
      return json(200, podList);
    }
    const rs = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/replicasets\/([^/]+)$/.exec(u.pathname);
    if (rs) {
      // The retriever's ReplicaSet belongs to a Deployment whose name the naming rule alone could not know.
      const owner = rs[2] === 'retriever-6b5d4c8f9' ? 'rag-retriever' : rs[2]!.replace(/-[^-]+$/, '');
      return json(200, {
        kind: 'ReplicaSet',
        apiVersion: 'apps/v1',
        metadata: {
          name: rs[2],
          namespace: rs[1],
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: owner, uid: 'u', controller: true }],
        },
      });
    }
    json(404, { kind: 'Status', code: 404 });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server }),
    ),
  );
}

describe('pod summaries', () => {
  it('summarizes containerd, CRI-O and Docker pods, skipping a malformed one', () => {
    const { pods, skipped } = summarizePodList(podList);
    expect(skipped).toBe(1);
    expect(
      pods.map((p) => [p.name, p.owner?.kind, p.containers[0]?.runtime, p.containers[0]?.digest?.slice(0, 12), p.ips]),
    ).toEqual([
      ['support-agent-7d9f8b6c5d-x2x9q', 'ReplicaSet', 'containerd', 'sha256:11111', ['10.0.1.23']],
      ['retriever-6b5d4c8f9-zzzzz', 'ReplicaSet', 'cri-o', 'sha256:22222', ['10.0.1.24']],
      ['legacy-0', 'StatefulSet', 'docker', 'sha256:33333', ['10.0.1.25']],
      ['aws-node-abcde', 'DaemonSet', 'containerd', undefined, []], // host network: no lease
    ]);
  });

  it('names the Localhost seccomp profile each container runs under (container level over pod level)', () => {
    const id = (c: string) => `containerd://${c.repeat(64)}`;
    const pod = summarizePod({
      metadata: { name: 'p', namespace: 'support', uid: 'u1' },
      spec: {
        securityContext: {
          seccompProfile: { type: 'Localhost', localhostProfile: 'operator/warden-support-agent-1a2b3c4d.json' },
        },
        containers: [
          { name: 'app' },
          { name: 'sidecar', securityContext: { seccompProfile: { type: 'RuntimeDefault' } } },
          {
            name: 'tool',
            securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'custom/t.json' } },
          },
        ],
      },
      status: {
        containerStatuses: [
          { name: 'app', containerID: id('a') },
          { name: 'sidecar', containerID: id('b') },
          { name: 'tool', containerID: id('c') },
        ],
      },
    });
    expect(pod?.containers.map((c) => [c.name, c.seccompProfile])).toEqual([
      ['app', 'warden-support-agent-1a2b3c4d'],
      ['sidecar', undefined],
      ['tool', 'custom/t.json'],
    ]);
    expect(seccompProfileName('operator/support/old-style.json')).toBe('old-style');
  });

  it.each([
    ['containerd://' + 'a'.repeat(64), { runtime: 'containerd', id: 'a'.repeat(64) }],
    ['cri-o://' + 'b'.repeat(64), { runtime: 'cri-o', id: 'b'.repeat(64) }],
    ['docker://' + 'c'.repeat(64), { runtime: 'docker', id: 'c'.repeat(64) }],
    ['containerd://short', undefined],
  ])('parseContainerId(%s)', (s, want) => {
    expect(parseContainerId(s)).toEqual(want);
  });
});

describe('pod sources against a fake kubelet / API server', () => {
  let fake: Awaited<ReturnType<typeof fakeKube>>;
  beforeAll(async () => {
    fake = await fakeKube();
  });
  afterAll(() => new Promise<void>((r) => fake.server.close(() => r())));

  it('kubelet /pods: owners by the pod-template-hash naming rule, bearer token sent', async () => {
    const src = kubeletPodSource({ url: fake.url, token: 'sa-token' });
    const { pods } = await src.listPods();
    expect(pods.map((p) => [p.name, p.deployment])).toEqual([
      ['support-agent-7d9f8b6c5d-x2x9q', 'support-agent'],
      ['retriever-6b5d4c8f9-zzzzz', 'retriever'],
      ['legacy-0', undefined],
      ['aws-node-abcde', undefined],
    ]);
    expect(fake.requests.at(-1)).toBe('GET /pods Bearer sa-token');
  });

  it('API server: pods of this node, owners through the ReplicaSet (cached)', async () => {
    // client-node refuses plain http unless skipTLSVerify is set; the fake API server is loopback http.
    const src = apiServerPodSource(
      kubeConfig({ server: fake.url, token: 't', skipTLSVerify: true }),
      'ip-10-0-1-17.ec2.internal',
    );
    const { pods } = await src.listPods();
    expect(pods.map((p) => [p.name, p.deployment])).toEqual([
      ['support-agent-7d9f8b6c5d-x2x9q', 'support-agent'],
      ['retriever-6b5d4c8f9-zzzzz', 'rag-retriever'],
      ['legacy-0', undefined],
      ['aws-node-abcde', undefined],
    ]);
    const before = fake.requests.filter((r) => r.includes('/replicasets/')).length;
    expect(before).toBe(2);
    await src.listPods();
    expect(fake.requests.filter((r) => r.includes('/replicasets/')).length).toBe(before);
    expect(
      fake.requests.some((r) =>
        r.startsWith('GET /api/v1/pods?fieldSelector=spec.nodeName%3Dip-10-0-1-17.ec2.internal'),
      ),
    ).toBe(true);
  });

  it('an unreachable kubelet is an error the agent counts, not a crash', async () => {
    const src = kubeletPodSource({ url: 'http://127.0.0.1:1', timeoutMs: 2000 });
    await expect(src.listPods()).rejects.toThrow();
  });
});
