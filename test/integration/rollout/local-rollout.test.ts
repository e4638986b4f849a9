/**
 * The rollout definition executed locally end to end (aws-local-stepfunctions, the same ASL CDK deploys) for two
 * agent classes: the retrieval class stays within its blast radius and ends enforced with its IAM pull request
 * merged; the code-execution class would deny legitimate calls in its monitor window, is rolled back, and the run
 * stops with an event naming those calls.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../../lib/adapters/open-store.ts';
import type { RolloutDeps } from '../../../lib/app/rollout/deps.ts';
import { runRolloutLocal } from '../../../lib/app/rollout/local.ts';
import { transitions } from '../../../lib/app/rollout/record.ts';
import { runStep } from '../../../lib/app/rollout/steps.ts';
import type { Store, WardenEvent } from '../../../lib/ports.ts';
import { localRolloutDeps, RETRIEVER, TWO_CLASS_SUBJECTS } from '../../support/rollout-fixtures.ts';

let store: Store;
let dir: string;
const events: WardenEvent[] = [];
let deps: RolloutDeps;

beforeAll(async () => {
  store = await openStore('embedded:memory');
  dir = mkdtempSync(join(tmpdir(), 'warden-rollout-'));
  deps = localRolloutDeps(store, dir, { events });
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('local rollout of two agent classes', () => {
  it('enforces the class within threshold, rolls back the one over it and stops with an event', async () => {
    const r = await runRolloutLocal(deps, {
      rolloutId: 'r-1',
      observationSeconds: 3600,
      subjects: [...TWO_CLASS_SUBJECTS],
    });
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('Warden.RolloutStopped');
    // ascending risk: retrieval first, monitor before enforce, then code-execution rolled back
    expect(r.path).toEqual([
      'Plan',
      'Generate(retrieval)',
      'ApplyMonitor(retrieval)',
      'MeasureBlastRadius(retrieval)',
      'Enforce(retrieval)',
      'IamPullRequest(retrieval)',
      'Generate(code-execution)',
      'ApplyMonitor(code-execution)',
      'MeasureBlastRadius(code-execution)',
      'Rollback(code-execution)',
      'EmitRolledBack(code-execution)',
      'RecordStop',
    ]);
    expect(readFileSync(join(dir, 'cluster', 'k8s_prod_agents_kb-retriever', 'current', 'MODE'), 'utf8').trim()).toBe(
      'enforce',
    );
    expect(existsSync(join(dir, 'cluster', 'k8s_prod_agents_code-runner', 'current'))).toBe(false);

    const ev = events.find((e) => e.detailType === 'Warden Rollout Rolled Back')!;
    const denied = (ev.detail as { wouldBeDenied: { key: string; kind: string }[] }).wouldBeDenied;
    expect(denied.map((d) => d.key).sort()).toEqual(['net:egress:151.101.0.223/32:443', 'syscall:ptrace']);

    const steps = (await transitions(store, 'r-1')).map((t) => t.step);
    expect(steps[0]).toBe('plan');
    expect(steps).toContain('rollback');
    expect(steps.at(-1)).toBe('record-stop');
    const doc = await store.getDoc<{ state: string }>('rollout', 'global', 'r-1');
    expect(doc!.body.state).toBe('stopped');
  });

  it('never enforces without a measured blast radius, and refuses a concurrent rollout of a class', async () => {
    await expect(
      runStep(
        'enforce',
        { rolloutId: 'r-x', class: 'retrieval', track: 'observe-in-production', subjects: [RETRIEVER] },
        deps,
      ),
    ).rejects.toThrow(/no measured blast radius/);
    await runStep(
      'plan',
      { rolloutId: 'r-2', subjects: [{ subject: RETRIEVER, class: 'retrieval', track: 'observe-in-production' }] },
      deps,
    );
    await expect(
      runStep(
        'plan',
        { rolloutId: 'r-3', subjects: [{ subject: RETRIEVER, class: 'retrieval', track: 'observe-in-production' }] },
        deps,
      ),
    ).rejects.toThrow(/already has a running rollout \(r-2\)/);
  });
});
