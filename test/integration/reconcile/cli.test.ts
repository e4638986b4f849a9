/** `warden reconcile` / `warden track` end to end on an embedded (dynalite, on-disk) store. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadIamCatalog } from '../../../lib/adapters/iam-scope.ts';
import { openStore } from '../../../lib/adapters/open-store.ts';
import { runReconcile, saveTrailConfig } from '../../../lib/app/reconcile/service.ts';
import { scopeSource, windowDays } from '../../../lib/cli/commands/reconcile.ts';
import { CliError } from '../../../lib/cli/output.ts';
import { warden as cli } from '../../support/cli.ts';
import { managementAndS3Trail } from '../../support/trails.ts';

const SUBJECT = 'k8s:prod/support/support-agent';
const dir = mkdtempSync(join(tmpdir(), 'warden-reconcile-cli-'));
const spec = `embedded:${join(dir, 'store')}`;
const scopeFile = join(dir, 'scope.json');

const warden = (...args: string[]) => cli(['--store', spec, ...args]);

describe('warden reconcile / track', () => {
  beforeAll(async () => {
    const store = await openStore(spec);
    await store.write(
      [
        {
          v: 1,
          id: 'ct-1',
          time: new Date(Date.now() - 3_600_000).toISOString(),
          source: 'cloudtrail',
          subject: SUBJECT,
          layer: 'cloud-api',
          kind: 'api',
          key: 'api:s3:PutObject:arn:aws:s3:::export/*',
          count: 3,
          correlation: {},
          attrs: { eventSource: 's3.amazonaws.com', eventName: 'PutObject' },
        },
        // Forty days of CloudTrail history: enough (30 days by default) to call a grant never seen unused.
        {
          v: 1,
          id: 'ct-0',
          time: new Date(Date.now() - 40 * 86_400_000).toISOString(),
          source: 'cloudtrail',
          subject: SUBJECT,
          layer: 'cloud-api',
          kind: 'api',
          key: 'api:s3:PutObject:arn:aws:s3:::export/*',
          count: 1,
          correlation: {},
          attrs: { eventSource: 's3.amazonaws.com', eventName: 'PutObject' },
        },
      ],
      [],
    );
    await store.setLabels(SUBJECT, { 'warden.dev/data-class': 'pii', 'warden.dev/agent-class': 'customer-support' });
    // The trail's selectors, as `warden coverage --save` keeps them: S3 reads are logged, so GetObject is judged.
    await saveTrailConfig(store, managementAndS3Trail('us-east-1', new Date().toISOString()));
    await store.close();
    writeFileSync(
      scopeFile,
      JSON.stringify({
        subject: SUBJECT,
        readAt: new Date().toISOString(),
        role: {
          arn: 'arn:aws:iam::111122223333:role/agent',
          name: 'agent',
          via: 'irsa',
          policies: [
            {
              id: 'arn:aws:iam::111122223333:role/agent#inline/agent',
              name: 'agent',
              kind: 'inline',
              document: {
                Statement: [
                  {
                    Sid: 'Export',
                    Effect: 'Allow',
                    Action: ['s3:PutObject', 's3:GetObject'],
                    Resource: 'arn:aws:s3:::export/*',
                  },
                ],
              },
            },
          ],
        },
      }),
    );
  }, 60_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reconcile --scope --json returns the findings and stores the scope for the next run', async () => {
    const r = await warden('reconcile', SUBJECT, '--scope', scopeFile, '--json');
    expect(r.stderr).not.toMatch(/^warden:/m);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { findings: { id: string; unused: { item: string }[] }[] };
    expect(out.findings.map((f) => [f.id, f.unused.map((u) => u.item)])).toEqual([
      ['unused-excess:iam-action:arn:aws:iam::111122223333:role/agent#inline/agent#0', ['s3:GetObject']],
    ]);
    const again = await warden('reconcile', SUBJECT);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('| iam-action | agent/Export');
    // Asked for more history than the store holds, nothing is called unused: GetObject is not assessed.
    const short = await warden('reconcile', SUBJECT, '--min-history', '60d', '--json');
    const judged = JSON.parse(short.stdout) as { findings: unknown[]; gaps: string[] };
    expect(judged.findings).toEqual([]);
    expect(judged.gaps.join('\n')).toMatch(
      /s3:GetObject.*insufficient history: .* spans 40\.0 days .* at least 60 days/,
    );
  });

  it('track prints the track with its reasons', async () => {
    const r = await warden('track', SUBJECT, '--json');
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout) as { track: string; rule: string; reasons: string[] };
    expect(d.track).toBe('pre-enforced');
    expect(d.reasons[0]).toMatch(/^R2: pii with write access/);
  });

  it('bad input exits non-zero with a one-line reason', async () => {
    expect(await warden('reconcile', 'not-a-subject')).toMatchObject({ code: 2 });
    const missing = await warden('reconcile', 'k8s:prod/support/nobody');
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/^warden: no declared scope for k8s:prod\/support\/nobody/m);
  });

  it('rejects a bad window and an invalid or mismatched --scope file (in-process, same code paths)', async () => {
    expect(() => windowDays('soon')).toThrow(CliError);
    expect(windowDays('30d')).toBe(30);
    writeFileSync(join(dir, 'bad.json'), '{"subject": 1}');
    const bad = await scopeSource(SUBJECT, { scope: join(dir, 'bad.json'), window: '14d' });
    const store = await openStore(spec);
    try {
      const now = new Date().toISOString();
      await expect(runReconcile({ store, loadCatalog: loadIamCatalog, ...bad, now }, SUBJECT)).rejects.toThrow(
        /^invalid declared scope: subject/,
      );
      const other = await scopeSource('k8s:prod/support/other', { scope: scopeFile, window: '14d' });
      await expect(
        runReconcile({ store, loadCatalog: loadIamCatalog, ...other, now }, 'k8s:prod/support/other'),
      ).rejects.toThrow(/declared scope is for/);
    } finally {
      await store.close();
    }
    await expect(scopeSource(SUBJECT, { scope: join(dir, 'missing.json'), window: '14d' })).rejects.toThrow(
      /cannot read/,
    );
  });
});
