import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { noIdentity } from '../../../lib/core/identity/types.ts';
import { nodeAgentParser } from '../../../lib/core/sources/node-agent.ts';
import { countingPolicy, NodeAgent } from '../../../node-agent/agent.ts';
import { type PodSource, summarizePodList } from '../../../node-agent/kube.ts';
import type { StreamRecord } from '../../../node-agent/loader-protocol.ts';
import { BatchShipper, type BatchSink } from '../../../node-agent/shipper.ts';

const podList = JSON.parse(readFileSync(new URL('./fixtures/pods.json', import.meta.url), 'utf8'));
const tmp = mkdtempSync(join(tmpdir(), 'agent-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// A cgroup2 tree as the kubelet's systemd driver lays it out (containerd and CRI-O), plus a system service.
const cg = join(tmp, 'cgroup');
const C1 = 'a3f1c9e2b7d84f06a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718';
const support = join(
  cg,
  `kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0c6a8f2e_1b3d_4c5e_9f7a_2b4c6d8e0f1a.slice/cri-containerd-${C1}.scope`,
);
const retriever = join(
  cg,
  `kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1d7b9f3e_2c4d_4d6e_8f8b_3c5d7e9f1a2b.slice/crio-${'b'.repeat(64)}.scope`,
);
const sshd = join(cg, 'system.slice/sshd.service');
for (const d of [support, retriever, sshd]) mkdirSync(d, { recursive: true });
writeFileSync(join(support, 'cgroup.procs'), '4242\n');
const ino = (p: string) => statSync(p, { bigint: true }).ino.toString();
// /proc/4242/root of the support container, with a prompt file.
const proc = join(tmp, 'proc');
mkdirSync(join(proc, '4242/root/app/prompts'), { recursive: true });
writeFileSync(join(proc, '4242/root/app/prompts/system.md'), 'be helpful');

class FakeLoader {
  commands: string[] = [];
  #queue: StreamRecord[] = [];
  #wake: (() => void) | undefined;
  #closed = false;
  push(r: StreamRecord) {
    this.#queue.push(r);
    this.#wake?.();
  }
  async watch(id: string, o?: { countSyscalls?: boolean }) {
    this.commands.push(`watch ${id}${o?.countSyscalls ? ' count' : ''}`);
  }
  async unwatch(id: string) {
    this.commands.push(`unwatch ${id}`);
  }
  async setCounting(id: string, on: boolean) {
    this.commands.push(`count ${id} ${on ? 'on' : 'off'}`);
  }
  async flush() {
    this.commands.push('flush');
  }
  async close() {
    this.#closed = true;
    this.#wake?.();
  }
  async *[Symbol.asyncIterator](): AsyncIterator<StreamRecord> {
    for (;;) {
      const r = this.#queue.shift();
      if (r) {
        yield r;
        continue;
      }
      if (this.#closed) return;
      await new Promise<void>((res) => {
        this.#wake = res;
      });
    }
  }
}

describe('NodeAgent wiring', () => {
  it('watches pod containers, attributes events to Deployments, ships leases, container starts and drops', async () => {
    let pods = podList;
    const podSource: PodSource = { kind: 'kubelet', listPods: async () => summarizePodList(pods) };
    const sent: unknown[] = [];
    const sink: BatchSink = {
      send: async (b) => {
        sent.push(b);
        return { status: 'ok' };
      },
    };
    const loader = new FakeLoader();
    let now = Date.parse('2026-11-28T10:00:00Z');
    const agent = new NodeAgent({
      node: 'ip-10-0-1-17.ec2.internal',
      cluster: 'prod',
      version: '0.1.0',
      loader,
      shipper: new BatchShipper(sink),
      podSource,
      cgroupRoot: cg,
      procRoot: proc,
      countSyscalls: countingPolicy(['support/*'], false),
      inventory: { roots: ['/app'], promptGlobs: ['/app/prompts/*.md'] },
      now: () => now,
    });
    const ts = now + 5000;
    await agent.refresh();
    // Support (selector) and retriever (label) count syscalls; sshd is not a pod container and is not watched.
    expect(loader.commands.sort()).toEqual([`watch ${ino(retriever)} count`, `watch ${ino(support)} count`].sort());

    await agent.handle({
      type: 'exec',
      v: 1,
      ts,
      pid: 4242,
      ppid: 1,
      uid: 0,
      cgroupId: ino(support),
      comm: 'python3',
      filename: '/usr/bin/python3',
      argv: ['python3'],
      argvTruncated: false,
    });
    await agent.handle({
      type: 'connect',
      v: 1,
      ts,
      pid: 9,
      cgroupId: ino(retriever),
      comm: 'x',
      family: 'inet',
      protocol: 'tcp',
      daddr: '10.100.0.10',
      dport: 5432,
    });
    await agent.handle({
      type: 'exec',
      v: 1,
      ts,
      pid: 77,
      ppid: 1,
      uid: 0,
      cgroupId: ino(sshd),
      comm: 'sh',
      filename: '/bin/sh',
      argv: ['sh'],
      argvTruncated: false,
    });
    await agent.handle({ type: 'protocol-error', ts, line: 'garbage', error: 'invalid JSON' });
    now += 60_000;
    await agent.tick();

    expect(sent).toHaveLength(1);
    const parsed = nodeAgentParser.parse(
      { text: JSON.stringify(sent[0]) },
      { identity: noIdentity, promptContent: 'hash-only', excerptChars: 0 },
    );
    expect(parsed.rejects).toEqual([]);
    const by = (k: string) => parsed.observations.filter((o) => o.key === k).map((o) => o.subject);
    expect(by('exec:/usr/bin/python3')).toEqual(['k8s:prod/support/support-agent']);
    expect(by('net:egress:10.100.0.10/32:5432')).toEqual(['k8s:prod/rag/retriever']);
    expect(by('exec:/bin/sh')).toEqual(['unattributed:prod/cgroup:/system.slice/sshd.service']);
    expect(by('lease:10.0.1.23')).toEqual(['k8s:prod/support/support-agent']);
    expect(by('lease:10.0.1.17')).toEqual([]); // host-network pod: no lease
    // Drop counters are the node's own subject, not news: they wait for its full window (below).
    expect(by('drops:protocol_error')).toEqual([]);
    const image = parsed.observations.find((o) => o.key.startsWith('image:123456789012.dkr.ecr'));
    expect(image?.subject).toBe('k8s:prod/support/support-agent');
    expect(image?.attrs.deployEvent).toBe(false);
    expect(by('prompt:/app/prompts/system.md')).toEqual(['k8s:prod/support/support-agent']);

    // The retriever pod goes away: its container is unwatched and its lease closes.
    pods = {
      ...podList,
      items: podList.items.filter(
        (p: { metadata: { name: string } }) => p.metadata.name !== 'retriever-6b5d4c8f9-zzzzz',
      ),
    };
    loader.commands = [];
    now += 60_000;
    await agent.tick();
    expect(loader.commands).toEqual([`unwatch ${ino(retriever)}`, 'flush']);
    const second = sent[1] as { records: Array<{ type: string; ip?: string; to?: string | null }> };
    // Only the subject with news ships: the retriever's closed lease. The other pods' open leases are re-stated with
    // their own subjects' next batches, not in a batch they would otherwise not be in.
    expect(second.records.map((r) => [r.type, r.ip, r.to])).toEqual([
      ['lease', '10.0.1.24', '2026-11-28T10:02:00.000Z'],
    ]);
    expect(agent.stats()).toMatchObject({ batches: 2, watched: 1, events: 3 });

    // 10:30: the node's window is full and ships its drop counters, alone: no other window holds anything.
    now = Date.parse('2026-11-28T10:30:00Z');
    await agent.tick();
    const third = nodeAgentParser.parse(
      { text: JSON.stringify(sent[2]) },
      { identity: noIdentity, promptContent: 'hash-only', excerptChars: 0 },
    );
    // One malformed pod skipped by each of the four pod list reads so far, summed: none lost, none counted twice.
    expect(third.observations.map((o) => [o.key, o.subject, o.count])).toEqual([
      ['drops:pod_malformed', 'unattributed:node:prod/ip-10-0-1-17.ec2.internal', 4],
      ['drops:protocol_error', 'unattributed:node:prod/ip-10-0-1-17.ec2.internal', 1],
    ]);
  });

  it.each([
    [['support/*'], false, { namespace: 'support', deployment: 'support-agent', labels: {} }, true],
    [['support/*'], false, { namespace: 'rag', deployment: 'retriever', labels: {} }, false],
    [[], true, { namespace: 'rag', deployment: 'retriever', labels: {} }, true],
    [[], true, { namespace: 'rag', deployment: 'retriever', labels: { 'warden.dev/count-syscalls': 'false' } }, false],
    [['rag/retr*'], false, { namespace: 'rag', deployment: 'retriever', labels: {} }, true],
  ])('counting policy %j default %s for %j -> %s', (sel, dflt, pod, want) => {
    const p = { uid: 'u', name: 'p', hostNetwork: false, ips: [], containers: [], ...pod };
    expect(countingPolicy(sel, dflt)(p)).toBe(want);
  });
});
