/**
 * AWS service endpoints in generated network policies: traffic to a service endpoint must be allowed to the
 * service's published prefixes (or a VPC endpoint), never to the single IPs one week happened to resolve to.
 *
 * The bundled table (aws-ip-ranges.data.ts, refreshed by scripts/refresh-aws-ip-ranges.mjs) holds the S3 prefixes of
 * AWS's published ip-ranges.json; it is used when the caller passes nothing fresher. Callers with network access pass the current
 * ranges (or their VPC endpoint / managed prefix list CIDRs) as {@link ServicePrefix} entries, which take precedence.
 * Services without published ranges of their own (Bedrock, STS) are recognized by DNS name and reported with the
 * advice to route them through an interface VPC endpoint.
 */
import { AWS_IP_RANGES } from './aws-ip-ranges.data.ts';

export type { IpRangesSnapshot } from './aws-ip-ranges-snapshot.ts';

export interface ServicePrefix {
  service: string;
  region: string;
  cidr: string;
  /** Where the prefix came from: `bundled ip-ranges snapshot`, `ip-ranges.json <date>`, `vpc-endpoint vpce-...`. */
  origin: string;
}

export const BUNDLED_SERVICE_PREFIXES: ServicePrefix[] = AWS_IP_RANGES.prefixes.map((p) => ({
  ...p,
  origin: `bundled ip-ranges ${AWS_IP_RANGES.createDate ?? 'subset (hand-transcribed)'}`,
}));

/** AWS endpoints recognized by DNS name: `bedrock-runtime.us-east-1.amazonaws.com` -> bedrock-runtime. */
export function awsServiceFromDns(name: string): { service: string; region?: string } | undefined {
  const m = /^(?:[a-z0-9-]+\.)*?([a-z0-9-]+)\.(?:([a-z]{2}(?:-gov)?-[a-z]+-\d)\.)?amazonaws\.com$/.exec(name);
  if (!m) return undefined;
  return m[2] ? { service: m[1]!, region: m[2] } : { service: m[1]! };
}
