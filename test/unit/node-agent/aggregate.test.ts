import { describe, expect, it } from 'vitest';
import { noIdentity } from '../../../lib/core/identity/types.ts';
import { nodeAgentParser } from '../../../lib/core/sources/node-agent.ts';
import { WindowAggregator } from '../../../node-agent/aggregate.ts';
import type { LoaderRecord } from '../../../node-agent/loader-protocol.ts';

const A = { cgroupId: '101', namespace: 'support', pod: 'support-agent-7d9f8b6c5d-x2x9q', deployment: 'support-agent' };
const B = { cgroupId: '102', namespace: 'support', pod: 'support-agent-7d9f8b6c5d-q8w4z', deployment: 'support-agent' };
const ts = Date.parse('2026-11-28T10:00:10Z');

const exec = (cgroupId: string, filename: string, argv: string[]): LoaderRecord => ({
  type: 'exec',
  v: 1,
  ts,
  pid: 10,
  ppid: 1,
  uid: 0,
  cgroupId,
  comm: 'x',
  filename,
  argv,
  argvTruncated: false,
});
const open = (path: string, ret = 3, pathSource: 'absolute' | 'unresolved' = 'absolute'): LoaderRecord => ({
  type: 'open',
  v: 1,
  ts,
  pid: 10,
  cgroupId: '101',
  comm: 'x',
  path,
  pathSource,
  dirfd: -100,
  flags: 0,
  ret,
});

describe('WindowAggregator', () => {
  it('aggregates per Deployment across replicas, redacts argv, and the batch parses back', () => {
    const agg = new WindowAggregator({ node: 'n1', cluster: 'prod', version: '0.1.0' });
    agg.add(
      exec('101', '/usr/bin/python3', ['python3', 'app.py', '--api-key', 'sk-live-1234567890abcdef1234567890abcdef']),
      A,
    );
    agg.add(exec('102', '/usr/bin/python3', ['python3', 'app.py']), B);
    agg.add(exec('101', '/usr/bin/npx', ['npx', '-y', '@modelcontextprotocol/server-filesystem@0.6.2', '/data']), A);
    agg.add(open('/models/e5/model.onnx'), A);
    agg.add(open('/etc/shadow', -13), A);
    agg.add(open('relative.txt', 3, 'unresolved'), A);
    agg.add(
      {
        type: 'connect',
        v: 1,
        ts,
        pid: 10,
        cgroupId: '101',
        comm: 'x',
        family: 'inet',
        protocol: 'tcp',
        daddr: '52.216.8.1',
        dport: 443,
      },
      A,
    );
    agg.add(
      {
        type: 'connect',
        v: 1,
        ts,
        pid: 11,
        cgroupId: '102',
        comm: 'x',
        family: 'inet',
        protocol: 'tcp',
        daddr: '52.216.8.1',
        dport: 443,
      },
      B,
    );
    agg.add(
      {
        type: 'dns',
        v: 1,
        ts,
        pid: 0,
        cgroupId: '101',
        family: 'inet',
        daddr: '10.0.0.2',
        dport: 53,
        qname: 'api.zendesk.com',
        qtype: 1,
        txid: 7,
      },
      A,
    );
    agg.add(
      {
        type: 'dns',
        v: 1,
        ts,
        pid: 0,
        cgroupId: '101',
        family: 'inet',
        daddr: '10.0.0.2',
        dport: 53,
        qname: '<malformed>',
        qtype: 1,
        txid: 8,
      },
      A,
    );
    agg.add(
      {
        type: 'syscalls',
        v: 1,
        ts,
        cgroupId: '101',
        counts: [
          { nr: 257, name: 'openat', count: 40 },
          { nr: 0, name: 'read', count: 100 },
        ],
      },
      A,
    );
    agg.add(
      {
        type: 'syscalls',
        v: 1,
        ts,
        cgroupId: '102',
        counts: [
          { nr: 257, name: 'openat', count: 2 },
          { nr: 999, name: 'nr:999', count: 1 },
        ],
      },
      B,
    );
    agg.loaderDrops({
      type: 'drops',
      v: 1,
      ts,
      counts: { ringbuf_exec: 3 },
      suppressed: { open: 0, connect: 0 },
      emitted: 10,
    });
    agg.loaderDrops({
      type: 'drops',
      v: 1,
      ts,
      counts: { ringbuf_exec: 5 },
      suppressed: { open: 0, connect: 0 },
      emitted: 20,
    });
    agg.loaderRestarted();
    agg.loaderDrops({
      type: 'drops',
      v: 1,
      ts,
      counts: { ringbuf_exec: 1 },
      suppressed: { open: 0, connect: 0 },
      emitted: 1,
    });

    const batch = agg.flush('2026-11-28T10:00:00.000Z', '2026-11-28T10:01:00.000Z');
    expect(batch.drops).toEqual({ open_path_unresolved: 1, dns_malformed: 1, ringbuf_exec: 6 });
    const python = batch.records.find((r) => r.type === 'exec' && r.path === '/usr/bin/python3');
    expect(python).toMatchObject({
      count: 2,
      argv: ['python3', 'app.py', '--api-key', '<redacted>'],
      argvRedacted: true,
    });

    const r = nodeAgentParser.parse(
      { text: JSON.stringify(batch) },
      { identity: noIdentity, promptContent: 'hash-only', excerptChars: 0 },
    );
    expect(r.rejects).toEqual([]);
    const got = Object.fromEntries(r.observations.map((o) => [o.key, [o.subject, o.count]]));
    const S = 'k8s:prod/support/support-agent';
    expect(got).toEqual({
      'exec:/usr/bin/python3': [S, 2],
      'exec:/usr/bin/npx': [S, 1],
      'mcp:stdio:@modelcontextprotocol/server-filesystem': [S, 1],
      'open:/models/e5/model.onnx': [S, 1],
      'model:file:/models/e5/model.onnx': [S, 1],
      'open:/etc/shadow': [S, 1],
      'net:egress:52.216.8.1/32:443': [S, 2],
      'dns:api.zendesk.com': [S, 1],
      'syscall:openat': [S, 42],
      'syscall:read': [S, 100],
      'syscall:nr:999': [S, 1],
      'drops:open_path_unresolved': ['unattributed:node:prod/n1', 1],
      'drops:dns_malformed': ['unattributed:node:prod/n1', 1],
      'drops:ringbuf_exec': ['unattributed:node:prod/n1', 6],
    });
    expect(r.observations.find((o) => o.key === 'open:/etc/shadow')?.attrs.errno).toBe(13);

    // The window is reset; drop baselines are kept across windows.
    agg.loaderDrops({
      type: 'drops',
      v: 1,
      ts,
      counts: { ringbuf_exec: 4 },
      suppressed: { open: 0, connect: 0 },
      emitted: 1,
    });
    expect(agg.flush('2026-11-28T10:01:00.000Z', '2026-11-28T10:02:00.000Z')).toMatchObject({
      records: [],
      drops: { ringbuf_exec: 3 },
    });
  });

  it('bounds distinct records per window and counts the overflow', () => {
    const agg = new WindowAggregator({ node: 'n1', version: '0.1.0', maxRecords: 2 });
    for (const p of ['/a', '/b', '/c', '/d', '/a']) agg.add(open(p), { local: 'dev' });
    const b = agg.flush('2026-11-28T10:00:00.000Z', '2026-11-28T10:01:00.000Z');
    expect(b.records.map((r) => [r.type === 'open' ? r.path : '', r.type === 'open' ? r.count : 0])).toEqual([
      ['/a', 2],
      ['/b', 1],
    ]);
    expect(b.drops).toEqual({ aggregate_full: 2 });
  });

  it('folds seccomp audit records into seccomp:logged observations with arch, exe, profile and the pod', () => {
    const agg = new WindowAggregator({ node: 'n1', cluster: 'prod', version: '0.1.0' });
    const rec = (name: string, nr: number, action: 'log' | 'errno' = 'log', arch: 'x86_64' | 'aarch64' = 'x86_64') =>
      ({
        type: 'seccomp',
        v: 1,
        ts,
        pid: 42,
        cgroupId: '101',
        arch,
        nr,
        name,
        action,
        code: action === 'log' ? 0x7ffc0000 : 0x50001,
        compat: false,
        comm: 'python3',
        exe: '/usr/bin/python3.11',
      }) as LoaderRecord;
    agg.add(rec('ptrace', 101), A, 'warden-support-support-agent-1a2b3c4d');
    agg.add(rec('ptrace', 101), B, 'warden-support-support-agent-1a2b3c4d');
    agg.add(rec('nr:471', 471, 'log', 'aarch64'), A);
    agg.add(rec('unshare', 272, 'errno'), A);
    const batch = agg.flush('2026-11-28T10:00:00.000Z', '2026-11-28T10:01:00.000Z');
    const r = nodeAgentParser.parse(
      { text: JSON.stringify(batch), line: 1 },
      { identity: noIdentity, promptContent: 'hash-only', excerptChars: 200, file: 'b.json' },
    );
    expect(r.rejects).toEqual([]);
    expect(r.observations.map((o) => [o.subject, o.key, o.count, o.attrs.arch, o.attrs.profile])).toEqual([
      ['k8s:prod/support/support-agent', 'seccomp:logged:ptrace', 2, 'x86_64', 'warden-support-support-agent-1a2b3c4d'],
      ['k8s:prod/support/support-agent', 'seccomp:logged:nr:471', 1, 'aarch64', undefined],
      ['k8s:prod/support/support-agent', 'seccomp:denied:unshare', 1, 'x86_64', undefined],
    ]);
    expect(r.observations[0]).toMatchObject({
      layer: 'kernel',
      kind: 'seccomp',
      attrs: { exe: '/usr/bin/python3.11', comm: 'python3', action: 'log', nr: 101 },
      correlation: { cgroupId: '101', podName: 'support/support-agent-7d9f8b6c5d-x2x9q', pid: 42 },
    });
  });
});
