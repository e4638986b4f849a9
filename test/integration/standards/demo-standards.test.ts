/**
 * Every OCSF event and CycloneDX BOM the demo can produce validates against its declared schema: the demo runs on a
 * fresh default store, then the CLI exports, as a user runs them, the incident's audit entry and the rollout's
 * transitions (`audit --ocsf`), risky drift (`drift --ocsf`, with and without --json, and on the event log), and the
 * ML-BOM of every subject the demo created (`inventory --format cyclonedx`).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OCSF_FINDING_DETAIL_TYPE } from '../../../lib/cli/commands/drift.ts';
import { type CliRun, warden } from '../../support/cli.ts';
import { expectValidOcsf } from '../../support/ocsf-schema.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-standards-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let demo: { incident: { auditId: string }; rollout: { rolloutId: string }; next: string[] };
const run = async (args: string[]): Promise<CliRun> => {
  const r = await warden(args, { cwd: dir, timeoutMs: 240_000 });
  expect(r.stderr, args.join(' ')).toBe('');
  expect(r.code, args.join(' ')).toBe(0);
  return r;
};
// The demo may take a few minutes on a loaded 2-core CI machine.
beforeAll(async () => {
  const r = await warden(['demo', '--json'], { cwd: dir, timeoutMs: 600_000 });
  expect(r.code, r.stderr).toBe(0);
  demo = JSON.parse(r.stdout);
}, 630_000);

describe('the demo exports standards output that validates', () => {
  it('OCSF: the incident audit entry and the rollout transitions', { timeout: 300_000 }, async () => {
    const incident = JSON.parse((await run(['audit', '--input', demo.incident.auditId, '--ocsf'])).stdout);
    expect(new Set(incident.map((e: { class_uid: number }) => e.class_uid))).toEqual(new Set([6003, 4001, 1007]));
    expectValidOcsf(incident);
    const rollout = JSON.parse((await run(['audit', '--input', demo.rollout.rolloutId, '--ocsf'])).stdout);
    expect(rollout.length).toBeGreaterThan(5);
    expectValidOcsf(rollout);
  });

  it('OCSF: risky drift as Detection Findings, with and without --json, and on the event log', {
    timeout: 300_000,
  }, async () => {
    // the period the demo's own drift hint uses
    const since = /--since (\S+)/.exec(demo.next.find((n) => n.includes(' drift')) ?? '')?.[1] ?? '42d';
    const plain = JSON.parse((await run(['drift', '--since', since, '--ocsf'])).stdout);
    const json = JSON.parse((await run(['drift', '--since', since, '--ocsf', '--json', '--no-events'])).stdout);
    expect(plain).toHaveLength(1);
    expect(plain[0]).toMatchObject({
      class_uid: 2004,
      severity_id: 4,
      metadata: { correlation_uid: demo.incident.auditId },
    });
    expect(json).toEqual(plain);
    expectValidOcsf(plain);
    const logged = readFileSync(join(dir, '.warden', 'events.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((e) => e['detail-type'] === OCSF_FINDING_DETAIL_TYPE);
    expect(logged.map((e) => e.detail)).toEqual(plain);
  });

  it('CycloneDX: the ML-BOM of every subject', { timeout: 300_000 }, async () => {
    const subjects: { subject: string }[] = JSON.parse((await run(['subjects', '--json'])).stdout);
    const validator = new Validation.JsonStrictValidator(Spec.Version.v1dot6);
    const agents = subjects.filter((s) => !s.subject.startsWith('unattributed:'));
    expect(agents.length).toBeGreaterThanOrEqual(4);
    for (const { subject } of agents) {
      const text = (await run(['inventory', subject, '--format', 'cyclonedx'])).stdout;
      expect(await validator.validate(text), subject).toBeNull();
      const bom = JSON.parse(text);
      expect(bom.metadata.tools.components.map((c: { name: string }) => c.name)).toContain('warden');
      if (subject === 'k8s:prod-eks/support/support-agent') {
        const models = bom.components.filter((c: { type: string }) => c.type === 'machine-learning-model');
        expect(models.length).toBeGreaterThan(0);
        for (const m of models)
          expect(m).toMatchObject({ supplier: { name: 'Anthropic' }, version: expect.any(String) });
        expect(bom.services.map((s: { group?: string }) => s.group)).toEqual(
          expect.arrayContaining(['bedrock-agent', 'bedrock-agent-action-group', 'aws']),
        );
      }
    }
  });
});
