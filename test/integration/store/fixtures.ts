/** Observation builders for store tests. */
import type { Layer, Observation } from '../../../lib/core/observation.ts';
import { keyKind } from '../../../lib/core/observation.ts';

export function obs(
  id: string,
  time: string,
  key: string,
  opts: { subject?: string; layer?: Layer; count?: number; attrs?: Observation['attrs'] } = {},
): Observation {
  return {
    v: 1,
    id,
    time,
    source: key.startsWith('net:') ? 'vpc-flow' : 'cloudtrail',
    subject: opts.subject ?? 'k8s:prod/support/support-agent',
    layer: opts.layer ?? (key.startsWith('net:') ? 'network' : 'cloud-api'),
    kind: keyKind(key),
    key,
    count: opts.count ?? 1,
    correlation: { eventId: id },
    attrs: opts.attrs ?? {},
  };
}

/** A few hours of a support agent: S3 reads, model calls, egress, and kernel syscalls (no evidence kept for those). */
export function sampleStream(n: number, startIso = '2026-10-05T08:00:00.000Z'): Observation[] {
  const start = new Date(startIso).getTime();
  const keys = [
    'api:s3:GetObject:arn:aws:s3:::tickets/*',
    'api:bedrock:InvokeModel:arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet-20241022-v2:0',
    'net:egress:52.216.1.2/32:443',
    'syscall:openat',
  ];
  const out: Observation[] = [];
  for (let i = 0; i < n; i++) {
    const key = keys[i % keys.length] as string;
    const time = new Date(start + i * 37_000).toISOString();
    out.push(
      obs(`ev-${i}`, time, key, {
        layer: key.startsWith('syscall') ? 'kernel' : undefined,
        count: key.startsWith('syscall') ? 10 : 1,
        attrs: key.startsWith('net') ? { bytes: 1000 + i, packets: 3, dstport: 443 } : { region: 'us-east-1' },
      }),
    );
  }
  return out;
}
