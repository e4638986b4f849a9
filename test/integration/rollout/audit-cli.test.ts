/** `warden audit` on a store holding a rollout's chained transitions (embedded, on-disk store). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryApplier, DirectoryPullRequests, FixedReviewGate } from '../../../lib/adapters/local-rollout.ts';
import { openStore } from '../../../lib/adapters/open-store.ts';
import { runRolloutLocal } from '../../../lib/app/rollout/local.ts';
import { warden as cli } from '../../support/cli.ts';
import { rolloutProvider as provider, TWO_CLASS_SUBJECTS } from '../../support/rollout-fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-audit-cli-'));
const spec = `embedded:${join(dir, 'store')}`;

const warden = (...args: string[]) => cli(['--store', spec, ...args]);

beforeAll(async () => {
  const store = await openStore(spec);
  try {
    await runRolloutLocal(
      {
        store,
        artifacts: provider,
        applier: new DirectoryApplier(join(dir, 'cluster')),
        pullRequests: new DirectoryPullRequests(join(dir, 'prs')),
        reviews: new FixedReviewGate(true),
        events: { publish: async () => undefined },
        now: () => new Date().toISOString(),
      },
      {
        rolloutId: 'r-cli',
        observationSeconds: 0,
        subjects: [...TWO_CLASS_SUBJECTS],
      },
    );
  } finally {
    await store.close();
  }
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('warden audit with rollout entries', () => {
  it('shows a rollout as its chained transitions, lists them, exports OCSF and verifies', async () => {
    const shown = await warden('audit', '--input', 'r-cli');
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^rollout r-cli: 13 chained transitions/);
    expect(shown.stdout).toMatch(/code-execution measure-blast-radius -> measured \(rollback\)/);
    expect(shown.stdout).toMatch(/would be denied, over threshold/);

    const json = JSON.parse((await warden('--json', 'audit', '--input', 'r-cli')).stdout) as {
      inputType: string;
      transitions: { seq: number; transition: { step: string } }[];
    };
    expect(json.inputType).toBe('rollout');
    expect(json.transitions.map((t) => t.transition.step).at(-1)).toBe('record-stop');

    const ocsf = JSON.parse((await warden('--json', 'audit', '--input', 'r-cli', '--ocsf')).stdout) as {
      class_uid: number;
    }[];
    expect(ocsf).toHaveLength(13);
    expect(new Set(ocsf.map((e) => e.class_uid))).toEqual(new Set([3004]));

    const list = JSON.parse((await warden('--json', 'audit', 'list', '--type', 'rollout')).stdout) as {
      seq: number;
      inputType: string;
    }[];
    expect(list.map((r) => r.seq)).toEqual(json.transitions.map((t) => t.seq));
    expect((await warden('--json', 'audit', 'list', '--type', 'ticket')).stdout.trim()).toBe('[]');

    const verify = await warden('audit', 'verify');
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toContain('audit chain ok: 13 entries');
    // seven CLI processes, each compiling the CLI with tsx: over a minute on a loaded 2-core machine
  }, 240_000);

  it('rejects an unknown entry type with a one-line reason', async () => {
    const r = await warden('audit', 'list', '--type', 'deploy');
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('warden: invalid --type deploy: expected one of ticket, session, request, rollout');
  }, 30_000);
});
