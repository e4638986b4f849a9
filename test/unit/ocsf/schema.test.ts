/**
 * Every OCSF event Warden's mappers emit validates against the declared release (vendor/ocsf-schema-1.7.0): tables
 * over every timeline link and key shape, every rollout step and both drift classifications, a property over
 * arbitrary timeline events, and the validator itself shown to reject what the issue found wrong.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildRolloutAuditEntry, TRANSITION_STEPS } from '../../../lib/core/audit/rollout.ts';
import type { AuditEntry, CrossLayerAuditEntry, LINKS, TimelineEvent } from '../../../lib/core/audit/types.ts';
import type { DriftObject } from '../../../lib/core/drift/types.ts';
import {
  auditEntryToOcsf,
  driftFindings,
  driftToDetectionFinding,
  OCSF_VERSION,
} from '../../../lib/core/ocsf/index.ts';
import { validateOcsfEvent } from '../../../lib/core/ocsf/validate.ts';
import { expectValidOcsf, OCSF_SCHEMA } from '../../support/ocsf-schema.ts';

const T = '2026-10-20T14:05:00.000Z';
type Link = (typeof LINKS)[number];
const ev = (link: Link, key: string, over: Partial<TimelineEvent> = {}): TimelineEvent => ({
  time: T,
  link,
  layer: link === 'cloud-api' ? 'cloud-api' : link === 'egress' ? 'network' : link === 'kernel' ? 'kernel' : 'tool',
  source: link === 'kernel' ? 'aggregate' : 'cloudtrail',
  key,
  count: 1,
  ref: `obs-${key}`,
  subject: 'k8s:prod-eks/support/support-agent',
  correlation: {},
  attrs: {},
  ...over,
});
const entry = (timeline: TimelineEvent[], links: Partial<CrossLayerAuditEntry['links']> = {}): AuditEntry =>
  ({
    schema: 'warden.audit/v1',
    id: 'audit:ZD-1',
    input: 'ZD-1',
    inputType: 'ticket',
    subjects: ['k8s:prod-eks/support/support-agent'],
    from: T,
    to: T,
    builtAt: T,
    links: { tickets: [], sessionIds: [], requestIds: [], roleSessions: [], podIps: [], pods: [], ...links },
    prompt: {},
    timeline,
    counts: { model: 0, tool: 0, 'cloud-api': 0, egress: 0, kernel: 0 },
    truncated: 0,
  }) as CrossLayerAuditEntry;

const TIMELINE: TimelineEvent[] = [
  ev('model', 'model:anthropic.claude-3-5-sonnet-20240620-v1:0', { correlation: { sessionId: 's-1', requestId: 'r' } }),
  ev('model', 'model:amazon.nova-pro-v1:0', { source: 'bedrock-invocation', attrs: { operation: 'Converse' } }),
  ev('tool', 'tool:orders/lookupOrder', { correlation: { sessionId: 's-1' } }),
  ev('tool', 'tool:code-interpreter/execute'),
  ev('tool', 'kb:KB12345678'),
  ev('tool', 'agent:arn:aws:bedrock:us-east-1:111122223333:agent-alias/A/B'),
  ev('cloud-api', 'api:s3:PutObject:arn:aws:s3:::acme-support-exports/*', {
    count: 2400,
    correlation: { roleSession: 'sess', principalArn: 'arn:aws:sts::111122223333:assumed-role/r/sess' },
    attrs: { sourceIPAddress: '10.0.3.17' },
  }),
  ev('cloud-api', 'api:sts:GetCallerIdentity:*', { attrs: { sourceIPAddress: 'bedrock.amazonaws.com' } }),
  ev('cloud-api', 'api:s3:GetObject:arn:aws:s3:::b/k', { attrs: { errorCode: 'AccessDenied' } }),
  ev('cloud-api', 'api:bedrock:InvokeModel:arn:aws:bedrock:us-east-1::foundation-model/x', {
    correlation: { podIp: '10.0.3.17' },
  }),
  ev('egress', 'net:egress:52.217.160.34/32:443', { correlation: { podIp: '10.0.3.17' }, attrs: { bytes: 1200 } }),
  ev('egress', 'net:egress:2600:1f18::1/128:*'),
  ev('egress', 'net:connect:api.example.com:443'),
  ev('kernel', 'exec:/usr/bin/python3', { count: 40, correlation: { pid: 4242 } }),
  ev('kernel', 'exec:/bin/sh'),
  ev('kernel', 'open:/etc/passwd', { count: 3 }),
  ev('kernel', 'ptrace:attach'),
];

describe('OCSF events validate against OCSF 1.7.0', () => {
  it('declares the version it is validated against', () => {
    expect(OCSF_SCHEMA.version).toBe(OCSF_VERSION);
  });

  it('maps every timeline link and key shape to a valid event', () => {
    const out = auditEntryToOcsf(entry(TIMELINE));
    expect(out.map((e) => e.class_uid)).toEqual([
      6003, 6003, 6003, 6003, 6003, 6003, 6003, 6003, 6003, 6003, 4001, 4001, 4001, 1007, 1007, 1001, 1007,
    ]);
    expectValidOcsf(out);
    // one pod known: it is the device of the kernel events
    expectValidOcsf(auditEntryToOcsf(entry(TIMELINE, { pods: ['support-agent-7d9f'], podIps: ['10.0.3.17'] })));
  });

  it('names the operation, not the model, and keeps the AI context unmapped', () => {
    const [model, , tool] = auditEntryToOcsf(entry(TIMELINE));
    expect(model!.api).toMatchObject({ operation: 'InvokeModel', service: { name: 'bedrock-runtime' } });
    expect(model!.resources).toEqual([{ uid: 'anthropic.claude-3-5-sonnet-20240620-v1:0', type: 'Bedrock model' }]);
    expect(model!.ai_model).toBeUndefined();
    expect((model!.unmapped as { ai: unknown }).ai).toMatchObject({ model: { uid: expect.any(String) } });
    expect(tool!.api).toMatchObject({ operation: 'lookupOrder' });
    expect(tool!.src_endpoint).toEqual({ name: 'k8s:prod-eks/support/support-agent' });
  });

  it('gives cloud API calls a CRUD activity, their source address and status', () => {
    const out = auditEntryToOcsf(entry(TIMELINE));
    expect(out[6]).toMatchObject({ activity_id: 1, type_uid: 600301, src_endpoint: { ip: '10.0.3.17' }, count: 2400 });
    expect(out[7]).toMatchObject({ activity_id: 2, src_endpoint: { hostname: 'bedrock.amazonaws.com' } });
    expect(out[8]).toMatchObject({ status_id: 2, status: 'Failure', status_code: 'AccessDenied' });
  });

  it('maps a kernel aggregate to one event with its count, a process and a device', () => {
    const exec = auditEntryToOcsf(entry(TIMELINE)).find((e) => e.class_uid === 1007)!;
    expect(exec).toMatchObject({ count: 40, activity_id: 1, process: { pid: 4242, name: 'python3' } });
    expect(exec.device).toMatchObject({ type_id: 0 });
  });

  it('maps every rollout transition step to a valid Entity Management event', () => {
    const out = Object.keys(TRANSITION_STEPS).flatMap((step) =>
      auditEntryToOcsf(
        buildRolloutAuditEntry(
          {
            rolloutId: 'r-1',
            step,
            time: T,
            ...(['plan', 'record-done', 'record-stop'].includes(step)
              ? {}
              : { class: 'retrieval', track: 'observe-in-production', subjects: ['k8s:c/ns/d'] }),
            ...(step.startsWith('iam-')
              ? { subject: 'k8s:c/ns/d', pullRequest: { number: 3, url: 'https://x/3' } }
              : {}),
            ...(step === 'record-stop' ? { error: 'over threshold' } : {}),
          },
          T,
        ),
      ),
    );
    expect(out).toHaveLength(Object.keys(TRANSITION_STEPS).length);
    expectValidOcsf(out);
  });

  it('emits risky drift as a valid Detection Finding and leaves expected evolution out by default', () => {
    const signal = { score: 1, verdict: 'anomalous' as const, reason: 'r', details: [], evidence: [] };
    const d = (classification: DriftObject['classification']): DriftObject => ({
      id: `k8s:c/ns/d@${classification}`,
      subject: 'k8s:c/ns/d',
      classification,
      score: 0.999,
      from: '2026-10-20T14:00:00.000Z',
      to: '2026-10-20T15:00:00.000Z',
      signals: { deploymentCorrelation: signal, patternContinuity: signal, resourceBounds: signal },
      evidence: [],
      changes: [],
      auditId: 'audit:ZD-1',
      summary: 'risky drift',
    });
    const items = [d('risky'), d('evolution')];
    expect(driftFindings(items).map((f) => f.finding_info)).toEqual([expect.objectContaining({ uid: items[0]!.id })]);
    expectValidOcsf(driftFindings(items, true));
    expect(driftToDetectionFinding(items[0]!)).toMatchObject({ class_uid: 2004, type_uid: 200401, severity_id: 4 });
  });

  it('holds for arbitrary timeline events', () => {
    const link = fc.constantFrom<Link>('model', 'tool', 'cloud-api', 'egress', 'kernel');
    const key = fc.oneof(
      fc.string({ minLength: 1 }).map((s) => `model:${s}`),
      fc.tuple(fc.string(), fc.string()).map(([a, b]) => `tool:${a}/${b}`),
      fc
        .tuple(fc.stringMatching(/^[a-z0-9]+$/), fc.stringMatching(/^[A-Za-z]+$/), fc.string())
        .map(([s, op, r]) => `api:${s}:${op}:${r || '*'}`),
      fc.tuple(fc.ipV4(), fc.integer({ min: 1, max: 65535 })).map(([ip, p]) => `net:egress:${ip}/32:${p}`),
      fc.string().map((s) => `net:egress:${s}`),
      fc.string().map((s) => `exec:${s}`),
      fc.string().map((s) => `open:${s}`),
      fc.string(),
    );
    const event = fc.record({
      link,
      key,
      count: fc.integer({ min: 1, max: 10_000 }),
      podIp: fc.option(fc.ipV4(), { nil: undefined }),
      pid: fc.option(fc.integer({ min: 1, max: 4_000_000 }), { nil: undefined }),
      src: fc.option(fc.oneof(fc.ipV4(), fc.domain(), fc.string()), { nil: undefined }),
      bytes: fc.option(fc.integer({ min: 0 }), { nil: undefined }),
      err: fc.option(fc.string({ minLength: 1 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(
        fc.array(event, { minLength: 1, maxLength: 8 }),
        fc.array(fc.string(), { maxLength: 2 }),
        (es, pods) => {
          const timeline = es.map((x) =>
            ev(x.link, x.key, {
              count: x.count,
              correlation: { ...(x.podIp ? { podIp: x.podIp } : {}), ...(x.pid ? { pid: x.pid } : {}) },
              attrs: {
                ...(x.src !== undefined ? { sourceIPAddress: x.src } : {}),
                ...(x.bytes !== undefined ? { bytes: x.bytes } : {}),
                ...(x.err ? { errorCode: x.err } : {}),
              },
            }),
          );
          for (const e of auditEntryToOcsf(entry(timeline, { pods })))
            expect(validateOcsfEvent(OCSF_SCHEMA, e)).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('the validator rejects what OCSF 1.7.0 does not allow', () => {
  const good = () => auditEntryToOcsf(entry([ev('model', 'model:m')]))[0]!;
  const problems = (e: unknown) => validateOcsfEvent(OCSF_SCHEMA, e).map((p) => `${p.path}: ${p.problem}`);

  it.each([
    ['a missing src_endpoint', (e: Record<string, unknown>) => delete e.src_endpoint, /^src_endpoint: required/],
    ['1.8.0 ai_model', (e: Record<string, unknown>) => (e.ai_model = { name: 'm' }), /^ai_model: not an attribute/],
    ['a wrong type_uid', (e: Record<string, unknown>) => (e.type_uid = 600303), /^type_uid: 600303 is not/],
    [
      'another version',
      (e: Record<string, unknown>) => (e.metadata = { ...(e.metadata as object), version: '1.5.0' }),
      /^metadata.version/,
    ],
    ['an empty actor', (e: Record<string, unknown>) => (e.actor = {}), /^actor.: needs at least one of/],
    ['a string count', (e: Record<string, unknown>) => (e.count = '3'), /^count: expected i/],
    ['a wrong caption', (e: Record<string, unknown>) => (e.severity = 'High'), /^severity: "High" does not match/],
    ['an unknown class', (e: Record<string, unknown>) => (e.class_uid = 6001), /^class_uid: 6001 is not a class/],
  ])('%s', (_name, mutate, expected) => {
    expect(problems(good())).toEqual([]);
    const e = good() as Record<string, unknown>;
    mutate(e);
    expect(problems(e).join('\n')).toMatch(expected);
  });

  it('rejects a process without pid or uid and a file without a type', () => {
    const [p] = auditEntryToOcsf(entry([ev('kernel', 'exec:/bin/sh')]));
    (p!.process as Record<string, unknown>).uid = undefined;
    expect(problems(p)).toContainEqual('process.: needs at least one of pid, uid');
    const [f] = auditEntryToOcsf(entry([ev('kernel', 'open:/etc/passwd')]));
    (f!.file as Record<string, unknown>).type_id = undefined;
    expect(problems(f)).toContainEqual('file.type_id: required attribute missing');
  });
});
