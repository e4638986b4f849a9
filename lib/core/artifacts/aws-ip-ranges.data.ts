/**
 * A hand-transcribed subset of AWS's ip-ranges.json (service S3, the large prefixes of three regions), kept until
 * scripts/refresh-aws-ip-ranges.mjs is run on a machine that can reach ip-ranges.amazonaws.com: it replaces this
 * file with every S3 prefix and the createDate of the file it read. No createDate: it was not generated.
 */
import type { IpRangesSnapshot } from './aws-ip-ranges-snapshot.ts';

export const AWS_IP_RANGES: IpRangesSnapshot = {
  source: 'https://ip-ranges.amazonaws.com/ip-ranges.json (hand-transcribed subset)',
  createDate: null,
  syncToken: '',
  services: ['s3'],
  prefixes: [
    ...['3.5.0.0/19', '16.182.0.0/16', '18.34.0.0/19', '52.216.0.0/15', '54.231.0.0/16'].map((cidr) => ({
      service: 's3',
      region: 'us-east-1',
      cidr,
    })),
    ...['3.5.76.0/22', '52.92.128.0/17', '52.218.128.0/17'].map((cidr) => ({
      service: 's3',
      region: 'us-west-2',
      cidr,
    })),
    ...['3.5.64.0/21', '52.92.0.0/17', '52.218.0.0/17'].map((cidr) => ({ service: 's3', region: 'eu-west-1', cidr })),
  ],
};
