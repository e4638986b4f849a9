import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../lib/core/audit/types.ts';
import type { DriftObject } from '../../../lib/core/drift/types.ts';
import { auditEntryToOcsf, driftToDetectionFinding } from '../../../lib/core/ocsf/index.ts';

const signal = { score: 1, verdict: 'anomalous' as const, reason: 'r', details: [], evidence: [] };
const drift: DriftObject = {
  id: 'k8s:c/ns/d@2026-10-20T14:00:00.000Z',
  subject: 'k8s:c/ns/d',
  classification: 'risky',
  score: 0.999,
  from: '2026-10-20T14:00:00.000Z',
  to: '2026-10-20T14:00:00.000Z',
  signals: { deploymentCorrelation: signal, patternContinuity: signal, resourceBounds: signal },
  evidence: [],
  changes: [],
  auditId: 'audit:ZD-1',
  summary: 'risky drift',
};

describe('OCSF mapping', () => {
  it('maps drift to a Detection Finding (2004)', () => {
    const f = driftToDetectionFinding(drift);
    expect(f).toMatchObject({
      class_uid: 2004,
      category_uid: 2,
      type_uid: 200401,
      severity_id: 4,
      confidence_score: 100,
    });
    expect(f.metadata.correlation_uid).toBe('audit:ZD-1');
  });

  it('maps audit timeline items to API, Network and Process activity', () => {
    const base = { count: 1, ref: 'r', subject: 'k8s:c/ns/d', correlation: {}, attrs: {} };
    const entry = {
      id: 'audit:ZD-1',
      timeline: [
        {
          ...base,
          time: '2026-10-20T14:05:00.000Z',
          link: 'model',
          layer: 'application',
          source: 'bedrock-invocation',
          key: 'model:m',
        },
        {
          ...base,
          time: '2026-10-20T14:05:02.000Z',
          link: 'tool',
          layer: 'tool',
          source: 'bedrock-trace',
          key: 'tool:a/b',
        },
        {
          ...base,
          time: '2026-10-20T14:05:03.000Z',
          link: 'cloud-api',
          layer: 'cloud-api',
          source: 'cloudtrail',
          key: 'api:s3:PutObject:arn:aws:s3:::b/*',
          count: 2400,
        },
        {
          ...base,
          time: '2026-10-20T14:05:04.000Z',
          link: 'egress',
          layer: 'network',
          source: 'vpc-flow',
          key: 'net:egress:52.217.160.34/32:443',
        },
        {
          ...base,
          time: '2026-10-20T14:00:00.000Z',
          link: 'kernel',
          layer: 'kernel',
          source: 'aggregate',
          key: 'exec:/usr/bin/python3',
        },
      ],
    } as unknown as AuditEntry;
    const ev = auditEntryToOcsf(entry);
    expect(ev.map((e) => e.class_uid)).toEqual([6003, 6003, 6003, 4001, 1007]);
    expect(ev[0]!.ai_model).toBeUndefined(); // an OCSF 1.8.0 object: kept in unmapped for 1.7.0
    expect((ev[0]!.unmapped as { ai: unknown }).ai).toMatchObject({ model: { uid: 'm' } });
    expect(ev[2]!.api).toMatchObject({ operation: 'PutObject', service: { name: 's3' } });
    expect(ev[3]!.dst_endpoint).toEqual({ ip: '52.217.160.34', port: 443 });
    expect(ev.every((e) => e.metadata.correlation_uid === 'audit:ZD-1')).toBe(true);
  });
});
