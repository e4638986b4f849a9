import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  bedrockInvocationParser,
  bedrockTraceParser,
  createRecordParser,
  findTicket,
  foundationModelOf,
  parseText,
  redact,
} from '../../../lib/core/sources/index.ts';
import { ctx, fixtures, tableIdentity } from './helpers.ts';

const s3Lines = readFileSync(path.join(fixtures, 'bedrock-invocation-s3.jsonl'), 'utf8').trim().split('\n');
const traceText = readFileSync(path.join(fixtures, 'bedrock-agent-traces.jsonl'), 'utf8');

describe('ticket ids and redaction', () => {
  const tickets: [string, string | undefined][] = [
    ['please look at ticket #12345 today', 'TICKET-12345'],
    ['Ticket no. 991', 'TICKET-991'],
    ['re: ZD-12345 escalation', 'ZD-12345'],
    ['TICKET-123 and ZD-9', 'TICKET-123'],
    ['Zendesk ticket #48213', 'ZD-48213'],
    ['support case 00012345 opened', 'CASE-00012345'],
    ['SF-00012345', 'SF-00012345'],
    ['no ticket here, just 12345', undefined],
  ];
  for (const [text, id] of tickets)
    it(`finds ${id ?? 'nothing'} in "${text}"`, () => expect(findTicket(text)).toBe(id));

  const masks: [string, string][] = [
    ['mail jane.doe+x@example.co.uk now', 'mail [email] now'],
    ['call +1 415-555-0134', 'call [phone]'],
    ['call (415) 555-0134', 'call [phone]'],
    ['card 4111-1111-1111-1111 ok', 'card [card] ok'],
    ['card 4111111111111111', 'card [card]'],
    ['key AKIAIOSFODNN7EXAMPLE', 'key [aws-key]'],
    ['secret=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'secret=[aws-secret]'],
    ['order 2026-03-02 for 10.0.0.1', 'order 2026-03-02 for 10.0.0.1'],
  ];
  for (const [text, out] of masks) it(`redacts "${text}"`, () => expect(redact(text)).toBe(out));
});

describe('foundation model derivation', () => {
  const cases: [string, string | undefined][] = [
    ['anthropic.claude-3-haiku-20240307-v1:0', 'anthropic.claude-3-haiku-20240307-v1:0'],
    ['us.anthropic.claude-3-5-haiku-20241022-v1:0', 'anthropic.claude-3-5-haiku-20241022-v1:0'],
    ['arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0', 'amazon.nova-pro-v1:0'],
    [
      'arn:aws:bedrock:eu-west-1:111122223333:inference-profile/eu.meta.llama3-2-3b-instruct-v1:0',
      'meta.llama3-2-3b-instruct-v1:0',
    ],
    ['arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/a1b2c3d4e5f6', undefined],
    ['arn:aws:bedrock:us-east-1:111122223333:provisioned-model/abc', undefined],
  ];
  for (const [id, fm] of cases) it(id, () => expect(foundationModelOf(id)).toBe(fm));
});

describe('bedrock invocation logs', () => {
  it('keeps the inference profile ARN in the key and the foundation model in attrs', () => {
    const r = bedrockInvocationParser.parse({ text: s3Lines[0]!, line: 1 }, ctx());
    const o = r.observations[0]!;
    expect(o.key).toBe(
      'model:arn:aws:bedrock:us-east-1:111122223333:inference-profile/us.anthropic.claude-3-5-sonnet-20241022-v2:0',
    );
    expect(o).toMatchObject({
      layer: 'application',
      kind: 'model',
      id: 'bedrock-invocation:5b0a7c1e-2f3d-4e5f-8a9b-0c1d2e3f4a5b',
    });
    expect(o.attrs).toMatchObject({
      foundationModel: 'anthropic.claude-3-5-sonnet-20241022-v2:0',
      inputTokens: 412,
      outputTokens: 37,
      operation: 'Converse',
    });
    expect(o.correlation).toMatchObject({ ticket: 'ZD-48213', requestId: '5b0a7c1e-2f3d-4e5f-8a9b-0c1d2e3f4a5b' });
  });

  it('never stores prompt text raw by default, only a hash and a redacted excerpt', () => {
    const o = bedrockInvocationParser.parse({ text: s3Lines[0]! }, ctx({ excerptChars: 1000 })).observations[0]!;
    const all = JSON.stringify(o);
    expect(all).not.toContain('jane.doe@example.com');
    expect(all).not.toContain('4111 1111');
    expect(all).not.toContain('415-555-0134');
    expect(o.attrs.inputSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(String(o.attrs.inputExcerpt)).toContain('[email]');
  });

  it('hash-only keeps no excerpt; raw keeps the text', () => {
    const h = bedrockInvocationParser.parse({ text: s3Lines[0]! }, ctx({ promptContent: 'hash-only' }))
      .observations[0]!;
    expect(h.attrs.inputExcerpt).toBeUndefined();
    expect(h.attrs.inputText).toBeUndefined();
    expect(h.correlation.ticket).toBe('ZD-48213');
    const raw = bedrockInvocationParser.parse({ text: s3Lines[0]! }, ctx({ promptContent: 'raw' })).observations[0]!;
    expect(String(raw.attrs.inputText)).toContain('jane.doe@example.com');
  });

  it('cuts the excerpt to excerptChars', () => {
    const o = bedrockInvocationParser.parse({ text: s3Lines[0]! }, ctx({ excerptChars: 20 })).observations[0]!;
    expect(String(o.attrs.inputExcerpt).length).toBe(20);
  });

  it('resolves the subject by principal, then by the agent role', () => {
    const identity = tableIdentity({
      principals: { 'arn:aws:iam::111122223333:role/support-agent-pod-role': 'k8s:prod/support/support-agent' },
    });
    expect(bedrockInvocationParser.parse({ text: s3Lines[0]! }, ctx({ identity })).observations[0]!.subject).toBe(
      'k8s:prod/support/support-agent',
    );
  });

  it('reads the CloudWatch subscription payload and counts CONTROL_MESSAGE', () => {
    const r = parseText(readFileSync(path.join(fixtures, 'bedrock-invocation-cloudwatch.jsonl'), 'utf8'), ctx());
    expect(r.observations.map((o) => o.id)).toEqual([
      'bedrock-invocation:5b0a7c1e-2f3d-4e5f-8a9b-0c1d2e3f4a5b',
      'bedrock-invocation:6c1b8d2f-3a4e-4f60-9bac-1d2e3f4a5b6c',
    ]);
    expect(r.skipped).toEqual({ CONTROL_MESSAGE: 1 });
    // Same ids as the S3 delivery of the same invocations: replaying both paths stores once.
    const s3 = parseText(s3Lines.join('\n'), ctx());
    expect(s3.observations.slice(0, 2)).toEqual(r.observations);
  });

  const rejects: [string, string, string][] = [
    [
      'truncated gzip',
      JSON.stringify({
        awslogs: {
          data: gzipSync(Buffer.from('{"messageType":"DATA_MESSAGE","logEvents":[]}'))
            .subarray(0, 20)
            .toString('base64'),
        },
      }),
      'truncated-gzip',
    ],
    ['not gzip', JSON.stringify({ awslogs: { data: Buffer.from('hello').toString('base64') } }), 'invalid-gzip'],
    ['not base64', JSON.stringify({ awslogs: { data: '%%%' } }), 'invalid-base64'],
    ['data not a string', JSON.stringify({ awslogs: { data: 5 } }), 'wrong-type:awslogs.data'],
    [
      'logEvents wrong type',
      JSON.stringify({ messageType: 'DATA_MESSAGE', logEvents: {} }),
      'invalid-cloudwatch-payload:logEvents',
    ],
    [
      'schema version',
      s3Lines[1]!.replace('"schemaVersion":"1.0"', '"schemaVersion":"2.0"'),
      'unsupported-schema-version',
    ],
    [
      'model id missing',
      s3Lines[1]!.replace('"modelId":"anthropic.claude-3-haiku-20240307-v1:0",', ''),
      'missing-field:modelId',
    ],
    [
      'token count a string',
      s3Lines[1]!.replace('"inputTokenCount":38', '"inputTokenCount":"38"'),
      'wrong-type:input.inputTokenCount',
    ],
    ['bad timestamp', s3Lines[1]!.replace('2026-03-02 14:05:03.250000000', 'soon'), 'invalid-time:timestamp'],
  ];
  for (const [name, text, reason] of rejects) {
    it(`rejects ${name}`, () => {
      const r = bedrockInvocationParser.parse({ text, line: 9 }, ctx());
      expect(r.observations).toEqual([]);
      expect(r.rejects.map((x) => x.reason)).toEqual([reason]);
    });
  }

  it('a bad event inside a payload rejects only that event', () => {
    const payload = {
      messageType: 'DATA_MESSAGE',
      logEvents: [
        { id: '1', timestamp: 1, message: s3Lines[1] },
        { id: '2', timestamp: 2, message: '{"schemaType":' },
      ],
    };
    const r = bedrockInvocationParser.parse({ text: JSON.stringify(payload) }, ctx());
    expect(r.observations).toHaveLength(1);
    expect(r.rejects.map((x) => x.reason)).toEqual(['invalid-json']);
  });
});

describe('bedrock agent traces', () => {
  const r = parseText(traceText, ctx());

  it('turns tool, knowledge base and collaborator calls into tool-layer observations with session sequence', () => {
    const tools = r.observations.filter((o) => o.layer === 'tool' && o.kind !== 'result');
    expect(tools.map((o) => [o.key, o.attrs.seq])).toEqual([
      ['tool:support-tools/getTicket', 1],
      ['kb:KBREFUND01', 2],
      ['tool:export-tools/customers/export', 3],
      ['agent:arn:aws:bedrock:us-east-1:111122223333:agent-alias/BILLINGAG1/PRODALIAS2', 4],
    ]);
    for (const o of tools) {
      expect(o.subject).toBe('bedrock:us-east-1/SUPPORTAG1');
      expect(o.correlation).toMatchObject({ sessionId: 'sess-20260302-0001', requestId: 'inv-9f1e2d3c' });
    }
  });

  it('keeps model calls with phase, token usage and the ticket from the prompt', () => {
    const models = r.observations.filter((o) => o.kind === 'model');
    expect(models.map((o) => [o.key, o.attrs.phase, o.attrs.inputTokens ?? null])).toEqual([
      ['model:anthropic.claude-3-5-sonnet-20241022-v2:0', 'input', null],
      ['model:anthropic.claude-3-5-sonnet-20241022-v2:0', 'output', 845],
    ]);
    expect(models[0]!.correlation.ticket).toBe('ZD-48213');
    expect(models[0]!.layer).toBe('application');
  });

  it('keys guardrail interventions and counts what has no behavior key', () => {
    expect(r.observations.filter((o) => o.kind === 'guardrail').map((o) => o.key)).toEqual(['guardrail:*:INTERVENED']);
    expect(r.skipped).toEqual({ 'observation:FINISH': 1, failureTrace: 1 });
    // The action group's output is a tool result (argument provenance), not skipped.
    expect(r.observations.filter((o) => o.kind === 'result').map((o) => [o.key, o.attrs.resultOf])).toEqual([
      ['result:support-tools/getTicket', 'tool:support-tools/getTicket'],
    ]);
    expect(r.rejects).toEqual([]);
  });

  it('gives stable ids: the same file parsed twice yields the same ids', () => {
    const again = parseText(traceText, ctx());
    expect(again.observations.map((o) => o.id)).toEqual(r.observations.map((o) => o.id));
    expect(new Set(r.observations.map((o) => o.id)).size).toBe(r.observations.length);
  });

  it('uses ctx.defaultRegion when no alias ARN names the region, else stays unattributed', () => {
    const part = JSON.stringify({
      agentId: 'AG2',
      sessionId: 's2',
      eventTime: '2026-03-02T10:00:00Z',
      trace: {
        orchestrationTrace: {
          invocationInput: { traceId: 't-0', knowledgeBaseLookupInput: { knowledgeBaseId: 'KB9', text: 'q' } },
        },
      },
    });
    expect(bedrockTraceParser.parse({ text: part }, ctx({ defaultRegion: 'eu-west-1' })).observations[0]!.subject).toBe(
      'bedrock:eu-west-1/AG2',
    );
    expect(bedrockTraceParser.parse({ text: part }, ctx()).observations[0]!.subject).toBe(
      'unattributed:bedrock-agent/AG2',
    );
    const identity = tableIdentity({ agents: { AG2: 'bedrock:eu-west-1/AG2' } });
    expect(bedrockTraceParser.parse({ text: part }, ctx({ identity })).observations[0]!.subject).toBe(
      'bedrock:eu-west-1/AG2',
    );
  });

  const rejects: [string, unknown, string][] = [
    ['no time', { agentId: 'A', sessionId: 's', trace: { orchestrationTrace: {} } }, 'missing-field:eventTime'],
    [
      'trace not an object',
      { agentId: 'A', sessionId: 's', eventTime: '2026-01-01T00:00:00Z', trace: 'x' },
      'wrong-type:trace',
    ],
    [
      'action group name a number',
      {
        agentId: 'A',
        eventTime: '2026-01-01T00:00:00Z',
        trace: {
          orchestrationTrace: {
            invocationInput: { actionGroupInvocationInput: { actionGroupName: 5, function: 'f' } },
          },
        },
      },
      'wrong-type:trace.orchestrationTrace.invocationInput.actionGroupInvocationInput.actionGroupName',
    ],
    [
      'no agent or session',
      { eventTime: '2026-01-01T00:00:00Z', trace: { orchestrationTrace: {} } },
      'missing-field:agentId',
    ],
  ];
  for (const [name, v, reason] of rejects) {
    it(`rejects ${name}`, () => {
      const out = createRecordParser(ctx(), 'bedrock-trace').parse({ text: JSON.stringify(v) });
      expect(out.rejects.map((x) => x.reason)).toEqual([reason]);
    });
  }
});
