/**
 * AWS service endpoints in generated network policies: traffic to a service endpoint must be allowed to the
 * service's published prefixes (or a VPC endpoint), never to the single IPs one week happened to resolve to.
 *
 * The bundled table is a snapshot of the S3 ranges for a few regions from AWS's published ip-ranges.json
 * (service "S3"); it is used when the caller passes nothing fresher. Callers with network access pass the current
 * ranges (or their VPC endpoint / managed prefix list CIDRs) as {@link ServicePrefix} entries, which take precedence.
 * Services without published ranges of their own (Bedrock, STS) are recognized by DNS name and reported with the
 * advice to route them through an interface VPC endpoint.
 */

export interface ServicePrefix {
  service: string;
  region: string;
  cidr: string;
  /** Where the prefix came from: `bundled ip-ranges snapshot`, `ip-ranges.json <date>`, `vpc-endpoint vpce-...`. */
  origin: string;
}

const SNAPSHOT = 'bundled ip-ranges snapshot (S3)';

export const BUNDLED_SERVICE_PREFIXES: ServicePrefix[] = [
  ...['52.216.0.0/15', '54.231.0.0/16', '3.5.0.0/19', '16.182.0.0/16', '18.34.0.0/19'].map((cidr) => ({
    service: 's3',
    region: 'us-east-1',
    cidr,
    origin: SNAPSHOT,
  })),
  ...['52.218.128.0/17', '3.5.76.0/22', '52.92.128.0/17'].map((cidr) => ({
    service: 's3',
    region: 'us-west-2',
    cidr,
    origin: SNAPSHOT,
  })),
  ...['52.218.0.0/17', '3.5.64.0/21', '52.92.0.0/17'].map((cidr) => ({
    service: 's3',
    region: 'eu-west-1',
    cidr,
    origin: SNAPSHOT,
  })),
];

/** AWS endpoints recognized by DNS name: `bedrock-runtime.us-east-1.amazonaws.com` -> bedrock-runtime. */
export function awsServiceFromDns(name: string): { service: string; region?: string } | undefined {
  const m = /^(?:[a-z0-9-]+\.)*?([a-z0-9-]+)\.(?:([a-z]{2}(?:-gov)?-[a-z]+-\d)\.)?amazonaws\.com$/.exec(name);
  if (!m) return undefined;
  return m[2] ? { service: m[1]!, region: m[2] } : { service: m[1]! };
}
