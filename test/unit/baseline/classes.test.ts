import { describe, expect, it } from 'vitest';
import { classBaseline, templateDifferences } from '../../../lib/core/baseline/classes/class-baseline.ts';
import { inferClass } from '../../../lib/core/baseline/classes/infer.ts';
import { CLASS_TEMPLATES } from '../../../lib/core/baseline/classes/templates.ts';
import type { EnvelopeEntry } from '../../../lib/core/baseline/types.ts';
import { keyKind, type Layer } from '../../../lib/core/observation.ts';

const T0 = '2026-02-01T08:00:00.000Z';
const later = (min: number) => new Date(Date.parse(T0) + min * 60_000).toISOString();
const layerOf = (k: string): Layer =>
  k.startsWith('api:')
    ? 'cloud-api'
    : k.startsWith('net:') || k.startsWith('dns:')
      ? 'network'
      : k.startsWith('tool:')
        ? 'tool'
        : k.startsWith('exec:')
          ? 'kernel'
          : 'application';
const entry = (key: string, firstSeen = T0, active = true): EnvelopeEntry => ({
  key,
  layer: layerOf(key),
  kind: keyKind(key),
  count: 3,
  firstSeen,
  lastSeen: later(600),
  windows: 3,
  active,
});

describe('class inference from behavior', () => {
  it.each([
    [
      'shell spawned after startup',
      [entry('exec:/usr/bin/python3'), entry('exec:/bin/sh', later(90))],
      'code-execution',
      'exec:/bin/sh',
    ],
    [
      'executable written to /tmp',
      [entry('exec:/usr/bin/node'), entry('exec:/tmp/*', later(5))],
      'code-execution',
      'exec:/tmp/*',
    ],
    [
      'interpreter only at startup is not code execution',
      [entry('exec:/usr/bin/python3'), entry('api:s3:GetObject:arn:aws:s3:::kb/*')],
      'retrieval',
      'api:s3:GetObject:arn:aws:s3:::kb/*',
    ],
    [
      'invokes another agent',
      [entry('agent:arn:aws:bedrock:us-east-1:1:agent-alias/A/B'), entry('api:s3:PutObject:*')],
      'orchestrator',
      'agent:arn:aws:bedrock:us-east-1:1:agent-alias/A/B',
    ],
    ['bedrock InvokeAgent', [entry('api:bedrock:InvokeAgent:*')], 'orchestrator', 'api:bedrock:InvokeAgent:*'],
    [
      'ticket tools',
      [entry('tool:support-tools/getTicket'), entry('api:s3:PutObject:arn:aws:s3:::export/*')],
      'customer-support',
      'tool:support-tools/getTicket',
    ],
    ['zendesk dns', [entry('dns:acme.zendesk.com')], 'customer-support', 'dns:acme.zendesk.com'],
    [
      'knowledge base reads',
      [
        entry('kb:KB123'),
        entry('api:bedrock:Retrieve:arn:aws:bedrock:us-east-1:1:knowledge-base/KB123'),
        entry('api:bedrock:InvokeModel:*'),
      ],
      'retrieval',
      'kb:KB123',
    ],
    [
      'a single write rules out retrieval',
      [entry('api:s3:GetObject:*'), entry('api:dynamodb:PutItem:*')],
      'general',
      undefined,
    ],
    [
      'aged keys do not count',
      [entry('exec:/bin/sh', later(90), false), entry('api:s3:GetObject:*')],
      'retrieval',
      'api:s3:GetObject:*',
    ],
    ['nothing telling', [entry('syscall:read')], 'general', undefined],
  ] as const)('%s', (_n, entries, want, evidence) => {
    const got = inferClass(entries);
    expect(got.class).toBe(want);
    expect(got.source).toBe('inferred');
    if (evidence) expect(got.evidence).toContain(evidence);
  });
});

describe('acceptance: two agents of different classes in one namespace get different class baselines', () => {
  const coder = classBaseline('k8s:prod/agents/code-runner', {}, [
    entry('exec:/usr/local/bin/python3.11'),
    entry('exec:/bin/bash', later(45)),
    entry('exec:/tmp/*', later(46)),
    entry('net:egress:10.0.3.7/32:443'),
    entry('net:egress:151.101.0.223/32:443', later(50)),
    entry('api:s3:GetObject:arn:aws:s3:::datasets/*'),
  ]);
  const retriever = classBaseline('k8s:prod/agents/kb-search', { 'warden.dev/agent-class': 'retrieval' }, [
    entry('exec:/usr/local/bin/python3.11'),
    entry('kb:KB123'),
    entry('api:bedrock:Retrieve:arn:aws:bedrock:us-east-1:1:knowledge-base/KB123'),
    entry('api:s3:PutObject:arn:aws:s3:::datasets/*', later(300)),
    entry('net:egress:169.254.169.254/32:80', later(10)),
  ]);

  it('same namespace, different classes', () => {
    expect(coder.namespace).toBe('agents');
    expect(retriever.namespace).toBe('agents');
    expect(coder.assignment).toMatchObject({ class: 'code-execution', source: 'inferred' });
    expect(retriever.assignment).toMatchObject({ class: 'retrieval', source: 'label' });
  });

  it('the templates differ in egress posture, code execution, and what they expect of IAM', () => {
    expect(coder.template.egress).toBe('deny-all');
    expect(retriever.template.egress).toBe('allowlist-observed');
    expect(coder.template.interpreterAfterStartup).toBe('allow');
    expect(retriever.template.interpreterAfterStartup).toBe('deny');
    expect(coder.template.tempExec).toBe('allow');
    expect(retriever.template.tempExec).toBe('deny');
    expect(coder.template.readOnlyIam).toBe(true);
    expect(retriever.template.readOnlyIam).toBe(true);
    expect(templateDifferences(coder.template, retriever.template).sort()).toEqual(
      ['driftNewKeyRate', 'egress', 'interpreterAfterStartup', 'tempExec'].sort(),
    );
  });

  it('each envelope is checked against its own template', () => {
    expect(coder.violations.map((v) => [v.rule, v.key])).toEqual([
      ['egress-denied', 'net:egress:151.101.0.223/32:443'],
    ]);
    expect(retriever.violations.map((v) => v.rule).sort()).toEqual(['imds-denied', 'write-in-read-only-class']);
  });

  it('an unknown label falls back to inference and is reported', () => {
    const b = classBaseline('k8s:prod/agents/x', { 'warden.dev/agent-class': 'wizard' }, [entry('tool:crm/getTicket')]);
    expect(b.assignment).toMatchObject({ class: 'customer-support', invalidLabel: 'wizard' });
  });

  it('every class has its own template', () => {
    const all = Object.values(CLASS_TEMPLATES);
    for (let i = 0; i < all.length; i++) {
      for (let j = i + 1; j < all.length; j++) expect(templateDifferences(all[i]!, all[j]!).length).toBeGreaterThan(0);
    }
  });
});
