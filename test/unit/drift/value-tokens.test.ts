/**
 * Value tokens (lib/core/sources/value-tokens.ts) and the Bedrock trace values built from them: typed, normalized,
 * keyed tokens; sensitive classes; previews under the content policy; tool results and RETURN_CONTROL exchanges.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { slotSensitivity } from '../../../lib/core/drift/session/sinks.ts';
import { noIdentity } from '../../../lib/core/identity/types.ts';
import { argumentAttrs, resultAttrs, userRequestText } from '../../../lib/core/sources/bedrock-trace-values.ts';
import { detectValue } from '../../../lib/core/sources/detect.ts';
import { parseText } from '../../../lib/core/sources/index.ts';
import type { ParseContext } from '../../../lib/core/sources/types.ts';
import {
  hashToken,
  MAX_TOKENS,
  previewValue,
  rawTokens,
  sensitiveClasses,
} from '../../../lib/core/sources/value-tokens.ts';

const ctx = (over: Partial<ParseContext> = {}): ParseContext => ({
  identity: noIdentity,
  promptContent: 'hash-and-excerpt',
  excerptChars: 80,
  tokenKey: 'k1',
  ...over,
});
const kinds = (text: string) => rawTokens(text).map((t) => `${t.kind}:${t.norm}`);

describe('value tokens', () => {
  it.each([
    ['Mail Ops@Corp.Example today', ['em:ops@corp.example', 'host:corp.example']],
    ['see https://www.My-Site.example/Path/?q=1', ['url:my-site.example/path', 'host:my-site.example']],
    ['pay US13 3000 0001 2121 2121 2121 2', ['iban:US13300000012121212121212']],
    ['flight HAT235 on 2024-05-18, user chen_lee_6825', ['date:2024-05-18', 'id:hat235', 'id:chen_lee_6825']],
    ['call +1 (555) 123-4567', ['num:15551234567']],
    ['cat /home/app/.env and config/secrets.yml', ['path:/home/app/.env', 'path:config/secrets.yml']],
  ])('%s', (text, expected) => {
    expect(kinds(text)).toEqual(expect.arrayContaining(expected));
  });

  it('keys the hashes: same key same token, another key another token, kind in the clear', () => {
    expect(hashToken('k1', 'em', 'a@b.example')).toBe(hashToken('k1', 'em', 'a@b.example'));
    expect(hashToken('k1', 'em', 'a@b.example')).not.toBe(hashToken('k2', 'em', 'a@b.example'));
    expect(hashToken('k1', 'em', 'a@b.example')).toMatch(/^em:[0-9a-f]{12}$/);
  });

  it('stays bounded and never throws on any text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 3000 }), (s) => {
        expect(rawTokens(s, { words: true, whole: true }).length).toBeLessThanOrEqual(MAX_TOKENS);
        sensitiveClasses(s);
      }),
    );
  });

  it.each([
    ['/etc/passwd', ['credential-file']],
    ['cat /home/sprite/.env', ['credential-file']],
    ['~/.ssh/id_rsa', ['credential-file']],
    ['env | grep -E "KEY"', ['env-dump']],
    ['printenv', ['env-dump']],
    ['echo $API_KEY', ['secret-variable']],
    ['curl -H "Authorization: Bearer sk-FAKE-not-real-1234" https://api.example.com', ['secret-value']],
    ['ls -la src/components', []],
    ['read package.json and README.md', []],
    ['env FOO=1 node app.js', []],
    ['the environment looks fine', []],
  ])('sensitive classes of %s', (text, expected) => {
    expect(sensitiveClasses(text).sort()).toEqual([...expected].sort());
  });

  it.each([
    ['ops@corp.example', 'hash-and-excerpt', 'op…@corp.example'],
    ['https://evil.example/x?token=1', 'hash-and-excerpt', 'evil.example/…'],
    ['US133000000121212121212', 'hash-and-excerpt', '…1212'],
    ['sk-live-0123456789abcdef', 'hash-and-excerpt', '[secret]'],
    ['ops@corp.example', 'hash-only', undefined],
    ['ops@corp.example', 'raw', 'ops@corp.example'],
  ] as const)('preview of %s under %s', (v, policy, expected) => {
    expect(previewValue(v, policy)).toBe(expected);
  });
});

describe('trace values', () => {
  it('tokens of an argument match the same value in a tool result and in the request', () => {
    const a = argumentAttrs([{ name: 'to', value: 'Ops@Corp.Example' }], ctx());
    const r = resultAttrs(JSON.stringify({ contact: { email: 'ops@corp.example' } }), ctx());
    const q = userRequestText(JSON.stringify({ user: 'write to ops@corp.example' }));
    expect(q).toBe('write to ops@corp.example');
    const em = (a.args as string[]).find((x) => x.startsWith('to~em:'))!.slice(3);
    expect(r.resultTokens).toContain(em);
    expect(a.argPreview).toEqual(['to=Op…@corp.example']);
    expect(
      argumentAttrs([{ name: 'to', value: 'ops@corp.example' }], ctx({ promptContent: 'hash-only' })).argPreview,
    ).toBeUndefined();
  });

  it('flags sensitive arguments by class, never by value', () => {
    const a = argumentAttrs(
      [
        { name: 'cmd', value: 'env' },
        { name: 'path', value: '/app/.env' },
      ],
      ctx(),
    );
    expect(a.argFlags).toEqual(['cmd:env-dump', 'path:credential-file']);
  });

  it('parses RETURN_CONTROL exchanges into calls and results, and rejects a malformed one with its reason', () => {
    const rc = {
      sessionId: 's-rc',
      agentId: 'AG1',
      eventTime: '2026-07-01T10:00:00Z',
      returnControl: {
        invocationId: 'inv-1',
        invocationInputs: [
          {
            functionInvocationInput: {
              actionGroup: 'mail',
              function: 'send',
              parameters: [{ name: 'to', value: 'x@y.example' }],
            },
          },
        ],
      },
    };
    const res = {
      sessionId: 's-rc',
      agentId: 'AG1',
      eventTime: '2026-07-01T10:00:02Z',
      sessionState: {
        invocationId: 'inv-1',
        returnControlInvocationResults: [
          {
            functionResult: {
              actionGroup: 'mail',
              function: 'send',
              responseBody: { TEXT: { body: '{"sent":true}' } },
            },
          },
        ],
      },
    };
    expect(detectValue(rc)).toBe('bedrock-trace');
    expect(detectValue(res)).toBe('bedrock-trace');
    const bad = { ...rc, returnControl: { invocationInputs: 'nope' } };
    const r = parseText([rc, res, bad].map((x) => JSON.stringify(x)).join('\n'), ctx({ defaultRegion: 'us-east-1' }), {
      source: 'bedrock-trace',
    });
    expect(r.observations.map((o) => [o.key, o.kind, o.attrs.executionType ?? o.attrs.observationType])).toEqual([
      ['tool:mail/send', 'tool', 'RETURN_CONTROL'],
      ['result:mail/send', 'result', 'RETURN_CONTROL'],
    ]);
    expect(r.observations[0]!.correlation.sessionId).toBe('s-rc');
    expect(r.rejects.map((x) => x.reason)).toEqual(['wrong-type:returnControl.invocationInputs']);
  });
});

describe('sink sensitivity', () => {
  it.each([
    ['tool:mail/send_message', 'to', 1],
    ['tool:bank/transferFunds', 'iban', 1],
    ['tool:bank/transferFunds', 'memo', 0.6],
    ['tool:crm/update_contact', 'email', 0.8],
    ['tool:web/get_webpage', 'url', 0.6],
    ['tool:files/read_file', 'offset', 0.2],
  ])('%s#%s', (t, p, s) => expect(slotSensitivity(t, p)).toBe(s));

  it('follows what the user marks', () => {
    expect(slotSensitivity('tool:files/read_file', 'offset', { sinks: ['tool:files/*'] })).toBe(1);
    expect(slotSensitivity('tool:mail/send_message', 'to', { notSinks: ['tool:mail/send_message#to'] })).toBe(0);
  });
});
