/**
 * VPC and Transit Gateway flow logs in every documented shape: default-ordered headerless lines of v2-v5, v7, v8 and
 * Transit Gateway read by field count and value shapes; custom orders from a header line or a format given once for
 * the file or the CloudWatch log group; record counts per format, and under 5% quarantined in every sample.
 * Fixtures: the AWS VPC User Guide's flow log record examples (test/fixtures/sources/vpc-flow/FORMATS.txt).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseText } from '../../../lib/core/sources/index.ts';
import {
  DEFAULT_FORMATS,
  formatScopes,
  isDefaultFlowLine,
  lookupFlowFormat,
  parseFlowFormat,
} from '../../../lib/core/sources/vpc-flow-format.ts';
import { ctx, fixtures } from './helpers.ts';

const dir = join(fixtures, 'vpc-flow');
const formats = Object.fromEntries(
  readFileSync(join(dir, 'FORMATS.txt'), 'utf8')
    .split('\n')
    .slice(1, 5)
    .map((l) => {
      const [file = '', ...rest] = l.trim().split(/\s{2,}/);
      return [file, rest[0] ?? ''];
    }),
);

function fields(format: string): string[] {
  const p = parseFlowFormat(format);
  if (!p.ok) throw new Error(p.error);
  return p.fields;
}

interface Case {
  file: string;
  /** How the format reaches the parser: none (header or default order), for the file, or for the log group. */
  given?: { file?: string; logGroup?: string };
  records: number;
  observations: number;
  skipped: Record<string, number>;
  quarantined: number;
}

const cases: Case[] = [
  { file: 'v2-default.log', records: 7, observations: 5, skipped: { NODATA: 1, SKIPDATA: 1 }, quarantined: 0 },
  { file: 'v3-all-fields.log', records: 4, observations: 3, skipped: { NODATA: 1 }, quarantined: 0 },
  { file: 'v4-all-fields.log', records: 4, observations: 3, skipped: { NODATA: 1 }, quarantined: 0 },
  { file: 'v5-all-fields.log', records: 4, observations: 3, skipped: { NODATA: 1 }, quarantined: 0 },
  { file: 'v7-all-fields.log', records: 4, observations: 3, skipped: { NODATA: 1 }, quarantined: 0 },
  { file: 'v8-all-fields.log', records: 4, observations: 3, skipped: { NODATA: 1 }, quarantined: 0 },
  { file: 'tgw-default.log', records: 4, observations: 3, skipped: { NODATA: 1 }, quarantined: 0 },
  { file: 'tgw-default-header.log', records: 5, observations: 3, skipped: { header: 1, NODATA: 1 }, quarantined: 0 },
  { file: 'v3-tcp-flags-header.log', records: 9, observations: 8, skipped: { header: 1 }, quarantined: 0 },
  { file: 'v5-service-header.log', records: 3, observations: 2, skipped: { header: 1 }, quarantined: 0 },
  {
    file: 'v3-tcp-flags-custom.log',
    given: { file: 'v3-tcp-flags-custom.log' },
    records: 8,
    observations: 8,
    skipped: {},
    quarantined: 0,
  },
  {
    file: 'v5-service-custom.log',
    given: { file: 'v5-service-custom.log' },
    records: 2,
    observations: 2,
    skipped: {},
    quarantined: 0,
  },
  {
    file: 'cwl-tgw-path.json',
    given: { logGroup: '/aws/vpc/flowlogs/vpc-b' },
    records: 1,
    observations: 4,
    skipped: {},
    quarantined: 0,
  },
  {
    file: 'cwl-nat-gateway.json',
    given: { logGroup: '/aws/vpc/flowlogs/nat' },
    records: 1,
    observations: 6,
    skipped: {},
    quarantined: 0,
  },
];

describe('flow log record counts per format', () => {
  it.each(cases)('$file', (c) => {
    const path = join(dir, c.file);
    const known = new Map<string, readonly string[]>();
    if (c.given) {
      const scope = formatScopes(c.given.logGroup ? { logGroup: c.given.logGroup } : { file: path })[0]!;
      known.set(scope, fields(formats[c.file] ?? ''));
    }
    const r = parseText(
      readFileSync(path, 'utf8'),
      ctx({ file: path, vpcFormat: (where) => lookupFlowFormat(known, where) }),
    );
    expect(r.rejects.map((x) => `${x.reason}: ${x.detail}`)).toEqual([]);
    expect({
      records: r.records,
      observations: r.observations.length,
      skipped: r.skipped,
      quarantined: r.rejects.length,
    }).toEqual({ records: c.records, observations: c.observations, skipped: c.skipped, quarantined: c.quarantined });
    expect(r.rejects.length / Math.max(1, r.records)).toBeLessThan(0.05);
    for (const o of r.observations) expect(o.source).toBe('vpc-flow');
  });
});

describe('what each format reads', () => {
  const parse = (
    file: string,
    vpcFormat?: (w: { file?: string; logGroup?: string }) => readonly string[] | undefined,
  ) =>
    parseText(
      readFileSync(join(dir, file), 'utf8'),
      ctx({ file: join(dir, file), ...(vpcFormat ? { vpcFormat } : {}) }),
    );

  it('v8: the reject reason and the ECS task; v5: flow direction decides the local side', () => {
    const v8 = parse('v8-all-fields.log').observations;
    expect(v8.find((o) => o.attrs.action === 'REJECT')?.attrs).toMatchObject({
      rejectReason: 'BPA',
      ecsServiceName: 'support-agent',
    });
    const v5 = parse('v5-all-fields.log').observations;
    expect(v5.map((o) => [o.subject, o.key, o.attrs.reply])).toEqual([
      ['unattributed:10.0.0.62', 'net:egress:52.213.180.42/32:443', false],
      ['unattributed:10.0.0.62', 'net:egress:52.213.180.42/32:443', true],
      ['unattributed:10.0.0.62', 'net:egress:198.51.100.7/32:22', false],
    ]);
  });

  it('Transit Gateway: the gateway ids and drop counters are kept; its flow direction does not pick the workload', () => {
    const o = parse('tgw-default.log').observations;
    expect(o[0]?.attrs).toMatchObject({ tgwId: 'tgw-0a1b2c3d4e5f60718', resourceType: 'TransitGateway', bytes: 3288 });
    expect(o[2]?.attrs.packetsLostNoRoute).toBe(4);
    // both ends private: the source is the local side, whatever the record's flow-direction says
    expect(o.map((x) => x.key)).toEqual([
      'net:egress:10.40.2.236/32:80',
      'net:ingress:10.20.33.164/32:80',
      'net:egress:10.99.0.10/32:5432',
    ]);
  });

  it('a custom order without a header or a given format is quarantined, saying how to give it', () => {
    const r = parse('v3-tcp-flags-custom.log');
    expect(r.observations).toEqual([]);
    expect(r.rejects).toHaveLength(8);
    expect(r.rejects[0]?.reason).toBe('unknown-format');
    expect(r.rejects[0]?.detail).toMatch(/custom order .*--vpc-format/);
  });

  it('CloudWatch delivery without start/end times takes the event time', () => {
    const known = new Map([['log-group:/aws/vpc/flowlogs/nat', fields(formats['cwl-nat-gateway.json'] ?? '')]]);
    const o = parse('cwl-nat-gateway.json', (w) => lookupFlowFormat(known, w)).observations;
    expect(o[0]?.time).toBe('2019-08-26T19:47:55.000Z');
    // the NAT gateway's interface forwards for 10.0.1.5: the original packet ends (pkt-*) make the key
    expect(o[0]?.key).toBe('net:egress:203.0.113.5/32:*');
  });
});

describe('format strings and scopes', () => {
  it('parses ${field} and plain formats; rejects unknown and repeated fields', () => {
    expect(parseFlowFormat('${version} ${srcaddr} ${dstaddr}')).toEqual({
      ok: true,
      fields: ['version', 'srcaddr', 'dstaddr'],
    });
    expect(parseFlowFormat('version srcaddr bogus')).toMatchObject({
      ok: false,
      error: expect.stringMatching(/unknown flow log field "bogus"/),
    });
    expect(parseFlowFormat('srcaddr srcaddr')).toMatchObject({ ok: false, error: 'field srcaddr given twice' });
    expect(parseFlowFormat('version dstaddr')).toMatchObject({ ok: false });
  });

  it('a file is looked up by flow log id, then S3 prefix, then directory', () => {
    const key =
      's3://logs/team-a/AWSLogs/123456789010/vpcflowlogs/us-east-1/2026/03/02/123456789010_vpcflowlogs_us-east-1_fl-0a1b2c3d4e5f6a7b8_20260302T1405Z_5f2b.log.gz';
    expect(formatScopes({ file: key })).toEqual([
      'flow-log:fl-0a1b2c3d4e5f6a7b8',
      'prefix:s3://logs/team-a/',
      'dir:s3://logs/team-a/AWSLogs/123456789010/vpcflowlogs/us-east-1/2026/03/02',
    ]);
    const m = new Map([['prefix:s3://logs/team-a/', ['version', 'srcaddr']]]);
    expect(lookupFlowFormat(m, { file: key })).toEqual(['version', 'srcaddr']);
    expect(lookupFlowFormat(m, { file: '/tmp/x.log' })).toBeUndefined();
  });

  it('property: a line in a default order is recognized; the same values shuffled into another order are not', () => {
    const value = (f: string) =>
      ({
        version: '5',
        'account-id': '123456789010',
        srcaddr: '10.0.0.1',
        dstaddr: '10.0.0.2',
        'pkt-srcaddr': '10.0.0.1',
        'pkt-dstaddr': '10.0.0.2',
        action: 'ACCEPT',
        'log-status': 'OK',
        type: 'IPv4',
        'interface-id': 'eni-0a',
        'vpc-id': 'vpc-0a',
        'subnet-id': 'subnet-0a',
        'instance-id': 'i-0a',
        region: 'us-east-1',
        'az-id': 'use1-az1',
        'flow-direction': 'egress',
        'traffic-path': '8',
        'resource-type': 'TransitGateway',
        'tgw-id': 'tgw-0a',
        'tgw-attachment-id': 'tgw-attach-0a',
        'tgw-pair-attachment-id': 'tgw-attach-0b',
        'tgw-src-vpc-id': 'vpc-1',
        'tgw-dst-vpc-id': 'vpc-2',
        'tgw-src-subnet-id': 'subnet-1',
        'tgw-dst-subnet-id': 'subnet-2',
        'tgw-src-eni': 'eni-1',
        'tgw-dst-eni': 'eni-2',
        'tgw-src-az-id': 'use1-az1',
        'tgw-dst-az-id': 'use1-az2',
        'tgw-src-vpc-account-id': '123456789010',
        'tgw-dst-vpc-account-id': '123456789010',
      })[f] ??
      (f.startsWith('ecs') || f.startsWith('pkt-') || f.startsWith('sublocation') || f === 'reject-reason'
        ? '-'
        : '42');
    fc.assert(
      fc.property(fc.constantFrom(...DEFAULT_FORMATS), fc.integer({ min: 1, max: 1000 }), (f, seed) => {
        const tokens = f.fields.map(value);
        expect(isDefaultFlowLine(tokens.join(' '))).toBe(true);
        // rotate so the version is no longer first: never read as the default order
        const k = 1 + (seed % (tokens.length - 1));
        expect(isDefaultFlowLine([...tokens.slice(k), ...tokens.slice(0, k)].join(' '))).toBe(false);
      }),
    );
  });
});
