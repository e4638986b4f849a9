import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { noIdentity } from '../../../lib/core/identity/types.ts';
import type { Observation } from '../../../lib/core/observation.ts';
import {
  isModelFile,
  leasesFromBatch,
  NODE_AGENT_SCHEMA,
  type NodeAgentBatch,
  nodeAgentParser,
} from '../../../lib/core/sources/node-agent.ts';
import type { ParseContext } from '../../../lib/core/sources/types.ts';

const ctx: ParseContext = { identity: noIdentity, promptContent: 'hash-only', excerptChars: 200, file: 'batch.json' };
const digestA = `sha256:${'a'.repeat(64)}`;
const digestB = `sha256:${'b'.repeat(64)}`;
const support = {
  cgroupId: 4242,
  containerId: 'c0ffee'.repeat(10) + 'abcd',
  pod: 'support-7d9f8b6c5d-x2x9q',
  namespace: 'support',
  deployment: 'support-agent',
};

function batch(records: unknown[], extra: Partial<NodeAgentBatch> = {}): NodeAgentBatch {
  return {
    schema: NODE_AGENT_SCHEMA,
    agent: { node: 'ip-10-0-1-17', cluster: 'prod', version: '0.1.0' },
    window: { start: '2026-11-28T10:00:00.000Z', end: '2026-11-28T10:01:00.000Z' },
    drops: {},
    records: records as NodeAgentBatch['records'],
    ...extra,
  };
}
const parse = (b: unknown) => nodeAgentParser.parse({ text: JSON.stringify(b), line: 1 }, ctx);
const brief = (o: Observation) => [o.subject, o.layer, o.key, o.count];

describe('node-agent batch parser', () => {
  it.each<[string, unknown, Array<[string, string, string, number]>]>([
    [
      'exec with argv',
      {
        type: 'exec',
        time: '2026-11-28T10:00:05Z',
        path: '/usr/bin//python3',
        argv: ['python3', 'app.py'],
        pid: 7,
        ppid: 1,
        uid: 1000,
        count: 3,
        attribution: support,
      },
      [['k8s:prod/support/support-agent', 'kernel', 'exec:/usr/bin/python3', 3]],
    ],
    [
      'open of a normal file',
      { type: 'open', path: '/etc/ssl/certs/ca-certificates.crt', flags: 0, attribution: support },
      [['k8s:prod/support/support-agent', 'kernel', 'open:/etc/ssl/certs/ca-certificates.crt', 1]],
    ],
    [
      'open of model weights also yields model:file',
      {
        type: 'open',
        path: '/models/llama/model-00001-of-00002.safetensors',
        size: 4_000_000_000,
        attribution: support,
      },
      [
        ['k8s:prod/support/support-agent', 'kernel', 'open:/models/llama/model-00001-of-00002.safetensors', 1],
        [
          'k8s:prod/support/support-agent',
          'application',
          'model:file:/models/llama/model-00001-of-00002.safetensors',
          1,
        ],
      ],
    ],
    [
      'connect to a service port',
      { type: 'connect', daddr: '52.216.8.1', dport: 443, proto: 'tcp', count: 12, attribution: support },
      [['k8s:prod/support/support-agent', 'network', 'net:egress:52.216.8.1/32:443', 12]],
    ],
    [
      'connect to an ephemeral port drops the port',
      { type: 'connect', daddr: '::1', dport: 40000, attribution: { local: 'dev' } },
      [['local:dev', 'network', 'net:egress:::1/128:*', 1]],
    ],
    [
      'dns query',
      { type: 'dns', qname: 'API.Zendesk.com.', qtype: 'A', answers: ['104.16.51.111'], attribution: support },
      [['k8s:prod/support/support-agent', 'network', 'dns:api.zendesk.com', 1]],
    ],
    [
      'syscall aggregates, by name and by number',
      { type: 'syscalls', counts: { openat: 120, read: 900, 'nr:451': 2 }, attribution: support },
      [
        ['k8s:prod/support/support-agent', 'kernel', 'syscall:openat', 120],
        ['k8s:prod/support/support-agent', 'kernel', 'syscall:read', 900],
        ['k8s:prod/support/support-agent', 'kernel', 'syscall:nr:451', 2],
      ],
    ],
    [
      'seccomp: a monitor profile logged a call (would-be denied)',
      {
        type: 'seccomp',
        syscall: 'personality',
        nr: 135,
        arch: 'x86_64',
        action: 'log',
        exe: '/usr/bin/python3.11',
        comm: 'python3',
        profile: 'warden-support-support-agent-1a2b3c4d',
        pid: 77,
        count: 4,
        attribution: support,
      },
      [['k8s:prod/support/support-agent', 'kernel', 'seccomp:logged:personality', 4]],
    ],
    [
      'seccomp: a real denial, number unknown to the table',
      { type: 'seccomp', syscall: 'nr:470', nr: 470, arch: 'aarch64', action: 'errno', attribution: support },
      [['k8s:prod/support/support-agent', 'kernel', 'seccomp:denied:nr:470', 1]],
    ],
    [
      'unattributed pod keeps namespace/pod',
      { type: 'exec', path: '/bin/sh', attribution: { namespace: 'kube-system', pod: 'aws-node-abcde' } },
      [['unattributed:prod/kube-system/aws-node-abcde', 'kernel', 'exec:/bin/sh', 1]],
    ],
    [
      'unattributed cgroup keeps the path',
      { type: 'exec', path: '/bin/sh', attribution: { cgroupId: '99', cgroupPath: '/system.slice/sshd.service' } },
      [['unattributed:prod/cgroup:/system.slice/sshd.service', 'kernel', 'exec:/bin/sh', 1]],
    ],
    [
      'no attribution at all',
      { type: 'exec', path: '/bin/sh' },
      [['unattributed:prod/cgroup:unknown', 'kernel', 'exec:/bin/sh', 1]],
    ],
    [
      'pod IP lease',
      {
        type: 'lease',
        ip: '10.0.1.23',
        pod: 'support-7d9f8b6c5d-x2x9q',
        namespace: 'support',
        deployment: 'support-agent',
        from: '2026-11-28T09:00:00Z',
        to: null,
      },
      [['k8s:prod/support/support-agent', 'network', 'lease:10.0.1.23', 1]],
    ],
  ])('%s', (_name, record, expected) => {
    const r = parse(batch([record]));
    expect(r.rejects).toEqual([]);
    expect(r.observations.map(brief)).toEqual(expected);
    for (const o of r.observations) {
      expect(o.source).toBe('node-agent');
      expect(o.kind).toBe(o.key.slice(0, o.key.indexOf(':')));
      expect(o.attrs.node).toBe('ip-10-0-1-17');
    }
  });

  it('MCP spawn, failed open with errno, local container start without an image', () => {
    const r = parse(
      batch([
        {
          type: 'mcp-spawn',
          transport: 'stdio',
          name: 'mcp-server-fetch',
          command: ['uvx', 'mcp-server-fetch'],
          attribution: support,
        },
        { type: 'open', path: '/etc/shadow', flags: 0, errno: 13, attribution: support },
        {
          type: 'container-start',
          time: '2026-11-28T10:00:01Z',
          attribution: { local: 'dev' },
          prompts: [{ path: '/home/me/agent/prompts/system.md', sha256: 'd'.repeat(64) }],
        },
      ]),
    );
    expect(r.rejects).toEqual([]);
    expect(r.observations.map(brief)).toEqual([
      ['k8s:prod/support/support-agent', 'tool', 'mcp:stdio:mcp-server-fetch', 1],
      ['k8s:prod/support/support-agent', 'kernel', 'open:/etc/shadow', 1],
      ['local:dev', 'application', 'prompt:/home/me/agent/prompts/system.md', 1],
    ]);
    expect(r.observations[1]?.attrs.errno).toBe(13);
  });

  it('container start yields image, packages, models, MCP servers and prompts', () => {
    const r = parse(
      batch([
        {
          type: 'container-start',
          time: '2026-11-28T10:00:01Z',
          attribution: support,
          image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/support-agent:1.4',
          digest: digestB,
          previousDigest: digestA,
          packages: [
            {
              ecosystem: 'pypi',
              name: 'LangChain',
              version: '0.2.1',
              path: '/usr/lib/python3/site-packages/langchain-0.2.1.dist-info',
            },
            { ecosystem: 'npm', name: '@modelcontextprotocol/sdk', version: '1.0.3' },
          ],
          models: [{ path: '/models/e5/model.onnx', size: 133_000_000 }],
          mcpServers: [
            {
              transport: 'stdio',
              name: '@modelcontextprotocol/server-filesystem',
              command: ['npx', '-y', '@modelcontextprotocol/server-filesystem', '/data'],
            },
          ],
          prompts: [{ path: '/app/prompts/system.md', sha256: 'c'.repeat(64), size: 812 }],
        },
      ]),
    );
    expect(r.rejects).toEqual([]);
    expect(r.observations.map((o) => o.key)).toEqual([
      `image:123456789012.dkr.ecr.us-east-1.amazonaws.com/support-agent:1.4@${digestB}`,
      'pkg:pypi:langchain@0.2.1',
      'pkg:npm:@modelcontextprotocol/sdk@1.0.3',
      'model:file:/models/e5/model.onnx',
      'mcp:stdio:@modelcontextprotocol/server-filesystem',
      'prompt:/app/prompts/system.md',
    ]);
    expect(r.observations[0]?.attrs.deployEvent).toBe(true);
    expect(r.observations[3]?.attrs.size).toBe(133_000_000);
    expect(r.observations[5]?.attrs.sha256).toBe('c'.repeat(64));
    expect(r.observations[4]?.layer).toBe('tool');
  });

  it('same digest as before is not a deploy event', () => {
    const r = parse(
      batch([
        { type: 'container-start', time: '2026-11-28T10:00:01Z', image: 'x', digest: digestA, previousDigest: digestA },
      ]),
    );
    expect(r.observations[0]?.attrs.deployEvent).toBe(false);
  });

  it('a seccomp record carries arch, action, exe, comm, profile and the pod/cgroup correlation', () => {
    const r = parse(
      batch([
        {
          type: 'seccomp',
          syscall: 'ptrace',
          nr: 101,
          arch: 'x86_64',
          exe: '/usr/bin/node',
          comm: 'node',
          profile: 'warden-support-support-agent-1a2b3c4d',
          pid: 9,
          attribution: support,
        },
        { type: 'seccomp', syscall: 'Ptrace;rm', arch: 'x86_64', attribution: support },
        { type: 'seccomp', syscall: 'read', arch: 'sparc', attribution: support },
      ]),
    );
    expect(r.observations).toHaveLength(1);
    const o = r.observations[0]!;
    expect(o.kind).toBe('seccomp');
    expect(o.attrs).toMatchObject({
      arch: 'x86_64',
      action: 'log',
      nr: 101,
      exe: '/usr/bin/node',
      comm: 'node',
      profile: 'warden-support-support-agent-1a2b3c4d',
    });
    expect(o.correlation).toMatchObject({ cgroupId: '4242', podName: 'support/support-7d9f8b6c5d-x2x9q', pid: 9 });
    expect(r.rejects.map((x) => x.reason)).toEqual(['invalid-field:syscall', 'invalid-field:arch']);
  });

  it('a kernel event of a new tracer becomes kernel:<kind>:<key>; a bad kind, key or attribute is rejected', () => {
    const r = parse(
      batch([
        {
          type: 'kernel-event',
          kind: 'mount',
          key: '/mnt/data',
          count: 3,
          attrs: { fstype: 'ext4', ro: true },
          pid: 7,
          attribution: support,
        },
        { type: 'kernel-event', kind: 'Mount;rm', key: '/x', attribution: support },
        { type: 'kernel-event', kind: 'mount', key: '', attribution: support },
        { type: 'kernel-event', kind: 'mount', key: '/y', attrs: { 'a b': 1 }, attribution: support },
        {
          type: 'kernel-event',
          kind: 'mount',
          key: '/z',
          attrs: Object.fromEntries([...Array(17)].map((_, i) => [`a${i}`, i])),
        },
      ]),
    );
    expect(r.observations.map(brief)).toEqual([
      ['k8s:prod/support/support-agent', 'kernel', 'kernel:mount:/mnt/data', 3],
    ]);
    expect(r.observations[0]).toMatchObject({ kind: 'kernel', attrs: { fstype: 'ext4', ro: true } });
    expect(r.observations[0]?.correlation).toMatchObject({ cgroupId: '4242', pid: 7 });
    expect(r.rejects.map((x) => [x.reason, x.location.record])).toEqual([
      ['invalid-field:kind', 1],
      ['invalid-field:key', 2],
      ['invalid-field:attrs.a b', 3],
      ['invalid-field:attrs', 4],
    ]);
  });

  it('drops are shipped as node observations', () => {
    const r = parse(batch([], { drops: { ringbuf: 17, queue: 0 } }));
    expect(r.observations.map(brief)).toEqual([['unattributed:node:prod/ip-10-0-1-17', 'kernel', 'drops:ringbuf', 17]]);
  });

  it('a bad record is rejected with its index; the others still parse', () => {
    const r = parse(
      batch([
        { type: 'exec', path: '/bin/ls' },
        { type: 'connect', daddr: 'not-an-ip', dport: 443 },
        { type: 'teleport', path: '/x' },
        { type: 'dns', qname: 'example.com' },
      ]),
    );
    expect(r.observations.map((o) => o.key)).toEqual(['exec:/bin/ls', 'dns:example.com']);
    expect(r.rejects.map((j) => [j.reason, j.location.record])).toEqual([
      ['invalid-field:daddr', 1],
      ['unknown-record-type', 2],
    ]);
    expect(r.rejects[0]?.location.file).toBe('batch.json');
  });

  it.each([
    ['not json', '{"schema":', 'invalid-json'],
    ['another schema', JSON.stringify({ ...batch([]), schema: 'warden.node-agent/v9' }), 'unsupported-schema'],
    ['missing window', JSON.stringify({ ...batch([]), window: undefined }), 'invalid-field:window'],
    [
      'bad window time',
      JSON.stringify({ ...batch([]), window: { start: 'yesterday', end: 'today' } }),
      'invalid-field:window.start',
    ],
  ])('rejects the whole batch: %s', (_n, text, reason) => {
    const r = nodeAgentParser.parse({ text }, ctx);
    expect(r.observations).toEqual([]);
    expect(r.rejects.map((j) => j.reason)).toEqual([reason]);
  });

  it('ids are stable for a replayed batch and distinct across records', () => {
    const b = batch([
      { type: 'exec', path: '/bin/ls' },
      { type: 'exec', path: '/bin/ls' },
    ]);
    const a = parse(b).observations.map((o) => o.id);
    expect(parse(b).observations.map((o) => o.id)).toEqual(a);
    expect(new Set(a).size).toBe(2);
    const other = parse({ ...b, window: { start: '2026-11-28T10:01:00Z', end: '2026-11-28T10:02:00Z' } });
    expect(other.observations.map((o) => o.id)).not.toEqual(a);
  });

  it('leasesFromBatch returns the leases with the cluster', () => {
    const b = batch([
      { type: 'lease', ip: '10.0.1.23', pod: 'p', namespace: 'n', deployment: 'd', from: '2026-11-28T09:00:00Z' },
      { type: 'exec', path: '/bin/ls' },
    ]);
    expect(leasesFromBatch(b)).toEqual([
      {
        type: 'lease',
        ip: '10.0.1.23',
        pod: 'p',
        namespace: 'n',
        deployment: 'd',
        from: '2026-11-28T09:00:00Z',
        cluster: 'prod',
      },
    ]);
  });

  it.each([
    ['/models/x/pytorch_model-00001-of-00002.bin', true],
    ['/m/ggml-model-q4_0.gguf', true],
    ['/m/model.safetensors', true],
    ['/usr/bin/python3', false],
    ['/data/records.bin', false],
  ])('isModelFile(%s) = %s', (p, want) => {
    expect(isModelFile(p)).toBe(want);
  });
});

describe('node-agent parser properties', () => {
  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 2000 }), (text) => {
        const r = nodeAgentParser.parse({ text }, ctx);
        expect(r.observations.length + r.rejects.length).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 300 },
    );
  });

  it('wrong types in any field of any record: reject for that record, other records survive', () => {
    const good = {
      type: 'exec',
      path: '/bin/ls',
      argv: ['ls'],
      pid: 1,
      ppid: 0,
      uid: 0,
      count: 2,
      attribution: support,
    };
    const fields = Object.keys(good).filter((k) => k !== 'type');
    fc.assert(
      fc.property(
        fc.constantFrom(...fields),
        fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.integer()), fc.object()),
        (field, value) => {
          fc.pre(!(field === 'count' && Number.isInteger(value) && (value as number) > 0));
          fc.pre(!(field === 'path' && typeof value === 'string' && value.length > 0));
          fc.pre(!(['pid', 'ppid', 'uid'].includes(field) && Number.isInteger(value) && (value as number) >= 0));
          fc.pre(!(field === 'argv' && Array.isArray(value) && value.length === 0));
          fc.pre(
            !(
              field === 'attribution' &&
              typeof value === 'object' &&
              value !== null &&
              !Array.isArray(value) &&
              // an object whose keys all hold undefined is `{}` once serialized (batches arrive as JSON): valid
              Object.keys(JSON.parse(JSON.stringify(value))).length === 0
            ),
          );
          const bad = { ...good, [field]: value };
          const r = parse(batch([bad, { type: 'dns', qname: 'ok.example' }]));
          expect(r.rejects).toHaveLength(1);
          expect(r.rejects[0]?.location.record).toBe(0);
          expect(r.observations.map((o) => o.key)).toEqual(['dns:ok.example']);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a 10 MB string field is rejected, not thrown', () => {
    const r = parse(
      batch([
        { type: 'exec', path: `/${'a'.repeat(10_000_000)}` },
        { type: 'exec', path: '/bin/true' },
      ]),
    );
    expect(r.rejects.map((j) => j.reason)).toEqual(['invalid-field:path']);
    expect(r.rejects[0]?.excerpt.length).toBeLessThanOrEqual(2048);
    expect(r.observations.map((o) => o.key)).toEqual(['exec:/bin/true']);
  });
});
