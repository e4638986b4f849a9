/**
 * `warden baseline` right after `agent watch`: observations of the current hour show at once (folded for display),
 * while the stored baseline's watermark stays before them, so what arrives later in the same hour is folded too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../../lib/adapters/open-store.ts';
import { loadBaseline } from '../../../lib/app/baselines/service.ts';
import type { Observation } from '../../../lib/core/observation.ts';
import { warden } from '../../support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-open-windows-'));
const spec = `embedded:${join(dir, 'store')}`;
const SUBJECT = 'local:dev-agent';
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function obs(id: string, key: string): Observation {
  return {
    v: 1,
    id,
    time: new Date().toISOString(),
    source: 'node-agent',
    subject: SUBJECT,
    layer: 'kernel',
    kind: key.slice(0, key.indexOf(':')),
    key,
    count: 1,
    correlation: {},
    attrs: {},
  };
}

async function write(...o: Observation[]): Promise<void> {
  const store = await openStore(spec);
  try {
    await store.write(o, []);
  } finally {
    await store.close();
  }
}

describe('baseline of a subject observed minutes ago', { timeout: 120_000 }, () => {
  it('shows this hour at once, without moving the stored watermark past it', async () => {
    await write(obs('a', 'exec:/usr/bin/python3'), obs('b', 'open:/app/agent.py'));
    const first = await warden(['--store', spec, '--json', 'baseline', SUBJECT]);
    expect(first.stderr).toBe('');
    const v = JSON.parse(first.stdout);
    expect(v.openWindows).toBe(1);
    expect(v.entries.map((e: { key: string }) => e.key).sort()).toEqual([
      'exec:/usr/bin/python3',
      'open:/app/agent.py',
    ]);
    expect(v.statusReason).not.toMatch(/no observations yet/);

    const hourStart = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000).toISOString();
    const store = await openStore(spec);
    const stored = await loadBaseline(store, SUBJECT).finally(() => store.close());
    expect(stored === undefined || stored.baseline.watermark <= hourStart).toBe(true);

    // a later watch in the same hour: its new key shows too (nothing was skipped)
    await write(obs('c', 'exec:/usr/bin/id'));
    const second = JSON.parse((await warden(['--store', spec, '--json', 'baseline', SUBJECT])).stdout);
    expect(second.entries.map((e: { key: string }) => e.key)).toContain('exec:/usr/bin/id');
  });

  it('a time ahead of the clock is display only: the stored watermark still does not pass the clock', async () => {
    const future = new Date(Date.now() + 3 * 3_600_000).toISOString();
    const r = await warden(['--store', spec, '--json', 'baseline', SUBJECT, '--at', future]);
    expect(r.stderr).toBe('');
    const store = await openStore(spec);
    const stored = await loadBaseline(store, SUBJECT).finally(() => store.close());
    expect((stored?.baseline.watermark ?? '') <= new Date().toISOString()).toBe(true);
  });
});
