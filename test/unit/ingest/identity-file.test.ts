import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdentityFileError, parseIdentityMaps } from '../../../lib/app/ingest/identity-file.ts';
import { createIdentityResolver } from '../../../lib/core/identity/resolver.ts';
import { sampleIdentityMaps } from '../../../lib/demo/ingest-sample.ts';

describe('identity file', () => {
  it('round-trips the maps the demo uses and attributes with them', () => {
    const maps = parseIdentityMaps(JSON.stringify(sampleIdentityMaps()));
    const r = createIdentityResolver(maps);
    expect(r.byIp('10.0.1.23', '2026-10-05T08:00:00.000Z')).toBe('k8s:prod/support/support-agent');
    expect(
      r.byPrincipal(
        {
          arn: 'arn:aws:sts::111122223333:assumed-role/code-runner-irsa/s',
          roleArn: 'arn:aws:iam::111122223333:role/code-runner-irsa',
        },
        '2026-10-05T08:00:00.000Z',
      ),
    ).toBe('k8s:prod/analytics/code-runner');
  });

  it.each([
    ['{', /not JSON/],
    ['[]', /\(root\)/],
    ['{"irsa":[{"roleArn":"role/x","cluster":"c","namespace":"n","serviceAccount":"s"}]}', /irsa\.0\.roleArn/],
    ['{"leases":[{"ip":"10.0.0.1","namespace":"n","pod":"p","from":"yesterday"}]}', /leases\.0\.from: an ISO time/],
    ['{"workload":[]}', /Unrecognized key/],
  ])('rejects %s with a message naming the field', (text, message) => {
    expect(() => parseIdentityMaps(text)).toThrow(IdentityFileError);
    expect(() => parseIdentityMaps(text)).toThrow(message);
  });

  it('property: any JSON value either parses or fails with IdentityFileError, never anything else', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        try {
          parseIdentityMaps(JSON.stringify(v));
        } catch (err) {
          expect(err).toBeInstanceOf(IdentityFileError);
        }
      }),
    );
  });
});
