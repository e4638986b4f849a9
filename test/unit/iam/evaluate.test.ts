/**
 * Cases from the IAM User Guide: "Policy evaluation logic", "IAM JSON policy elements: NotAction / NotResource",
 * "Permissions boundaries", "Condition operators" and "Policy variables". Each row names the documented rule.
 */
import { describe, expect, it } from 'vitest';
import { type EvalRequest, evaluate, type PolicySet } from '../../../lib/core/iam/evaluate.ts';
import type { NamedPolicy, PolicyDocument } from '../../../lib/core/iam/policy.ts';

const ACCT = '111122223333';
const ROLE = `arn:aws:iam::${ACCT}:role/agent`;
const SESSION = `arn:aws:sts::${ACCT}:assumed-role/agent/s1`;

function pol(name: string, doc: PolicyDocument, kind: NamedPolicy['kind'] = 'inline'): NamedPolicy {
  return { id: `${ROLE}#${name}`, name, kind, document: doc };
}
const allow = (Action: string | string[], Resource: string | string[], extra: object = {}) => ({
  Effect: 'Allow' as const,
  Action,
  Resource,
  ...extra,
});
const deny = (Action: string | string[], Resource: string | string[], extra: object = {}) => ({
  Effect: 'Deny' as const,
  Action,
  Resource,
  ...extra,
});
const req = (action: string, resource: string, context: EvalRequest['context'] = {}): EvalRequest => ({
  action,
  resource,
  principal: { arn: SESSION, roleArn: ROLE, account: ACCT },
  context,
});

interface Row {
  rule: string;
  set: PolicySet;
  request: EvalRequest;
  want: 'allow' | 'explicit-deny' | 'implicit-deny';
  by?: string[];
}

const table: Row[] = [
  {
    rule: 'no policy: every request is implicitly denied',
    set: { identity: [] },
    request: req('s3:GetObject', 'arn:aws:s3:::b/k'),
    want: 'implicit-deny',
  },
  {
    rule: 'an Allow that names action and resource allows',
    set: { identity: [pol('p', { Statement: [allow('s3:GetObject', 'arn:aws:s3:::b/*')] })] },
    request: req('s3:GetObject', 'arn:aws:s3:::b/k'),
    want: 'allow',
    by: ['p#0'],
  },
  {
    rule: 'explicit deny wins over any allow',
    set: {
      identity: [
        pol('a', { Statement: [allow('s3:*', '*')] }),
        pol('d', { Statement: [deny('s3:DeleteObject', 'arn:aws:s3:::b/*')] }),
      ],
    },
    request: req('s3:DeleteObject', 'arn:aws:s3:::b/k'),
    want: 'explicit-deny',
    by: ['d#0'],
  },
  {
    rule: 'a Deny for another action does not affect this one',
    set: { identity: [pol('a', { Statement: [allow('s3:*', '*'), deny('s3:DeleteObject', '*')] })] },
    request: req('s3:PutObject', 'arn:aws:s3:::b/k'),
    want: 'allow',
    by: ['a#0'],
  },
  {
    rule: 'action names are case-insensitive',
    set: { identity: [pol('p', { Statement: [allow('S3:getobject', '*')] })] },
    request: req('s3:GetObject', 'arn:aws:s3:::b/k'),
    want: 'allow',
  },
  {
    rule: 'action wildcards: s3:Get* matches GetObject, not PutObject',
    set: { identity: [pol('p', { Statement: [allow('s3:Get*', '*')] })] },
    request: req('s3:PutObject', 'arn:aws:s3:::b/k'),
    want: 'implicit-deny',
  },
  {
    rule: 'resource ARNs are case-sensitive',
    set: { identity: [pol('p', { Statement: [allow('s3:GetObject', 'arn:aws:s3:::Bucket/*')] })] },
    request: req('s3:GetObject', 'arn:aws:s3:::bucket/k'),
    want: 'implicit-deny',
  },
  {
    rule: 'resource wildcard * spans path segments',
    set: { identity: [pol('p', { Statement: [allow('s3:GetObject', 'arn:aws:s3:::b/*')] })] },
    request: req('s3:GetObject', 'arn:aws:s3:::b/a/b/c.txt'),
    want: 'allow',
  },
  {
    rule: 'resource wildcard ? matches exactly one character',
    set: { identity: [pol('p', { Statement: [allow('s3:GetObject', 'arn:aws:s3:::b/file?.txt')] })] },
    request: req('s3:GetObject', 'arn:aws:s3:::b/file10.txt'),
    want: 'implicit-deny',
  },
  {
    rule: 'bucket ARN does not cover its objects (missing resource = implicit deny)',
    set: { identity: [pol('p', { Statement: [allow('s3:GetObject', 'arn:aws:s3:::b')] })] },
    request: req('s3:GetObject', 'arn:aws:s3:::b/k'),
    want: 'implicit-deny',
  },
  {
    rule: 'a statement with no Resource element grants nothing in an identity policy',
    set: { identity: [pol('p', { Statement: [{ Effect: 'Allow', Action: 's3:*' }] })] },
    request: req('s3:GetObject', 'arn:aws:s3:::b/k'),
    want: 'implicit-deny',
  },
  {
    rule: 'Allow with NotAction allows everything except the listed actions',
    set: { identity: [pol('p', { Statement: [{ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }] })] },
    request: req('s3:GetObject', 'arn:aws:s3:::b/k'),
    want: 'allow',
  },
  {
    rule: 'Allow with NotAction does not allow a listed action',
    set: { identity: [pol('p', { Statement: [{ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }] })] },
    request: req('iam:CreateUser', '*'),
    want: 'implicit-deny',
  },
  {
    rule: 'Deny with NotAction denies every action except the listed ones',
    set: {
      identity: [
        pol('p', {
          Statement: [allow('*', '*'), { Effect: 'Deny', NotAction: ['iam:Get*', 'iam:List*'], Resource: '*' }],
        }),
      ],
    },
    request: req('iam:CreateUser', '*'),
    want: 'explicit-deny',
  },
  {
    rule: 'Deny with NotAction leaves the listed actions to the Allow',
    set: {
      identity: [
        pol('p', {
          Statement: [allow('*', '*'), { Effect: 'Deny', NotAction: ['iam:Get*', 'iam:List*'], Resource: '*' }],
        }),
      ],
    },
    request: req('iam:GetRole', '*'),
    want: 'allow',
  },
  {
    rule: 'Allow with NotResource allows other resources only',
    set: {
      identity: [pol('p', { Statement: [{ Effect: 'Allow', Action: 's3:*', NotResource: 'arn:aws:s3:::secret/*' }] })],
    },
    request: req('s3:GetObject', 'arn:aws:s3:::secret/k'),
    want: 'implicit-deny',
  },
  {
    rule: 'Deny with NotResource denies everything outside the named resources',
    set: {
      identity: [
        pol('p', {
          Statement: [
            allow('s3:*', '*'),
            { Effect: 'Deny', Action: 's3:*', NotResource: ['arn:aws:s3:::ok', 'arn:aws:s3:::ok/*'] },
          ],
        }),
      ],
    },
    request: req('s3:GetObject', 'arn:aws:s3:::other/k'),
    want: 'explicit-deny',
  },
  {
    rule: 'permissions boundary: identity allow outside the boundary is implicitly denied',
    set: {
      identity: [pol('p', { Statement: [allow('s3:*', '*')] })],
      boundary: [pol('b', { Statement: [allow('s3:GetObject', '*')] }, 'boundary')],
    },
    request: req('s3:PutObject', 'arn:aws:s3:::b/k'),
    want: 'implicit-deny',
  },
  {
    rule: 'permissions boundary: the intersection is allowed',
    set: {
      identity: [pol('p', { Statement: [allow('s3:*', '*')] })],
      boundary: [pol('b', { Statement: [allow('s3:GetObject', '*')] }, 'boundary')],
    },
    request: req('s3:GetObject', 'arn:aws:s3:::b/k'),
    want: 'allow',
    by: ['p#0'],
  },
  {
    rule: 'permissions boundary alone grants nothing',
    set: { identity: [], boundary: [pol('b', { Statement: [allow('*', '*')] }, 'boundary')] },
    request: req('s3:GetObject', 'arn:aws:s3:::b/k'),
    want: 'implicit-deny',
  },
  {
    rule: 'a Deny in the boundary is an explicit deny',
    set: {
      identity: [pol('p', { Statement: [allow('*', '*')] })],
      boundary: [pol('b', { Statement: [allow('*', '*'), deny('iam:*', '*')] }, 'boundary')],
    },
    request: req('iam:PassRole', '*'),
    want: 'explicit-deny',
  },
  {
    rule: 'resource policy alone allows a principal it names (same account)',
    set: {
      identity: [],
      resource: [
        pol(
          'bucket',
          { Statement: [allow('s3:GetObject', 'arn:aws:s3:::b/*', { Principal: { AWS: ROLE } })] },
          'resource',
        ),
      ],
    },
    request: req('s3:GetObject', 'arn:aws:s3:::b/k'),
    want: 'allow',
    by: ['bucket#0'],
  },
  {
    rule: 'resource policy naming the account only delegates to identity policies',
    set: {
      identity: [],
      resource: [
        pol(
          'bucket',
          {
            Statement: [allow('s3:GetObject', 'arn:aws:s3:::b/*', { Principal: { AWS: `arn:aws:iam::${ACCT}:root` } })],
          },
          'resource',
        ),
      ],
    },
    request: req('s3:GetObject', 'arn:aws:s3:::b/k'),
    want: 'implicit-deny',
  },
  {
    rule: 'resource policy with Principal * allows anyone',
    set: {
      identity: [],
      resource: [
        pol('bucket', { Statement: [allow('s3:GetObject', 'arn:aws:s3:::b/*', { Principal: '*' })] }, 'resource'),
      ],
    },
    request: req('s3:GetObject', 'arn:aws:s3:::b/k'),
    want: 'allow',
  },
  {
    rule: 'resource policy granting the role ARN is limited by the boundary',
    set: {
      identity: [],
      boundary: [pol('b', { Statement: [allow('s3:ListBucket', '*')] }, 'boundary')],
      resource: [
        pol(
          'bucket',
          { Statement: [allow('s3:GetObject', 'arn:aws:s3:::b/*', { Principal: { AWS: ROLE } })] },
          'resource',
        ),
      ],
    },
    request: req('s3:GetObject', 'arn:aws:s3:::b/k'),
    want: 'implicit-deny',
  },
  {
    rule: 'resource policy granting the session ARN is not limited by the boundary',
    set: {
      identity: [],
      boundary: [pol('b', { Statement: [allow('s3:ListBucket', '*')] }, 'boundary')],
      resource: [
        pol(
          'bucket',
          { Statement: [allow('s3:GetObject', 'arn:aws:s3:::b/*', { Principal: { AWS: SESSION } })] },
          'resource',
        ),
      ],
    },
    request: req('s3:GetObject', 'arn:aws:s3:::b/k'),
    want: 'allow',
  },
  {
    rule: 'a Deny in a resource policy wins over an identity allow',
    set: {
      identity: [pol('p', { Statement: [allow('s3:*', '*')] })],
      resource: [pol('bucket', { Statement: [deny('s3:*', 'arn:aws:s3:::b/*', { Principal: '*' })] }, 'resource')],
    },
    request: req('s3:PutObject', 'arn:aws:s3:::b/k'),
    want: 'explicit-deny',
  },
  {
    rule: 'StringEquals on a present key',
    set: {
      identity: [
        pol('p', {
          Statement: [allow('s3:*', '*', { Condition: { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } } })],
        }),
      ],
    },
    request: req('s3:GetObject', 'arn:aws:s3:::b/k', { 'aws:requestedregion': 'eu-west-1' }),
    want: 'allow',
  },
  {
    rule: 'a positive operator on an absent key is false',
    set: {
      identity: [
        pol('p', {
          Statement: [allow('s3:*', '*', { Condition: { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } } })],
        }),
      ],
    },
    request: req('s3:GetObject', 'arn:aws:s3:::b/k'),
    want: 'implicit-deny',
  },
  {
    rule: '...IfExists is true on an absent key',
    set: {
      identity: [
        pol('p', {
          Statement: [
            allow('s3:*', '*', { Condition: { StringEqualsIfExists: { 'aws:RequestedRegion': 'eu-west-1' } } }),
          ],
        }),
      ],
    },
    request: req('s3:GetObject', 'arn:aws:s3:::b/k'),
    want: 'allow',
  },
  {
    rule: 'a negated operator on an absent key is true',
    set: {
      identity: [
        pol('p', {
          Statement: [
            allow('*', '*'),
            deny('*', '*', { Condition: { StringNotEquals: { 'aws:PrincipalTag/team': 'ml' } } }),
          ],
        }),
      ],
    },
    request: req('s3:GetObject', 'arn:aws:s3:::b/k'),
    want: 'explicit-deny',
  },
  {
    rule: 'several values for one key are ORed',
    set: {
      identity: [
        pol('p', {
          Statement: [
            allow('s3:*', '*', { Condition: { StringEquals: { 'aws:RequestedRegion': ['us-east-1', 'eu-west-1'] } } }),
          ],
        }),
      ],
    },
    request: req('s3:GetObject', 'arn:aws:s3:::b/k', { 'aws:RequestedRegion': 'eu-west-1' }),
    want: 'allow',
  },
  {
    rule: 'several operators are ANDed',
    set: {
      identity: [
        pol('p', {
          Statement: [
            allow('s3:*', '*', {
              Condition: {
                StringEquals: { 'aws:RequestedRegion': 'eu-west-1' },
                Bool: { 'aws:SecureTransport': 'true' },
              },
            }),
          ],
        }),
      ],
    },
    request: req('s3:GetObject', 'arn:aws:s3:::b/k', {
      'aws:RequestedRegion': 'eu-west-1',
      'aws:SecureTransport': false,
    }),
    want: 'implicit-deny',
  },
  {
    rule: 'Deny when aws:SecureTransport is false (Bool)',
    set: {
      identity: [
        pol('p', {
          Statement: [allow('*', '*'), deny('s3:*', '*', { Condition: { Bool: { 'aws:SecureTransport': 'false' } } })],
        }),
      ],
    },
    request: req('s3:GetObject', 'arn:aws:s3:::b/k', { 'aws:SecureTransport': false }),
    want: 'explicit-deny',
  },
  {
    rule: 'StringLike with wildcards',
    set: {
      identity: [
        pol('p', {
          Statement: [allow('s3:ListBucket', '*', { Condition: { StringLike: { 's3:prefix': ['home/*'] } } })],
        }),
      ],
    },
    request: req('s3:ListBucket', 'arn:aws:s3:::b', { 's3:prefix': 'home/alice/' }),
    want: 'allow',
  },
  {
    rule: 'policy variable aws:username in Resource',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, not a JS template
    set: { identity: [pol('p', { Statement: [allow('s3:GetObject', 'arn:aws:s3:::b/home/${aws:username}/*')] })] },
    request: req('s3:GetObject', 'arn:aws:s3:::b/home/bob/x', { 'aws:username': 'alice' }),
    want: 'implicit-deny',
  },
  {
    rule: 'NumericLessThanEquals',
    set: {
      identity: [
        pol('p', {
          Statement: [allow('s3:ListBucket', '*', { Condition: { NumericLessThanEquals: { 's3:max-keys': '10' } } })],
        }),
      ],
    },
    request: req('s3:ListBucket', 'arn:aws:s3:::b', { 's3:max-keys': 10 }),
    want: 'allow',
  },
  {
    rule: 'DateLessThan (expiring grant)',
    set: {
      identity: [
        pol('p', {
          Statement: [allow('*', '*', { Condition: { DateLessThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' } } })],
        }),
      ],
    },
    request: req('s3:GetObject', 'arn:aws:s3:::b/k', { 'aws:CurrentTime': '2026-11-28T00:00:00Z' }),
    want: 'implicit-deny',
  },
  {
    rule: 'IpAddress / NotIpAddress',
    set: {
      identity: [
        pol('p', {
          Statement: [
            allow('*', '*'),
            deny('*', '*', { Condition: { NotIpAddress: { 'aws:SourceIp': ['192.0.2.0/24', '2001:db8::/32'] } } }),
          ],
        }),
      ],
    },
    request: req('s3:GetObject', 'arn:aws:s3:::b/k', { 'aws:SourceIp': '2001:db8::1' }),
    want: 'allow',
  },
  {
    rule: 'ArnLike compares the ARN part by part',
    set: {
      identity: [
        pol('p', {
          Statement: [
            allow('iam:PassRole', '*', {
              Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:lambda:*:111122223333:function:*' } },
            }),
          ],
        }),
      ],
    },
    request: req('iam:PassRole', '*', { 'aws:SourceArn': 'arn:aws:lambda:eu-west-1:999999999999:function:f' }),
    want: 'implicit-deny',
  },
  {
    rule: 'Null: true means the key must be absent',
    set: {
      identity: [
        pol('p', {
          Statement: [allow('*', '*'), deny('*', '*', { Condition: { Null: { 'aws:MultiFactorAuthAge': 'true' } } })],
        }),
      ],
    },
    request: req('iam:CreateUser', '*'),
    want: 'explicit-deny',
  },
  {
    rule: 'ForAllValues is true for an absent multi-valued key',
    set: {
      identity: [
        pol('p', {
          Statement: [
            allow('dynamodb:GetItem', '*', {
              Condition: { 'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['id', 'name'] } },
            }),
          ],
        }),
      ],
    },
    request: req('dynamodb:GetItem', 'arn:aws:dynamodb:eu-west-1:111122223333:table/t'),
    want: 'allow',
  },
  {
    rule: 'ForAllValues fails when one value is outside the set',
    set: {
      identity: [
        pol('p', {
          Statement: [
            allow('dynamodb:GetItem', '*', {
              Condition: { 'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['id', 'name'] } },
            }),
          ],
        }),
      ],
    },
    request: req('dynamodb:GetItem', 'arn:aws:dynamodb:eu-west-1:111122223333:table/t', {
      'dynamodb:Attributes': ['id', 'ssn'],
    }),
    want: 'implicit-deny',
  },
  {
    rule: 'ForAnyValue matches when one value is in the set',
    set: {
      identity: [
        pol('p', {
          Statement: [
            allow('*', '*'),
            deny('*', '*', { Condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['owner'] } } }),
          ],
        }),
      ],
    },
    request: req('ec2:CreateTags', '*', { 'aws:TagKeys': ['env', 'owner'] }),
    want: 'explicit-deny',
  },
  {
    rule: 'an unknown condition operator never lets an Allow match',
    set: {
      identity: [
        pol('p', { Statement: [allow('*', '*', { Condition: { StringSoundsLike: { 'aws:username': 'x' } } })] }),
      ],
    },
    request: req('s3:GetObject', 'arn:aws:s3:::b/k', { 'aws:username': 'x' }),
    want: 'implicit-deny',
  },
];

describe('evaluate (AWS policy evaluation documentation cases)', () => {
  it.each(table)('$rule', (row) => {
    const d = evaluate(row.set, row.request);
    expect(d.decision).toBe(row.want);
    const names = [...d.allowedBy, ...d.deniedBy].map((r) => `${r.policyName}#${r.index}`);
    if (row.by) expect(names).toEqual(row.by);
  });

  it('reports a boundary that blocked an identity allow', () => {
    const d = evaluate(
      { identity: [pol('p', { Statement: [allow('s3:*', '*')] })], boundary: [] },
      req('s3:GetObject', 'arn:aws:s3:::b/k'),
    );
    expect(d.boundaryBlocked).toBe(true);
    expect(d.reason).toMatch(/boundary/);
  });
});
