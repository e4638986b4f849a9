import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../lib/core/iam/evaluate.ts';
import { parsePolicyDocument } from '../../../lib/core/iam/policy.ts';
import { wildcardMatch } from '../../../lib/core/iam/wildcard.ts';

describe('parsePolicyDocument', () => {
  it('accepts JSON text, URL-encoded JSON (as the IAM API returns it) and objects', () => {
    const doc = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] };
    for (const input of [doc, JSON.stringify(doc), encodeURIComponent(JSON.stringify(doc))]) {
      const r = parsePolicyDocument(input);
      expect(r.ok).toBe(true);
    }
  });

  it.each([
    ['not json', 'not valid JSON'],
    ['{"Statement":[{"Effect":"Maybe"}]}', 'invalid policy document'],
    [42, 'invalid policy document'],
  ])('rejects %j with a reason', (input, msg) => {
    const r = parsePolicyDocument(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(msg);
  });

  it('never throws on arbitrary input (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.anything()), (input) => {
        const r = parsePolicyDocument(input);
        expect(typeof r.ok).toBe('boolean');
      }),
    );
  });

  it('evaluation never throws on any valid parsed document (property)', () => {
    const stmt = fc.record({
      Effect: fc.constantFrom('Allow', 'Deny'),
      Action: fc.oneof(fc.constantFrom('*', 's3:*', 's3:Get*', 'iam:?et*'), fc.string()),
      Resource: fc.oneof(fc.constantFrom('*', 'arn:aws:s3:::b/*'), fc.string()),
    });
    fc.assert(
      fc.property(fc.array(stmt, { minLength: 1, maxLength: 4 }), fc.string(), (sts, resource) => {
        const r = parsePolicyDocument({ Statement: sts });
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        const d = evaluate(
          { identity: [{ id: 'p', name: 'p', kind: 'inline', document: r.document }] },
          { action: 's3:GetObject', resource },
        );
        expect(['allow', 'explicit-deny', 'implicit-deny']).toContain(d.decision);
      }),
    );
  });
});

describe('wildcardMatch', () => {
  it('a pattern without wildcards matches only itself (property)', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !s.includes('*') && !s.includes('?')),
        fc.string(),
        (p, v) => {
          expect(wildcardMatch(p, v)).toBe(p === v);
          expect(wildcardMatch(p, p)).toBe(true);
        },
      ),
    );
  });

  it('regex metacharacters are literal', () => {
    expect(wildcardMatch('arn:aws:s3:::a.b/(x)+', 'arn:aws:s3:::a.b/(x)+')).toBe(true);
    expect(wildcardMatch('arn:aws:s3:::a.b', 'arn:aws:s3:::axb')).toBe(false);
  });
});

describe('policy variables', () => {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, not a JS template
  it('the ${*} escape in a Resource is a literal asterisk, not a wildcard', () => {
    const policy = {
      id: 'p',
      name: 'p',
      kind: 'inline' as const,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, not a JS template
      document: { Statement: [{ Effect: 'Allow' as const, Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/${*}' }] },
    };
    expect(evaluate({ identity: [policy] }, { action: 's3:GetObject', resource: 'arn:aws:s3:::b/*' }).decision).toBe(
      'allow',
    );
    expect(evaluate({ identity: [policy] }, { action: 's3:GetObject', resource: 'arn:aws:s3:::b/x' }).decision).toBe(
      'implicit-deny',
    );
  });
});

describe('principal context keys', () => {
  it('aws:PrincipalAccount and aws:PrincipalArn come from the principal unless given', () => {
    const policy = {
      id: 'b',
      name: 'b',
      kind: 'resource' as const,
      document: {
        Statement: [
          {
            Effect: 'Allow' as const,
            Principal: '*' as const,
            Action: 's3:GetObject',
            Resource: 'arn:aws:s3:::b/*',
            Condition: { StringEquals: { 'aws:PrincipalAccount': '111122223333' } },
          },
        ],
      },
    };
    const req = (account: string) => ({
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::b/k',
      principal: { roleArn: `arn:aws:iam::${account}:role/r`, account },
    });
    expect(evaluate({ identity: [], resource: [policy] }, req('111122223333')).decision).toBe('allow');
    expect(evaluate({ identity: [], resource: [policy] }, req('999999999999')).decision).toBe('implicit-deny');
  });
});
