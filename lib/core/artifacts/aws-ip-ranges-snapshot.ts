/**
 * The shape of the bundled ip-ranges table (aws-ip-ranges.data.ts, written by scripts/refresh-aws-ip-ranges.mjs),
 * apart from the module that reads it (aws-prefixes.ts) so the generated data imports no code.
 */

/** AWS's ip-ranges.json reduced to the services the generator widens to (see aws-ip-ranges.data.ts). */
export interface IpRangesSnapshot {
  source: string;
  /** `createDate` of the ip-ranges.json read; null when the data was not generated from one. */
  createDate: string | null;
  syncToken: string;
  services: string[];
  prefixes: { service: string; region: string; cidr: string }[];
}
