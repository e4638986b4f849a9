import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createRecordParser, detectSource, unsupportedKind } from '../../../lib/core/sources/index.ts';
import { ctx } from './helpers.ts';

const cwl = (messages: string[]) =>
  JSON.stringify({
    awslogs: {
      data: gzipSync(
        JSON.stringify({
          messageType: 'DATA_MESSAGE',
          logEvents: messages.map((m, i) => ({ id: String(i), timestamp: 1, message: m })),
        }),
      ).toString('base64'),
    },
  });

describe('detectSource', () => {
  const cases: [string, string, string | undefined][] = [
    ['node-agent batch', '{"schema":"warden.node-agent/v1","records":[]}', 'node-agent'],
    [
      'raw CloudTrail record',
      '{"eventVersion":"1.09","eventSource":"s3.amazonaws.com","eventName":"GetObject"}',
      'cloudtrail',
    ],
    [
      'EventBridge CloudTrail envelope',
      '{"detail-type":"AWS API Call via CloudTrail","source":"aws.s3","detail":{}}',
      'cloudtrail',
    ],
    ['lower-cased CloudTrail columns', '{"eventsource":"s3.amazonaws.com","eventname":"GetObject"}', 'cloudtrail'],
    ['model invocation log', '{"schemaType":"ModelInvocationLog","schemaVersion":"1.0"}', 'bedrock-invocation'],
    ['trace part', '{"agentId":"A","sessionId":"s","trace":{"orchestrationTrace":{}}}', 'bedrock-trace'],
    [
      'InvokeAgent stream event',
      '{"trace":{"agentId":"A","sessionId":"s","trace":{"guardrailTrace":{}}}}',
      'bedrock-trace',
    ],
    ['CloudWatch payload of invocation logs', cwl(['{"schemaType":"ModelInvocationLog"}']), 'bedrock-invocation'],
    [
      'CloudWatch payload of flow logs',
      cwl(['2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1772460300 1772460360 ACCEPT OK']),
      'vpc-flow',
    ],
    [
      'v2 flow line',
      '2 111122223333 eni-1 10.0.0.1 10.0.0.2 443 40000 6 1 40 1772460300 1772460360 ACCEPT OK',
      'vpc-flow',
    ],
    ['flow header', 'version account-id interface-id srcaddr dstaddr srcport dstport', 'vpc-flow'],
    [
      'flow line as a JSON string',
      '"2 111122223333 eni-1 10.0.0.1 10.0.0.2 443 40000 6 1 40 1772460300 1772460360 ACCEPT OK"',
      'vpc-flow',
    ],
    ['Route 53 resolver log', '{"query_name":"x.","query_type":"A","srcaddr":"10.0.0.1"}', undefined],
    ['arbitrary object', '{"a":1}', undefined],
    ['garbage', 'hello world', undefined],
  ];
  for (const [name, text, src] of cases) it(name, () => expect(detectSource(text)).toBe(src));

  it('names unsupported AWS formats', () => {
    expect(unsupportedKind({ kind: 'Event', verb: 'get', objectRef: {} })).toBe('eks-audit');
    expect(unsupportedKind({ query_name: 'a.', query_type: 'A' })).toBe('route53-resolver-query-log');
    expect(unsupportedKind({ a: 1 })).toBeUndefined();
  });

  it('auto parser handles a mixed file record by record', () => {
    const p = createRecordParser(ctx(), 'auto');
    const reasons = [
      '{"eventVersion":"1.09","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventTime":"2026-01-01T00:00:00Z"}',
      'version srcaddr dstaddr srcport dstport start',
      '2 10.0.0.1 52.1.2.3 40000 443 1772460300',
      '{"a":1}',
      '{"kind":"Event","verb":"get","objectRef":{}}',
      '{not json',
    ].map((text) => {
      const r = p.parse({ text });
      return r.observations.length
        ? r.observations[0]!.source
        : (r.rejects[0]?.reason ?? Object.keys(r.skipped ?? {})[0]);
    });
    expect(reasons).toEqual([
      'cloudtrail',
      'header',
      'vpc-flow',
      'unknown-source',
      'unsupported-source:eks-audit',
      'invalid-json',
    ]);
  });
});
