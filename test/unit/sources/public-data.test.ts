/**
 * Every record of the public data in ../shared/data/public is either parsed into observations, skipped for a
 * documented reason (NODATA/SKIPDATA), or rejected with a specific reason; nothing throws. The counts are exact, so
 * a parser change that silently drops or newly rejects records fails here.
 *
 * Panther rule_tests_*.jsonl lines are rule unit tests `{rule_id, ..., log}`: the `log` field is the event, fed to
 * the auto-detecting parser as one record. Many are hand-trimmed fragments (no eventTime, no addresses), and some are
 * log types Warden does not ingest (EKS audit, GuardDuty, Route 53 resolver, S3 server access) - those are the
 * rejects below.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRecordParser, mergeResults, parseText } from '../../../lib/core/sources/index.ts';
import type { RecordResult } from '../../../lib/core/sources/types.ts';
import { ctx, publicData } from './helpers.ts';

interface Counts {
  records: number;
  observations: number;
  rejects: Record<string, number>;
  skipped: Record<string, number>;
}

function countsOf(records: number, r: RecordResult): Counts {
  const rejects: Record<string, number> = {};
  for (const x of r.rejects) rejects[x.reason] = (rejects[x.reason] ?? 0) + 1;
  return { records, observations: r.observations.length, rejects, skipped: r.skipped ?? {} };
}

function parseFile(dir: string, file: string): Counts {
  const text = readFileSync(path.join(publicData, dir, file), 'utf8');
  const c = ctx({ file });
  if (!file.startsWith('rule_tests_')) {
    const r = parseText(text, c);
    return countsOf(r.records, r);
  }
  const parser = createRecordParser(c, 'auto');
  const acc: RecordResult = { observations: [], rejects: [], skipped: {} };
  let n = 0;
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    n++;
    const log = JSON.parse(line).log;
    mergeResults(acc, parser.parse({ text: typeof log === 'string' ? log : JSON.stringify(log), line: i + 1 }));
  });
  return countsOf(n, acc);
}

function sum(list: Counts[]): Counts {
  const out: Counts = { records: 0, observations: 0, rejects: {}, skipped: {} };
  for (const c of list) {
    out.records += c.records;
    out.observations += c.observations;
    for (const [k, v] of Object.entries(c.rejects)) out.rejects[k] = (out.rejects[k] ?? 0) + v;
    for (const [k, v] of Object.entries(c.skipped)) out.skipped[k] = (out.skipped[k] ?? 0) + v;
  }
  return out;
}

describe('public data', () => {
  it('is present (CI checks out shared/ beside the clone)', () => {
    if (!existsSync(publicData))
      throw new Error(`public data not found at ${publicData}: place the shared/ folder beside the repository clone`);
  });

  it('Stratus Red Team detonation logs: all 312 CloudTrail records parse', () => {
    const files = [
      ...readdirSync(path.join(publicData, 'stratus-red-team/detonation-logs')).map((f) => [
        'stratus-red-team/detonation-logs',
        f,
      ]),
      ...readdirSync(path.join(publicData, 'stratus-red-team/detonation-logs-older-commits')).map((f) => [
        'stratus-red-team/detonation-logs-older-commits',
        f,
      ]),
    ].filter(([, f]) => f!.endsWith('.json'));
    expect(files).toHaveLength(37);
    const total = sum(files.map(([d, f]) => parseFile(d!, f!)));
    expect(total).toEqual({ records: 312, observations: 312, rejects: {}, skipped: {} });
  });

  it('Stratus Red Team CloudTrail: the same observations whether repeated strings are shared or not', () => {
    const dir = 'stratus-red-team/detonation-logs';
    const files = readdirSync(path.join(publicData, dir)).filter((f) => f.endsWith('.json'));
    for (const file of files) {
      const text = readFileSync(path.join(publicData, dir, file), 'utf8');
      const shared = parseText(text, ctx({ file }));
      const unshared = parseText(text, ctx({ file, shareStrings: false }));
      expect(unshared.observations.length).toBeGreaterThan(0);
      expect(unshared).toEqual(shared);
    }
  });

  const panther: [string, Counts][] = [
    [
      'rule_tests_AWS.CloudTrail.jsonl',
      {
        records: 475,
        observations: 451,
        rejects: {
          'missing-field:eventTime': 18,
          'invalid-time:eventTime': 2,
          'unknown-source': 2,
          'missing-field:eventSource': 1,
          'wrong-type:resources.0': 1,
        },
        skipped: {},
      },
    ],
    ['rule_tests_AWS.BedrockModelInvocation.jsonl', { records: 8, observations: 8, rejects: {}, skipped: {} }],
    [
      'rule_tests_AWS.VPCFlow.jsonl',
      {
        records: 23,
        observations: 0,
        rejects: { 'missing-field:start': 18, 'missing-field:srcaddr': 3, 'invalid-ip:srcaddr': 1 },
        skipped: { SKIPDATA: 1 },
      },
    ],
    [
      'rule_tests_AWS.GuardDuty.jsonl',
      { records: 8, observations: 0, rejects: { 'unsupported-source:guardduty': 8 }, skipped: {} },
    ],
    [
      'rule_tests_AWS.VPCDns.jsonl',
      { records: 13, observations: 0, rejects: { 'unsupported-source:route53-resolver-query-log': 13 }, skipped: {} },
    ],
    [
      'rule_tests_AWS.S3ServerAccess.jsonl',
      {
        records: 16,
        observations: 0,
        rejects: { 'unsupported-source:s3-server-access-log': 14, 'unknown-source': 2 },
        skipped: {},
      },
    ],
    [
      'rule_tests_Amazon.EKS.Audit.jsonl',
      {
        records: 188,
        observations: 0,
        rejects: { 'unsupported-source:eks-audit': 184, 'unknown-source': 4 },
        skipped: {},
      },
    ],
  ];
  for (const [file, expected] of panther)
    it(`Panther ${file}`, () => expect(parseFile('panther-analysis', file)).toEqual(expected));

  it('Panther scenarios: CloudTrail and VPC flow lines parse, S3 access logs are named unsupported', () => {
    const files = readdirSync(path.join(publicData, 'panther-analysis/scenarios'))
      .filter((f) => f.endsWith('.jsonl'))
      .sort();
    const got = Object.fromEntries(files.map((f) => [f, parseFile('panther-analysis/scenarios', f)]));
    const ok = (n: number): Counts => ({ records: n, observations: n, rejects: {}, skipped: {} });
    expect(got).toEqual({
      'test_scenarios__compromised-root-creds__attacker_cloudtrail.jsonl': ok(12),
      'test_scenarios__compromised-root-creds__attacker_s3_access.jsonl': {
        records: 3,
        observations: 0,
        rejects: { 'unsupported-source:s3-server-access-log': 3 },
        skipped: {},
      },
      'test_scenarios__compromised-root-creds__attacker_vpc.jsonl': ok(6),
      'test_scenarios__compromised-root-creds__victim_cloudtrail.jsonl': ok(4),
      'test_scenarios__enrichment-example__attacker_cloudtrail.jsonl': ok(7),
      'test_scenarios__enrichment-example__victim_cloudtrail.jsonl': ok(4),
    });
  });

  it('Stratus Bedrock detonation keeps the non-standard eventTime and the Bedrock keys', () => {
    const text = readFileSync(
      path.join(publicData, 'stratus-red-team/detonation-logs/aws.impact.bedrock-invoke-model.json'),
      'utf8',
    );
    const r = parseText(text, ctx());
    expect(r.rejects).toEqual([]);
    expect(r.observations.every((o) => o.key.startsWith('api:bedrock:'))).toBe(true);
    expect(r.observations.every((o) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(o.time))).toBe(true);
  });
});
