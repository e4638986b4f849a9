/**
 * Golden files for the seccomp and IAM artifacts (the NetworkPolicy goldens are in network-policy.test.ts).
 * Regenerate with UPDATE_GOLDEN=1 and review the diff.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadIamCatalog } from '../../../lib/adapters/iam-scope.ts';
import { generateIamTightening } from '../../../lib/core/artifacts/iam-policy.ts';
import { iamArtifactFiles } from '../../../lib/core/artifacts/iam-pr.ts';
import { generateSeccomp } from '../../../lib/core/artifacts/seccomp.ts';
import type { IamCatalog } from '../../../lib/core/iam/catalog.ts';
import type { ObservedBehavior } from '../../../lib/core/reconcile/types.ts';
import { supportBaseline } from './fixtures.ts';

const dir = join(import.meta.dirname, 'golden');
function golden(name: string, actual: string): void {
  const p = join(dir, name);
  if (process.env.UPDATE_GOLDEN) writeFileSync(p, actual);
  if (!existsSync(p)) throw new Error(`golden file ${name} is missing: run with UPDATE_GOLDEN=1 and review it`);
  expect(actual).toBe(readFileSync(p, 'utf8'));
}

const T0 = '2026-11-01T00:00:00.000Z';
const T1 = '2026-11-15T00:00:00.000Z';
const A = '111122223333';
const call = (key: string, eventSource: string, eventName: string): ObservedBehavior => ({
  key,
  count: 40,
  firstSeen: T0,
  lastSeen: T1,
  attrs: { eventSource, eventName, principalArn: `arn:aws:sts::${A}:assumed-role/support-agent/s` },
});

let catalog: IamCatalog;
beforeAll(async () => {
  catalog = await loadIamCatalog(['s3', 'bedrock', 'lambda']);
});

describe('golden artifacts', () => {
  it('seccomp envelope (OCI enforce profile and SPO monitor resource)', () => {
    const { files } = generateSeccomp(supportBaseline);
    golden('support-agent.seccomp.enforce.json', files.find((f) => f.path.endsWith('seccomp.enforce.json'))!.content);
    golden(
      'support-agent.seccompprofile.monitor.yaml',
      files.find((f) => f.path.endsWith('seccompprofile.monitor.yaml'))!.content,
    );
  });

  it('IAM tightening (policy and diff)', () => {
    const observed = [
      call('api:s3:PutObject:arn:aws:s3:::acme-support-exports/*', 's3.amazonaws.com', 'PutObject'),
      call('api:s3:ListObjectsV2:arn:aws:s3:::acme-support-exports', 's3.amazonaws.com', 'ListObjectsV2'),
      call(
        'api:bedrock:Converse:arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0',
        'bedrock.amazonaws.com',
        'Converse',
      ),
      call(`api:lambda:Invoke:arn:aws:lambda:us-east-1:${A}:function:lookup-order`, 'lambda.amazonaws.com', 'Invoke'),
    ];
    const t = generateIamTightening({
      subject: supportBaseline.subject,
      baselineVersion: 7,
      observed,
      findings: [],
      catalog,
    });
    const files = iamArtifactFiles({ subject: supportBaseline.subject, tightening: t, assessments: [] });
    golden('support-agent.iam-policy.json', files.find((f) => f.kind === 'iam-policy')!.content);
    golden('support-agent.iam-provenance.json', `${JSON.stringify(t.provenance, null, 2)}\n`);
  });
});
