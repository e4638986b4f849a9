import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../../lib/adapters/open-store.ts';
import { generateChurnScenario } from '../../../lib/demo/churn.ts';
import { warden as cli } from '../../support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-baseline-cli-'));
const storeSpec = `embedded:${join(dir, 'store')}`;
const subject = 'k8s:prod/support/support-agent';

async function warden(...args: string[]) {
  const r = await cli(['--store', storeSpec, ...args]);
  return { code: r.code, out: r.stdout, err: r.stderr };
}

describe('warden baseline / classes / inventory CLI', () => {
  beforeAll(async () => {
    const sc = generateChurnScenario({ days: 4, rollouts: [2], perPod: false, seed: 5 });
    const rows = sc.deploymentRows.filter(
      (r) => /^(dns:|tool:|pkg:|model:|mcp:|prompt:)/.test(r.key) && Date.parse(r.window) % (4 * 3_600_000) === 0,
    );
    const store = await openStore(storeSpec);
    await store.write(
      rows.map((r, i) => ({
        v: 1 as const,
        id: `cli-${i}`,
        time: r.firstSeen,
        source: 'node-agent' as const,
        subject: r.subject,
        layer: r.layer,
        kind: r.kind,
        key: r.key,
        count: r.count,
        correlation: {},
        attrs: r.attrs,
      })),
      [],
    );
    await store.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('baseline --json --chart prints the baseline and writes the SVG', async () => {
    const chart = join(dir, 'c.svg');
    const r = await warden('baseline', subject, '--at', '2026-01-09T03:00:00Z', '--chart', chart, '--json');
    expect(r.code).toBe(0);
    const v = JSON.parse(r.out);
    expect(v.subject).toBe(subject);
    expect(v.convergence.filter((p: { closed: boolean }) => p.closed)).toHaveLength(4);
    expect(v.envelope.active).toBeGreaterThan(10);
    expect(readFileSync(chart, 'utf8')).toContain('<svg');
  });

  it('classes --json infers customer-support for the scenario agent', async () => {
    const r = await warden('classes', '--json');
    expect(r.code).toBe(0);
    const v = JSON.parse(r.out);
    expect(v.templates).toHaveLength(5);
    expect(v.subjects[0]).toMatchObject({ subject, assignment: { class: 'customer-support', source: 'inferred' } });
  });

  it('inventory --format cyclonedx emits a 1.6 BOM; bad input exits non-zero with one line', async () => {
    const r = await warden('inventory', subject, '--at', '2026-01-09T00:00:00Z', '--format', 'cyclonedx');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).specVersion).toBe('1.6');
    const bad = await warden('baseline', 'not-a-subject');
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/^warden: not a subject id: not-a-subject$/m);
  });
});
