/**
 * Coverage from ingested CloudTrail is per account and needs history: a store holding several accounts (the public
 * Stratus Red Team and Panther trails hold dozens) must not let one account's logged read-only events prove another
 * account's trail logs them, and a log spanning minutes (a Stratus detonation) cannot show a grant unused over 90
 * days. The agent's own trail shows only a write; another principal's read-only call in a different account leaves
 * the agent's read grant not assessed, the same call in its own account makes it Unused Excess.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadIamCatalog } from '../../../lib/adapters/iam-scope.ts';
import { openStore } from '../../../lib/adapters/open-store.ts';
import { runReconcile } from '../../../lib/app/reconcile/service.ts';
import type { Observation } from '../../../lib/core/observation.ts';
import type { Store } from '../../../lib/ports.ts';

const NOW = '2026-12-01T00:00:00.000Z';
const A = '111122223333';
const B = '444455556666';
const SUBJECT = 'k8s:prod/ops/runbook-agent';

const call = (
  id: string,
  subject: string,
  account: string,
  name: string,
  readOnly: boolean,
  time = '2026-11-20T10:00:00.000Z',
): Observation => ({
  v: 1,
  id,
  time,
  source: 'cloudtrail',
  subject,
  layer: 'cloud-api',
  kind: 'api',
  key: `api:ssm:${name}:*`,
  count: 5,
  correlation: {},
  attrs: {
    eventSource: 'ssm.amazonaws.com',
    eventName: name,
    readOnly,
    managementEvent: true,
    recipientAccountId: account,
  },
});

const scope = {
  subject: SUBJECT,
  readAt: NOW,
  account: A,
  role: {
    arn: `arn:aws:iam::${A}:role/runbook-agent`,
    name: 'runbook-agent',
    via: 'irsa',
    policies: [
      {
        id: `arn:aws:iam::${A}:role/runbook-agent#inline/ssm`,
        name: 'ssm',
        kind: 'inline',
        document: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'Run',
              Effect: 'Allow',
              Action: ['ssm:SendCommand', 'ssm:DescribeInstanceInformation'],
              Resource: '*',
            },
          ],
        },
      },
    ],
  },
};

let store: Store;
beforeEach(async () => {
  store = await openStore('embedded:memory');
});
afterEach(async () => {
  await store.close();
});

const statusOf = async () => {
  const r = await runReconcile({ store, loadCatalog: loadIamCatalog, scope, now: NOW }, SUBJECT);
  return Object.fromEntries(r.assessments.map((a) => [a.action, a.status]));
};

describe('coverage from ingested CloudTrail, per account', () => {
  it("another account's read-only events prove nothing about this account's trail", async () => {
    await store.write(
      [
        call('own', SUBJECT, A, 'SendCommand', false),
        call('own-early', SUBJECT, A, 'SendCommand', false, '2026-09-15T10:00:00.000Z'),
        call('other', 'unattributed:arn:aws:iam::444455556666:user/ops', B, 'DescribeInstanceInformation', true),
      ],
      [],
    );
    expect(await statusOf()).toEqual({
      'ssm:SendCommand': 'exercised',
      'ssm:DescribeInstanceInformation': 'not-assessed',
    });
  });

  it("the same read-only event in the agent's own account makes the unused read grant Unused Excess", async () => {
    await store.write(
      [
        call('own', SUBJECT, A, 'SendCommand', false),
        call('own-early', SUBJECT, A, 'SendCommand', false, '2026-09-15T10:00:00.000Z'),
        call('other', 'unattributed:arn:aws:iam::111122223333:user/ops', A, 'DescribeInstanceInformation', true),
      ],
      [],
    );
    expect(await statusOf()).toEqual({
      'ssm:SendCommand': 'exercised',
      'ssm:DescribeInstanceInformation': 'unused',
    });
  });

  it('a log spanning minutes is insufficient history: nothing is called unused, the span is named', async () => {
    await store.write(
      [
        call('own', SUBJECT, A, 'SendCommand', false),
        call('other', 'unattributed:arn:aws:iam::111122223333:user/ops', A, 'DescribeInstanceInformation', true),
      ],
      [],
    );
    const r = await runReconcile({ store, loadCatalog: loadIamCatalog, scope, now: NOW }, SUBJECT);
    const read = r.assessments.find((a) => a.action === 'ssm:DescribeInstanceInformation')!;
    expect(read.status).toBe('not-assessed');
    expect(read.missing).toMatch(/^insufficient history: .* spans 0 minutes .* of the 90-day window; at least 30 days/);
    expect(r.assessments.find((a) => a.action === 'ssm:SendCommand')!.status).toBe('exercised');
    const lenient = await runReconcile(
      { store, loadCatalog: loadIamCatalog, scope, now: NOW, minHistoryDays: 0 },
      SUBJECT,
    );
    expect(lenient.assessments.find((a) => a.action === 'ssm:DescribeInstanceInformation')!.status).toBe('unused');
  });
});
