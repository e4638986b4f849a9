/**
 * Pod IP leases are identity, not behaviour: a Deployment whose pods get a new IP every day still converges, its
 * envelope holds no `lease:` keys, and its track lists no lease among the deviations from staging.
 */
import { describe, expect, it } from 'vitest';
import { emptyBaseline, updateBaseline } from '../../../lib/core/baseline/update.ts';
import { isBehaviorKey } from '../../../lib/core/observation.ts';
import { classifyTrack, type TrackInput } from '../../../lib/core/track/classify.ts';
import type { AggregateRow } from '../../../lib/ports.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const START = Date.parse('2026-03-02T00:00:00.000Z');
const SUBJECT = 'k8s:prod/support/support-agent';

function row(key: string, t: number, count = 1): AggregateRow {
  const window = new Date(Math.floor(t / HOUR) * HOUR).toISOString();
  const kind = key.slice(0, key.indexOf(':'));
  return {
    subject: SUBJECT,
    key,
    window,
    layer: kind === 'lease' ? 'network' : 'application',
    kind,
    count,
    firstSeen: new Date(t).toISOString(),
    lastSeen: new Date(t).toISOString(),
    sources: ['node-agent'],
    attrs: {},
    sums: {},
  };
}

/** 28 days: the same eight behaviours every few hours, a pod restart (new IP lease) twice a day, drop counters. */
function rows(): AggregateRow[] {
  const out: AggregateRow[] = [];
  const behaviour = ['dns:api.zendesk.com', 'dns:login.salesforce.com', 'exec:/usr/bin/python3', 'tool:getTicket'];
  behaviour.push('api:s3:GetObject:arn:aws:s3:::kb/*', 'model:anthropic.claude', 'syscall:openat', 'syscall:read');
  for (let d = 0; d < 28; d++) {
    for (let h = 0; h < 24; h += 3) for (const k of behaviour) out.push(row(k, START + d * DAY + h * HOUR + 60_000, 5));
    out.push(row(`lease:10.0.${d}.11`, START + d * DAY + 2 * HOUR));
    out.push(row(`lease:10.0.${d}.12`, START + d * DAY + 14 * HOUR));
    out.push(row(`drops:ringbuf-full-${d}`, START + d * DAY + 5 * HOUR));
  }
  return out;
}

describe('leases are identity, not behaviour', () => {
  it('isBehaviorKey', () => {
    expect(isBehaviorKey('lease:10.0.1.2')).toBe(false);
    expect(isBehaviorKey('drops:ringbuf')).toBe(false);
    expect(isBehaviorKey('net:egress:10.0.0.0/8:443')).toBe(true);
    expect(isBehaviorKey('dns:lease.example.com')).toBe(true);
  });

  it('a Deployment with a new pod IP every day reaches stable, with no lease in its envelope', () => {
    const all = rows();
    let b = emptyBaseline(SUBJECT, new Date(START).toISOString());
    for (let d = 1; d <= 28; d++) {
      const now = new Date(START + d * DAY + 2 * HOUR).toISOString();
      b = updateBaseline(
        b,
        all.filter((r) => r.window >= b.watermark),
        now,
      ).baseline;
    }
    expect(b.status).toBe('stable');
    expect(b.entries.map((e) => e.key).filter((k) => !isBehaviorKey(k))).toEqual([]);
    expect(b.entries).toHaveLength(8);
    expect(
      b.convergence
        .filter((p) => p.closed)
        .slice(-7)
        .every((p) => p.newKeys === 0),
    ).toBe(true);
  });

  it('a baseline stored with leases sheds them on its next update', () => {
    const prev = { ...emptyBaseline(SUBJECT, new Date(START).toISOString()), watermark: new Date(START).toISOString() };
    prev.entries = [
      {
        key: 'lease:10.0.0.9',
        layer: 'network',
        kind: 'lease',
        count: 1,
        firstSeen: prev.watermark,
        lastSeen: prev.watermark,
        windows: 1,
        active: true,
      },
      {
        key: 'dns:api.zendesk.com',
        layer: 'application',
        kind: 'dns',
        count: 1,
        firstSeen: prev.watermark,
        lastSeen: prev.watermark,
        windows: 1,
        active: true,
      },
    ];
    const next = updateBaseline(prev, rows().slice(0, 50), new Date(START + DAY).toISOString()).baseline;
    expect(next.entries.some((e) => e.kind === 'lease')).toBe(false);
    expect(next.entries.some((e) => e.key === 'dns:api.zendesk.com')).toBe(true);
  });

  it('the track lists no lease among the deviations from staging and infers no class from one', () => {
    const input: TrackInput = {
      subject: SUBJECT,
      labels: { 'warden.dev/data-class': 'pii', 'warden.dev/image-digest': 'sha256:aa' },
      resources: [],
      observedKeys: ['dns:api.zendesk.com', 'lease:10.0.3.4', 'lease:10.0.3.5', 'drops:ringbuf', 'dns:evil.example'],
      declaredTools: [],
      grantedAccessLevels: [],
      subjects: [
        { subject: SUBJECT, labels: {} },
        { subject: 'k8s:staging/support/support-agent', labels: { 'warden.dev/image-digest': 'sha256:aa' } },
      ],
      stagingKeys: ['dns:api.zendesk.com', 'lease:10.9.9.9'],
    };
    expect(classifyTrack(input).preEnforced?.deviations).toEqual(['dns:evil.example']);
  });
});
