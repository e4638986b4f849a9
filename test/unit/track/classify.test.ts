import { describe, expect, it } from 'vitest';
import { classifyTrack, inferAgentClass, type TrackInput } from '../../../lib/core/track/classify.ts';

const base: TrackInput = {
  subject: 'k8s:prod/support/support-agent',
  labels: {},
  resources: [],
  observedKeys: [],
  declaredTools: [],
  grantedAccessLevels: [],
  subjects: [],
};

describe('classifyTrack', () => {
  it('a pii customer-support agent is pre-enforced, with reasons', () => {
    const d = classifyTrack({
      ...base,
      labels: { 'warden.dev/data-class': 'pii', 'warden.dev/agent-class': 'customer-support' },
      grantedAccessLevels: ['read', 'write'],
    });
    expect(d.track).toBe('pre-enforced');
    expect(d.rule).toBe('R2');
    expect(d.reasons[0]).toMatch(/^R2: pii with write access/);
    expect(d.reasons.join('\n')).toContain('pii (subject label warden.dev/data-class)');
    expect(d.requiredWindow.days).toBe(7);
  });

  it('a read-only retrieval agent observes in production, with reasons', () => {
    const d = classifyTrack({
      ...base,
      subject: 'bedrock:eu-west-1/RETR1',
      observedKeys: ['kb:KB1', 'api:bedrock:Retrieve:arn:aws:bedrock:eu-west-1:1:knowledge-base/KB1'],
      grantedAccessLevels: ['read', 'list'],
    });
    expect(d.track).toBe('observe-in-production');
    expect(d.rule).toBe('R5');
    expect(d.agentClass).toMatchObject({ value: 'retrieval', inferred: true });
    expect(d.reasons).toContain('granted access levels: list, read');
    expect(d.requiredWindow.days).toBe(14);
    expect(d.preEnforced).toBeUndefined();
  });

  it.each([
    [
      'phi on a touched resource -> R1',
      { resources: [{ arn: 'arn:aws:s3:::records', tags: { 'warden.dev/data-class': 'phi' } }] },
      'pre-enforced',
      'R1',
    ],
    ['pci label -> R1', { labels: { 'warden.dev/data-class': 'pci' } }, 'pre-enforced', 'R1'],
    [
      'pii read-only retrieval -> R5',
      {
        labels: { 'warden.dev/data-class': 'pii', 'warden.dev/agent-class': 'retrieval' },
        grantedAccessLevels: ['read' as const],
      },
      'observe-in-production',
      'R5',
    ],
    [
      'permissions management -> R3',
      { grantedAccessLevels: ['read' as const, 'permissions-management' as const] },
      'pre-enforced',
      'R3',
    ],
    [
      'code execution with write -> R4',
      { declaredTools: ['tool:sandbox/execute_code'], grantedAccessLevels: ['write' as const] },
      'pre-enforced',
      'R4',
    ],
    [
      'code execution read-only -> R5',
      { declaredTools: ['tool:sandbox/execute_code'], grantedAccessLevels: ['read' as const] },
      'observe-in-production',
      'R5',
    ],
    [
      'unknown label value is ignored',
      { labels: { 'warden.dev/data-class': 'secret-sauce' } },
      'observe-in-production',
      'R5',
    ],
  ])('%s', (_name, patch, track, rule) => {
    const d = classifyTrack({ ...base, ...patch } as TrackInput);
    expect(d.track).toBe(track);
    expect(d.rule).toBe(rule);
  });

  it('pre-enforced: finds the staging subject, checks the image digest and lists deviations for review', () => {
    const input: TrackInput = {
      ...base,
      labels: {
        'warden.dev/data-class': 'pii',
        'warden.dev/agent-class': 'customer-support',
        'warden.dev/image-digest': 'sha256:aa',
      },
      observedKeys: ['dns:api.zendesk.com', 'dns:evil.example'],
      subjects: [
        { subject: 'k8s:prod/support/support-agent', labels: {} },
        { subject: 'k8s:staging/support/support-agent', labels: { 'warden.dev/image-digest': 'sha256:aa' } },
      ],
      stagingKeys: ['dns:api.zendesk.com'],
    };
    const d = classifyTrack(input);
    expect(d.preEnforced).toEqual({
      stagingSubject: 'k8s:staging/support/support-agent',
      status: 'ready',
      promotionKey: { kind: 'image-digest', production: 'sha256:aa', staging: 'sha256:aa' },
      deviations: ['dns:evil.example'],
    });
    const mismatch = classifyTrack({
      ...input,
      subjects: [{ subject: 'k8s:staging/support/support-agent', labels: { 'warden.dev/image-digest': 'sha256:bb' } }],
    });
    expect(mismatch.preEnforced?.status).toBe('promotion-key-mismatch');
    const none = classifyTrack({ ...input, subjects: [] });
    expect(none.preEnforced?.status).toBe('no-staging-subject');
    expect(none.reasons.join('\n')).toContain('warden.dev/staging-subject');
  });

  it('an explicit staging-subject label wins', () => {
    const d = classifyTrack({
      ...base,
      subject: 'bedrock:eu-west-1/PROD1',
      labels: {
        'warden.dev/data-class': 'phi',
        'warden.dev/staging-subject': 'bedrock:eu-west-1/STG1',
        'warden.dev/agent-version': '7',
      },
      subjects: [{ subject: 'bedrock:eu-west-1/STG1', labels: { 'warden.dev/agent-version': '7' } }],
    });
    expect(d.preEnforced).toMatchObject({
      stagingSubject: 'bedrock:eu-west-1/STG1',
      status: 'ready',
      promotionKey: { kind: 'agent-version' },
    });
  });
});

describe('inferAgentClass', () => {
  it.each([
    [{ observedKeys: ['agent:COLLAB1'] }, 'orchestrator'],
    [{ observedKeys: ['tool:support-tools/getTicket'] }, 'customer-support'],
    [{ observedKeys: ['dns:acme.zendesk.com'] }, 'customer-support'],
    [{ observedKeys: ['exec:/bin/sh'] }, 'code-execution'],
    [{ observedKeys: ['kb:K1'] }, 'retrieval'],
    [{ observedKeys: ['dns:example.com'] }, 'general'],
  ])('%j -> %s', (patch, cls) => {
    expect(inferAgentClass({ labels: {}, declaredTools: [], grantedAccessLevels: [], ...patch }).value).toBe(cls);
  });
});
